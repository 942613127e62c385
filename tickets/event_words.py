"""A history line's values as a person reads them, in the active language.

TicketEvent keeps its values as written when the change happened, in the API's terms
("pending", "portal, normal, general", "message 12", an ISO time): integrations read them
as data, and they must not change with anyone's language. The ticket page shows them through
`event_words`: labels for statuses, priorities and channels, dates in the reader's format
and time zone, words around message numbers, "no team" for a team event's empty side (a
team's name as it was then), "nobody" for an assignee event's. A value this does not
recognise is shown as written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tickets.models import STATUS_WORDS, Channel, EventKind, Priority

_MESSAGE = re.compile(r"^message (\d+)$")
_AUTOMATION = re.compile(r"^(trigger|rule|macro) (.+)$", re.DOTALL)
_CC = re.compile(r"^(added|removed) (\S+@\S+)$")
_RATING = re.compile(r"^(\d+) for message (\d+)$")
_MERGE = re.compile(r"^(into|from) (\d+)$")
_LINK = re.compile(r"^(added|removed) (\d+)$")
_SPLIT = re.compile(r"^(?:to (\d+)|from (\d+), message (\d+))$")
_DUE = re.compile(
    r"^(?P<policy>.+): first response by (?P<first>\d{4}-\d\d-\d\d \d\d:\d\d) UTC, "
    r"resolution by (?P<resolution>\d{4}-\d\d-\d\d \d\d:\d\d) UTC$"
)
_DUE_RESOLUTION = re.compile(r"^(?P<policy>.+): resolution by (?P<resolution>\d{4}-\d\d-\d\d \d\d:\d\d) UTC$")


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def when_words(moment: datetime) -> str:
    """A moment as the history says it, in the reader's time zone and language: "5 Dec, 14:32"
    ("5 декабря, 14:32"), with the year when it is not this year's; never seconds."""
    local = timezone.localtime(moment)
    if local.year == timezone.localdate().year:
        # Translators: a moment in a ticket's history, in Django's date format ("5 Dec, 14:32");
        # Russian: "j E, H:i" (the month's name in the genitive, "5 декабря, 14:32").
        return formats.date_format(local, pgettext("history time, Django date format", "j M, H:i"))
    # Translators: a moment of another year in a ticket's history ("5 Dec 2025, 14:32"); Russian: "j E Y, H:i".
    return formats.date_format(local, pgettext("history time of another year, Django date format", "j M Y, H:i"))


_when = when_words


def _utc(text: str) -> str:
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        return text
    return _when(moment)


