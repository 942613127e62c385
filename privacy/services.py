"""What the helpdesk holds about one customer, handed over or erased (a data-subject request),
and the retention of closed tickets.

`customer_export(email)`: a zip of `data.json` (the customer's tickets with their whole
conversation, history, feedback and survey invitations; the emails sent to them; the emails
received from them) plus each attachment and each original email as it arrived.

`customer_erase(email)` and `tickets_erase(ids)`: names, addresses and text are replaced in
tickets, messages, history, feedback, notifications and stored emails; attachments and
thread Message-IDs are deleted; counts, statuses, times and SLA figures stay, so reports
keep adding up. Everything is set-based (UPDATE ... WHERE id IN a batch), in one transaction
per batch of ERASE_BATCH tickets.

`erase_expired()`: closed tickets older than PRIVACY_RETENTION_DAYS, batch by batch (the
beat task privacy-retention).
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Case, CharField, F, Q, TextField, Value, When
from django.db.models.functions import Cast, Concat, Now
from django.http import HttpResponse
from django.utils import timezone

from customers.models import Customer
from customers.services import customer_by_address
from feedback.models import Feedback, SurveyInvitation
from mail.ingest import original_bytes
from mail.models import BouncedAddress, InboundEmail
from notifications.models import Notification
from tickets.models import Attachment, EventKind, Message, Status, ThreadMessageId, Ticket, TicketCC, TicketEvent

logger = logging.getLogger(__name__)

ERASED = "[erased]"
ERASED_DESCRIPTION = "[erased: removed to protect the customer's data]"  # DESCRIPTION_MIN holds
ERASE_BATCH = 1000


def _erased_address(prefix: str) -> Concat:
    return Concat(
        Value(f"erased-{prefix}-"), Cast("id", CharField()), Value("@erased.invalid"), output_field=CharField()
    )


def _erase_feedback(rows) -> int:
    return rows.update(comment="", customer_email=_erased_address("feedback"), updated_at=Now())


def _erase_received(rows) -> int:
    return rows.update(from_address=_erased_address("email"), from_name="", subject="", reason="", raw=b"")


def _normalized(email: str) -> str:
    return email.strip().lower()


def _addresses_of(email: str) -> tuple[Customer | None, list[str]]:
    """The customer's profile (by its address or one merged into it) and every address of
    the person: the profile's and its aliases, or just `email` without a profile."""
    email = _normalized(email)
    profile = customer_by_address(email)
    if profile is None:
        return None, [email]
    return profile, list(dict.fromkeys([email, profile.email, *profile.aliases]))


def _any_of(field: str, addresses: list[str]) -> Q:
    """`field` equal to any of `addresses`, in any case (each iexact is an index probe)."""
    condition = Q()
    for address in addresses:
        condition |= Q(**{f"{field}__iexact": address})
    return condition


def _tickets_of(email: str):
    profile, addresses = _addresses_of(email)
    mine = _any_of("customer_email", addresses)
    if profile is not None:
        mine |= Q(customer=profile)
    return Ticket.objects.filter(mine)


def _profile_data(profile: Customer | None) -> dict | None:
    if profile is None:
        return None
    return {
        "email": profile.email,
        "other_addresses": profile.aliases,
        "name": profile.name,
        "language": profile.language,
        "organization": profile.organization.name if profile.organization_id else None,
        "notes": profile.notes,
        "bouncing": profile.bouncing,
        "created_at": profile.created_at,
    }


# --- Export -----------------------------------------------------------------------------------


