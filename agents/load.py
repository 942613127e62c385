"""An agent's open load, as tickets defines it: a seam from agents up to tickets.

agents sits below tickets in the layers and cannot import it, yet the agent API shows each
agent's open tickets. tickets registers its annotation (tickets.assignment.open_load, the
one definition) here from TicketsConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Expression

_open_load: Callable[[], Expression] | None = None


def register_open_load(annotation: Callable[[], Expression]) -> None:
    global _open_load
    _open_load = annotation


def open_load() -> Expression:
    """An annotation of Agent rows: how many open tickets each agent holds."""
    if _open_load is None:
        raise ImproperlyConfigured("No open-load annotation registered: is the tickets app installed?")
    return _open_load()
