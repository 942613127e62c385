"""Satisfaction surveys sent on resolution, and the feedback customers give."""

from __future__ import annotations

import secrets

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX = 5000
RATING_FIELDS = ("overall", "speed", "quality", "friendliness")


def new_survey_key() -> str:
    return secrets.token_urlsafe(18)


class SurveyState(models.TextChoices):
    SENT = "sent", pgettext_lazy("survey state", "Sent")
    ANSWERED = "answered", pgettext_lazy("survey state", "Answered")
    EXPIRED = "expired", pgettext_lazy("survey state", "Expired")


class SurveyInvitation(models.Model):
    """One invitation per resolution of a ticket; its link works once, until expires_at."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
        verbose_name=_("agent"),
    )
    customer_email = models.EmailField(_("customer email"), max_length=254)
    key = models.CharField(_("key"), max_length=64, default=new_survey_key, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="survey_ticket_idx"),
            models.Index(fields=["-created_at"], name="survey_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="survey_expires_after_sent")
        ]

    def __str__(self) -> str:
        return f"survey for #{self.ticket_id} ({self.state})"

    @property
    def state(self) -> str:
        if self.answered_at is not None:
            return SurveyState.ANSWERED
        if self.expires_at <= timezone.now():
            return SurveyState.EXPIRED
        return SurveyState.SENT


def rating_field(label: str | Promise, *, required: bool) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=not required,
        blank=not required,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
    )


def rating_constraint(field: str, *, required: bool) -> models.CheckConstraint:
    in_range = Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX})
    return models.CheckConstraint(
        condition=in_range if required else in_range | Q(**{f"{field}__isnull": True}), name=f"feedback_{field}_1_5"
    )


class Feedback(models.Model):
    """What a customer said about a resolved ticket: one per ticket, from a survey or the API."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="feedback", verbose_name=_("ticket")
    )
    survey = models.OneToOneField(
        SurveyInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("survey"),
    )
    agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("agent"),
    )
    customer_email = models.EmailField(_("customer email"), max_length=254)
    overall = rating_field(_("overall rating"), required=True)
    # Translators: a rating: how quickly the customer was answered.
    speed = rating_field(_("speed"), required=False)
    # Translators: a rating: how good the solution was.
    quality = rating_field(_("quality"), required=False)
    # Translators: a rating: how friendly the support was.
    friendliness = rating_field(_("friendliness"), required=False)
    would_recommend = models.BooleanField(_("would recommend"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX)])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the record last changed (an erasure clears its comment and address), for the API's
    # incremental sync. Rows older than the column carry their created_at (feedback 0003).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]
        # Translators: the customers' satisfaction answers (one model in admin).
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            rating_constraint("overall", required=True),
            rating_constraint("speed", required=False),
            rating_constraint("quality", required=False),
            rating_constraint("friendliness", required=False),
        ]
        indexes = [
            # Summaries: a period, optionally one agent.
            models.Index(fields=["created_at"], name="feedback_created_idx"),
            models.Index(fields=["agent", "created_at"], name="feedback_agent_created_idx"),
            # The cursor order of /api/support/feedback?updated_after=.
            models.Index(fields=["updated_at", "id"], name="feedback_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.overall}/5"
