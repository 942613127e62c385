"""The queue's view and filters as its URL spells them, read once for every page that acts on
"the queue as shown": the queue itself, its CSV export and a bulk change of all that match."""

from __future__ import annotations

from django.http import QueryDict

from tickets import selectors

FILTER_KEYS = ("status", "priority", "category", "assignee", "team", "tag", "q", "sort")


def queue_criteria(params: QueryDict, user, *, prefix: str = "") -> tuple[str, dict[str, str]]:
    """The queue view and filters `params` ask for: an unknown view is the default one, a
    filter is cut to 200 characters, and an agent or team id that is not one is no filter.
    `prefix` reads them from fields named apart from a form's own (the bulk bar's)."""
    view = params.get(f"{prefix}view") or selectors.default_queue_view(user)
    view = view if view in selectors.QUEUE_VIEWS else "open"
    filters = {key: params.get(f"{prefix}{key}", "").replace("\x00", "").strip()[:200] for key in FILTER_KEYS}
    for key in ("assignee", "team"):
        if not (filters[key].isdigit() and len(filters[key]) <= 9) and not (key == "team" and filters[key] == "none"):
            filters[key] = ""
    return view, filters