def customer_data(email: str) -> dict:
    """Everything held about the customer with this address, as plain data."""
    email = _normalized(email)
    profile, addresses = _addresses_of(email)
    tickets = list(_tickets_of(email).select_related("category").order_by("id"))
    ids = [ticket.pk for ticket in tickets]
    messages = Message.objects.filter(ticket_id__in=ids).order_by("id")
    events = TicketEvent.objects.filter(ticket_id__in=ids).order_by("id")
    attachments = Attachment.objects.filter(ticket_id__in=ids).order_by("id")
    return {
        "email": email,
        "exported_at": timezone.now(),
        "profile": _profile_data(profile),
        "tickets": [
            {
                "id": ticket.pk,
                "subject": ticket.subject,
                "description": ticket.description,
                "customer_name": ticket.customer_name,
                "customer_email": ticket.customer_email,
                "external_customer_id": ticket.external_customer_id,
                "category": ticket.category.name,
                "priority": ticket.priority,
                "status": ticket.status,
                "channel": ticket.channel,
                "created_at": ticket.created_at,
                "closed_at": ticket.closed_at,
                "messages": [
                    {
                        "id": m.pk,
                        "author": m.author_name,
                        "author_type": m.author_type,
                        "internal": m.internal,
                        "body": m.body,
                        "source": m.source,
                        "email_from": m.email_from,
                        "email_to": m.email_to,
                        "email_cc": m.email_cc,
                        "created_at": m.created_at,
                        "rating": m.rating,
                        "rating_comment": m.rating_comment,
                    }
                    for m in messages
                    if m.ticket_id == ticket.pk
                ],
                "history": [
                    {"kind": e.kind, "by": e.actor_name, "old": e.old_value, "new": e.new_value, "at": e.created_at}
                    for e in events
                    if e.ticket_id == ticket.pk
                ],
                "attachments": [
                    {"file": f"attachments/{a.pk}-{a.name}", "name": a.name, "size": a.size, "type": a.content_type}
                    for a in attachments
                    if a.ticket_id == ticket.pk
                ],
            }
            for ticket in tickets
        ],
        "feedback": list(
            Feedback.objects.filter(_any_of("customer_email", addresses) | Q(ticket_id__in=ids)).values(
                "ticket_id", "overall", "would_recommend", "comment", "created_at"
            )
        ),
        "survey_invitations": list(
            SurveyInvitation.objects.filter(_any_of("customer_email", addresses) | Q(ticket_id__in=ids)).values(
                "ticket_id", "created_at", "answered_at"
            )
        ),
        "emails_sent": [
            {
                "kind": n.kind,
                "status": n.status,
                "created_at": n.created_at,
                "subject": n.payload.get("subject", ""),
                "text": n.payload.get("text", ""),
            }
            for n in Notification.objects.filter(_any_of("recipient", addresses), channel="email").order_by("id")
        ],
        "emails_received": [
            {
                "file": f"emails/{row.pk}.eml",
                "message_id": row.email_id,
                "subject": row.subject,
                "outcome": row.outcome,
                "ticket_id": row.ticket_id,
                "received_at": row.received_at,
            }
            for row in InboundEmail.objects.filter(_any_of("from_address", addresses)).order_by("id")
        ],
        "bounced": list(
            BouncedAddress.objects.filter(_any_of("email", addresses)).values("reason", "bounces", "last_bounced_at")
        ),
    }


