"""Labels of a ticket's values for templates that hold the value alone, not the ticket (the
SLA alerts render facts: notifications.payloads)."""

from __future__ import annotations

from django import template

from tickets.event_words import actor_words, event_sentence, value_words, when_words
from tickets.following import highlight_mentions
from tickets.models import Priority

register = template.Library()


@register.filter
def priority_label(value: str) -> str:
    """A priority's label in the active language ("high": "High"); a value it does not know, as it is."""
    return str(Priority(value).label) if value in Priority.values else value


@register.filter
def event_words(value: str, kind: str) -> str:
    """A history value in the reader's words (tickets.event_words): {{ event.new_value|event_words:event.kind }}."""
    return value_words(kind, value)


@register.filter
def history_sentence(event) -> str:
    """A history line's change as a sentence (tickets.event_words): {{ event|history_sentence }}."""
    return event_sentence(event.kind, event.old_value, event.new_value)


@register.filter
def history_time(moment) -> str:
    """A moment as the history says it, "5 Dec, 14:32" (tickets.event_words): {{ event.created_at|history_time }}."""
    return when_words(moment) if moment else ""


@register.filter
def actor(event) -> str:
    """Who made a history line's change, in words: {{ event|actor }}."""
    return actor_words(event.actor_type, event.actor_name)


@register.filter
def mentions(value: str, names) -> str:
    """An internal note's text, escaped, with the agents it @names marked up
    (tickets.following): {{ message.body|mentions:mention_names|linebreaksbr }}."""
    return highlight_mentions(value, names or ())
