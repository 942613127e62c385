"""Survey invitations, answers and API feedback."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from feedback.models import Feedback, SurveyInvitation
from feedback.signals import feedback_received
from tickets.models import Ticket
from tickets.threading import ticket_email

_SALT = "feedback.survey-link"


class SurveyClosed(Exception):
    """The survey cannot take an answer: it was answered already, or it expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FeedbackExists(Exception):
    """The ticket has feedback already; a ticket is rated once."""


def _feedback_exists(ticket: Ticket) -> str:
    # Translators: the API's answer to an integration that rates a ticket twice; "number" is "#42".
    return _("Ticket %(number)s has feedback already.") % {"number": ticket.number}


def survey_token(invitation: SurveyInvitation) -> str:
    return signing.dumps([invitation.pk, invitation.key], salt=_SALT)


def survey_url(invitation: SurveyInvitation) -> str:
    return settings.SITE_URL + reverse("survey:answer", kwargs={"token": survey_token(invitation)})


def invitation_for_token(token: str) -> SurveyInvitation | None:
    """The invitation a link names, or None for a tampered or unknown link."""
    try:
        pk, key = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(key, str):
        return None
    invitation = SurveyInvitation.objects.select_related("ticket", "agent").filter(pk=pk).first()
    if invitation is None or not constant_time_compare(invitation.key, key):
        return None
    return invitation


def survey_invite(*, ticket: Ticket, now: datetime | None = None) -> SurveyInvitation | None:
    """Invite the customer to rate a ticket that was just resolved, unless it was rated.

    Called in the resolving transaction; the email leaves after commit. An earlier
    invitation that was never answered stops working: the newest link is the one that
    counts, so a re-resolved ticket is rated once.
    """
    now = now or timezone.now()
    if (
        Feedback.objects.filter(ticket=ticket).exists()
        or SurveyInvitation.objects.filter(ticket=ticket, answered_at__isnull=False).exists()
    ):
        return None
    SurveyInvitation.objects.filter(
        ticket=ticket, answered_at__isnull=True, expires_at__gt=now, created_at__lt=now
    ).update(expires_at=now)
    invitation = SurveyInvitation.objects.create(
        ticket=ticket,
        agent=ticket.assigned_agent,
        customer_email=ticket.customer_email,
        created_at=now,
        expires_at=now + timedelta(days=settings.SURVEY_EXPIRY_DAYS),
    )
    ticket_email(
        ticket=ticket,
        to=ticket.customer_email,
        kind="survey.invitation",
        template="feedback/email/survey",
        context={"ticket": ticket, "link": survey_url(invitation), "expires_at": invitation.expires_at},
        automatic=True,
    )
    return invitation


@transaction.atomic
def survey_answer(*, invitation: SurveyInvitation, **answers: Any) -> Feedback:
    """Record the answer once. The row lock makes two simultaneous submissions one answer."""
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise SurveyClosed("answered")
    now = timezone.now()
    if invitation.expires_at <= now:
        raise SurveyClosed("expired")
    if Feedback.objects.filter(ticket_id=invitation.ticket_id).exists():
        raise SurveyClosed("answered")
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    feedback = Feedback.objects.create(
        ticket_id=invitation.ticket_id,
        survey=invitation,
        agent=invitation.agent,
        customer_email=invitation.customer_email,
        created_at=now,
        **answers,
    )
    feedback_received.send(sender=Feedback, feedback=feedback)
    return feedback


@transaction.atomic
def feedback_create(*, ticket: Ticket, customer_email: str = "", **answers: Any) -> Feedback:
    """Feedback sent by an integration (a survey tool of the customer's own, say)."""
    if Feedback.objects.filter(ticket=ticket).exists():
        raise FeedbackExists(_feedback_exists(ticket))
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                ticket=ticket,
                agent=ticket.assigned_agent,
                customer_email=customer_email or ticket.customer_email,
                **answers,
            )
    except IntegrityError as error:  # a concurrent request rated it first
        raise FeedbackExists(_feedback_exists(ticket)) from error
    feedback_received.send(sender=Feedback, feedback=feedback)
    return feedback