def customer_export(email: str) -> bytes:
    """The zip of customer_data with the attachments and original emails."""
    data = customer_data(email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        ids = [ticket["id"] for ticket in data["tickets"]]
        for attachment in Attachment.objects.filter(ticket_id__in=ids).order_by("id"):
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(f"attachments/{attachment.pk}-{attachment.name}", handle.read())
            except FileNotFoundError:
                archive.writestr(f"attachments/{attachment.pk}-{attachment.name}.missing", b"")
        for row in InboundEmail.objects.filter(_any_of("from_address", _addresses_of(email)[1])).order_by("id"):
            raw = original_bytes(row) if row.raw else b""
            archive.writestr(f"emails/{row.pk}.eml", raw)
    return buffer.getvalue()


def export_response(email: str) -> HttpResponse:
    """The export as a download nobody caches (the API's and the admin action's answer)."""
    response = HttpResponse(customer_export(email), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="customer-data.zip"'
    response["Cache-Control"] = "no-store"
    return response


# --- Erasure ----------------------------------------------------------------------------------


def _erase_ticket_batch(ids: list[int]) -> dict[str, int]:
    """Anonymize one batch of tickets and everything hanging off them (set-based)."""
    counts: dict[str, int] = {}
    files = list(Attachment.objects.filter(ticket_id__in=ids).values_list("file", flat=True))
    with transaction.atomic():
        counts["tickets"] = Ticket.objects.filter(pk__in=ids).update(
            subject=ERASED,
            description=ERASED_DESCRIPTION,
            customer_name="",
            customer_email=_erased_address("ticket"),
            customer=None,  # the profile is deleted by customer_erase; retention leaves it
            external_customer_id="",
            search_vector=None,
            updated_at=Now(),  # an erasure is a change a sync client must see (docs/api.md)
            access_key=Concat(
                Value("erased-"), Cast("id", CharField()), output_field=CharField()
            ),  # no link opens it again
        )
        counts["messages"] = Message.objects.filter(ticket_id__in=ids).update(
            updated_at=Now(),
            body=ERASED,
            body_html="",
            email_from="",
            email_to="",
            email_cc="",
            author_email="",
            rating_comment="",
            author_name=Case(
                When(author_type="agent", then=F("author_name")), default=Value(""), output_field=CharField()
            ),
        )
        counts["history"] = TicketEvent.objects.filter(ticket_id__in=ids).update(
            actor_name=Case(
                When(actor_type__in=["agent", "system"], then=F("actor_name")),
                default=Value(""),
                output_field=CharField(),
            ),
            # A subject, and the addresses a CUSTOMER event (a merge of profiles) names.
            old_value=Case(
                When(kind__in=[EventKind.SUBJECT, EventKind.CUSTOMER], then=Value(ERASED)),
                default=F("old_value"),
                output_field=TextField(),
            ),
            new_value=Case(
                When(kind__in=[EventKind.SUBJECT, EventKind.CUSTOMER], then=Value(ERASED)),
                default=F("new_value"),
                output_field=TextField(),
            ),
        )
        counts["attachments"] = Attachment.objects.filter(ticket_id__in=ids).delete()[0]
        ThreadMessageId.objects.filter(ticket_id__in=ids).delete()
        counts["ccs"] = TicketCC.objects.filter(ticket_id__in=ids).delete()[0]
        counts["feedback"] = _erase_feedback(Feedback.objects.filter(ticket_id__in=ids))
        SurveyInvitation.objects.filter(ticket_id__in=ids).update(customer_email=_erased_address("survey"))
        # Alerts name their ticket at the top of the payload; webhook rows under data.ticket.
        about = Q(payload__ticket_id__in=ids) | Q(payload__data__ticket__id__in=ids)
        counts["notifications"] = Notification.objects.filter(about).update(payload={"erased": True}, last_error="")
        counts["emails_received"] = _erase_received(InboundEmail.objects.filter(ticket_id__in=ids))
        transaction.on_commit(lambda: _delete_files(files))
    return counts


def _delete_files(names: Iterable[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete the erased attachment %s", name, exc_info=True)


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def tickets_erase(ids: Iterable[int]) -> dict[str, int]:
    ids = sorted(set(ids))
    total: dict[str, int] = {}
    for start in range(0, len(ids), ERASE_BATCH):
        _add(total, _erase_ticket_batch(ids[start : start + ERASE_BATCH]))
    return total


def customer_erase(email: str) -> dict[str, int]:
    """Erase everything identifying the customer with this address; return what was erased."""
    email = _normalized(email)
    profile, addresses = _addresses_of(email)
    lowered = sorted({address.lower() for address in addresses})
    names = {name for name in _tickets_of(email).values_list("customer_name", flat=True) if name}
    if profile is not None and profile.name:
        names.add(profile.name)
    total = tickets_erase(_tickets_of(email).values_list("pk", flat=True))
    with transaction.atomic():
        mentions = _any_of("recipient", addresses)
        for value in [*addresses, *names]:
            mentions |= Q(payload__icontains=value)
        _add(
            total,
            {
                "notifications": Notification.objects.filter(mentions).update(
                    recipient=_erased_address("notification"), payload={"erased": True}, last_error=""
                ),
                "feedback": _erase_feedback(Feedback.objects.filter(_any_of("customer_email", addresses))),
                "emails_received": _erase_received(InboundEmail.objects.filter(_any_of("from_address", addresses))),
                "bounced": BouncedAddress.objects.filter(_any_of("email", addresses)).delete()[0],
                # The profile (its notes, other addresses, name) goes: nothing of it is kept.
                "profiles": Customer.objects.filter(pk=profile.pk).delete()[0] if profile is not None else 0,
                # Copied on other people's tickets: the copy goes, and their messages there
                # keep their words but no longer say whose.
                "ccs": TicketCC.objects.filter(email__in=lowered).delete()[0],
                "cc_messages": Message.objects.filter(author_email__in=lowered).update(
                    author_email="", author_name="", email_from="", updated_at=Now()
                ),
            },
        )
        TicketEvent.objects.filter(
            kind=EventKind.CC,
            new_value__in=[f"{verb} {address}" for address in lowered for verb in ("added", "removed")],
        ).update(new_value=ERASED)
        SurveyInvitation.objects.filter(_any_of("customer_email", addresses)).update(
            customer_email=_erased_address("survey")
        )
    logger.info("erased the data of one customer: %s", total)
    return total


# --- Retention --------------------------------------------------------------------------------


def erase_expired(now=None) -> int:
    """Anonymize closed tickets older than PRIVACY_RETENTION_DAYS (0: keep them); returns how
    many tickets were erased. Tickets erased before are not touched again."""
    days = settings.PRIVACY_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    erased, after = 0, 0
    while True:
        # On from the last batch's end: the rows just erased are not walked again.
        ids = list(
            Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff, pk__gt=after)
            .exclude(customer_email__endswith="@erased.invalid")
            .order_by("id")
            .values_list("pk", flat=True)[:ERASE_BATCH]
        )
        if not ids:
            return erased
        erased += _erase_ticket_batch(ids)["tickets"]
        after = ids[-1]
