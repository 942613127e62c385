"""Placeholders in the texts of automation (emails, notes, macro replies): `{customer_name}`.

A fixed set of names replaced by plain values, and nothing else. Admins write these texts,
and they are sent to customers: Django's template language would let a text reach any
attribute of the objects in its context (`{{ ticket.customer.tickets.all }}`), load tag
libraries and include templates, and a sandboxed Jinja is a second engine to keep safe. A
dictionary of names cannot reach anything it was not given, runs in linear time, and its
mistakes are caught on save: an unknown name is refused with the list of known ones. Braces
that do not hold a name (`{ }`, `{{`) are left as they are. The values are plain text; the
HTML versions of emails escape them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext as _

from tickets.links import private_url
from tickets.models import Ticket
from tickets.notices import agent_ticket_url

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _assignee(ticket: Ticket) -> str:
    return ticket.assigned_agent.name if ticket.assigned_agent_id else ""


def _organization(ticket: Ticket) -> str:
    customer = ticket.customer
    return customer.organization.name if customer is not None and customer.organization_id else ""


VALUES: dict[str, Callable[[Ticket], str]] = {
    "customer_name": lambda ticket: ticket.customer_name or ticket.customer_email,
    "customer_email": lambda ticket: ticket.customer_email,
    "ticket_number": lambda ticket: ticket.number,
    "ticket_id": lambda ticket: str(ticket.pk),
    "subject": lambda ticket: ticket.subject,
    "status": lambda ticket: ticket.status_word(),
    "priority": lambda ticket: str(ticket.get_priority_display()),
    "category": lambda ticket: ticket.category.name,
    "team": lambda ticket: ticket.team.name if ticket.team_id else "",
    "assignee_name": _assignee,
    "organization": _organization,
    "ticket_link": private_url,
    "agent_link": agent_ticket_url,
    "helpdesk_name": lambda ticket: settings.HELPDESK_NAME,
}
# `{agent_name}`: whoever applies a macro; the assignee for triggers and rules.
NAMES = frozenset([*VALUES, "agent_name"])


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text or "") if name not in NAMES})


def check(text: str) -> str | None:
    """The error to show for `text`'s placeholders, or None."""
    unknown = unknown_placeholders(text)
    if not unknown:
        return None
    return _("Unknown placeholder %(names)s; use %(known)s.") % {
        "names": ", ".join(f"{{{name}}}" for name in unknown),
        "known": ", ".join(f"{{{name}}}" for name in sorted(NAMES)),
    }


def render(text: str, *, ticket: Ticket, agent_name: str | None = None) -> str:
    """`text` with each known placeholder replaced by the ticket's value (read once)."""
    if not text or "{" not in text:
        return text
    values: dict[str, str] = {}

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            if name == "agent_name":
                values[name] = agent_name if agent_name is not None else _assignee(ticket)
            elif name in VALUES:
                values[name] = str(VALUES[name](ticket))
            else:
                return match[0]
        return values[name]

    return PLACEHOLDER.sub(value, text)