def value_words(kind: str, value: str) -> str:
    """`value` of an event of `kind`, in words of the active language."""
    if not value:
        # A team or assignee event's empty side: the ticket had, or was left with, no team
        # or no assignee.
        if kind == EventKind.TEAM:
            return pgettext("ticket history", "no team")
        if kind == EventKind.ASSIGNEE:
            return pgettext("ticket history", "nobody")
        if kind == EventKind.TAGS:
            return pgettext("ticket history", "no tags")
        return value
    if kind == EventKind.STATUS:
        return str(STATUS_WORDS.get(value, value))
    if kind == EventKind.PRIORITY:  # in a sentence: "Priority normal → high"
        return _label(Priority, value).lower()
    if kind == EventKind.CREATED:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) == 3:
            channel, priority, category = parts
            return f"{_label(Channel, channel).lower()}, {_label(Priority, priority).lower()}, {category}"
        return value
    if kind == EventKind.FIRST_RESPONSE:
        try:
            return _when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if kind in (EventKind.REPLY, EventKind.NOTE, EventKind.CUSTOMER_REPLY) and (match := _MESSAGE.match(value)):
        return _("message %(number)s") % {"number": match[1]}
    if kind == EventKind.RATING and (match := _RATING.match(value)):
        return _("%(rating)s for message %(number)s") % {"rating": match[1], "number": match[2]}
    if kind == EventKind.CC and (match := _CC.match(value)):
        # Translators: a ticket's history: an address copied on it (CC) was added or removed. The
        # line reads "CC added <address>": these words follow the event's name ("CC", context
        # "ticket history") and agree with it.
        words = _("added %(address)s") if match[1] == "added" else _("removed %(address)s")
        return words % {"address": match[2]}
    if kind == EventKind.MERGE and (match := _MERGE.match(value)):
        # Translators: a ticket's history: the line reads "Merge: merged into #12" on the
        # duplicate, "Merge: #11 merged into this ticket" on the ticket that goes on.
        if match[1] == "into":
            return _("merged into #%(number)s") % {"number": match[2]}
        return _("#%(number)s merged into this ticket") % {"number": match[2]}
    if kind == EventKind.LINK and (match := _LINK.match(value)):
        # Translators: a ticket's history: a related ticket was linked to it or unlinked.
        if match[1] == "added":
            return _("linked to #%(number)s") % {"number": match[2]}
        return _("unlinked from #%(number)s") % {"number": match[2]}
    if kind == EventKind.SPLIT and (match := _SPLIT.match(value)):
        # Translators: a ticket's history: a customer's message was split off into a new ticket.
        if match[1]:
            return _("a message split off into #%(number)s") % {"number": match[1]}
        return _("split off #%(number)s (message %(message)s)") % {"number": match[2], "message": match[3]}
    if kind == EventKind.AUTOMATION and (match := _AUTOMATION.match(value)):
        # Translators: a ticket's history: which automation acted on it; the name is the admin's.
        if match[1] == "trigger":
            return _("trigger “%(name)s” fired") % {"name": match[2]}
        if match[1] == "rule":
            return _("time rule “%(name)s” fired") % {"name": match[2]}
        return _("macro “%(name)s” applied") % {"name": match[2]}
    if kind == EventKind.LINK_ROTATED and value == "(the customer was emailed the new one)":
        return _("(the customer was emailed the new one)")
    if kind == EventKind.DUE_TIMES:
        if value == "no SLA policy":
            return pgettext("ticket history", "no SLA policy")
        if match := _DUE.match(value):
            # Translators: a ticket's due times in its history; the times are in the reader's format.
            return _("%(policy)s: first response by %(first)s, resolution by %(resolution)s") % {
                "policy": match["policy"],
                "first": _utc(match["first"]),
                "resolution": _utc(match["resolution"]),
            }
        if match := _DUE_RESOLUTION.match(value):
            # Translators: a ticket's due times in its history, after its first reply was sent.
            return _("%(policy)s: resolution by %(resolution)s") % {
                "policy": match["policy"],
                "resolution": _utc(match["resolution"]),
            }
    return value


def actor_words(actor_type: str, name: str) -> str:
    """Who made a change, as the history names them: a person or integration by name, the
    desk's automation by what it is ("trigger “VIP to enterprise”")."""
    if actor_type == "trigger":
        # Translators: who changed a ticket, in its history: one of the desk's triggers.
        return _("Trigger “%(name)s”") % {"name": name}
    if actor_type == "rule":
        # Translators: who changed a ticket, in its history: one of the desk's time rules.
        return _("Time rule “%(name)s”") % {"name": name}
    return name


def _kind_words(kind: str) -> str:
    """What changed, at the start of a history sentence ("First response")."""
    if kind == EventKind.FIRST_RESPONSE:
        return pgettext("ticket history, in a sentence", "First response")
    if kind == EventKind.CUSTOMER_REPLY:
        return pgettext("ticket history, in a sentence", "Customer reply")
    if kind == EventKind.DUE_TIMES:
        return pgettext("ticket history, in a sentence", "Due times")
    return str(EventKind(kind).label) if kind in EventKind.values else kind


def event_sentence(kind: str, old: str, new: str) -> str:
    """A history line's change as a sentence: "Priority normal → high" for a change,
    "First response: 5 Dec, 14:32" for a single value."""
    what = _kind_words(kind)
    if old:
        # Translators: a change in a ticket's history: "Priority normal → high".
        return _("%(what)s %(old)s → %(new)s") % {
            "what": what,
            "old": value_words(kind, old),
            "new": value_words(kind, new),
        }
    if kind == EventKind.CC:  # "CC added <address>": the words agree with "CC" (value_words)
        return f"{what} {value_words(kind, new)}"
    # Translators: a ticket's history line with one value: "First response: 5 Dec, 14:32".
    return _("%(what)s: %(new)s") % {"what": what, "new": value_words(kind, new)}
