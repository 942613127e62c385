"""Agents download the email a ticket or a message came from, as it was received (.eml)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agents.decorators import agent_required
from mail.ingest import original_bytes
from mail.models import InboundEmail
from tickets.visibility import of_visible_tickets

BIGINT_MAX = 2**63 - 1


def original_response(row: InboundEmail) -> HttpResponse:
    """The original email as a download, never rendered: a browser gets no chance to show
    (or sniff) what a stranger wrote as a page of ours."""
    response = HttpResponse(original_bytes(row), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@never_cache
@require_GET
@agent_required
def original(request: HttpRequest, pk: int) -> HttpResponse:
    """The original of an email that became a ticket, a message or a note (or was recorded
    against a ticket): for agents, who read the tickets they may see and their notes (not a
    restricted team's they are outside of: 404, as for the ticket). Mail that reached no
    ticket (the quarantine, say) is Django admin's business."""
    if pk > BIGINT_MAX:
        raise Http404(_("No such email."))
    rows = of_visible_tickets(InboundEmail.objects.filter(pk=pk, ticket__isnull=False), request.user)
    row = rows.only("id", "raw").first()
    if row is None:
        raise Http404(_("No such email."))
    return original_response(row)
