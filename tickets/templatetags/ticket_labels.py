"""Labels of a ticket's values for templates that hold the value alone, not the ticket (the
SLA alerts render facts: notifications.payloads)."""

from __future__ import annotations

from django import template

from tickets.models import Priority

register = template.Library()


@register.filter
def priority_label(value: str) -> str:
    """A priority's label in the active language ("high": "High"); a value it does not know, as it is."""
    return str(Priority(value).label) if value in Priority.values else value
