"""The seam through which a merge of two profiles moves what belongs to a profile in the apps
above customers (their tickets): each registers a mover in its AppConfig.ready().

A mover is called inside the merge's transaction, with both profiles locked, as
`mover(source=, target=, actor=)`; it moves every row of `source` to `target` in a few
set-based statements and returns how many it moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.roles import Actor
    from customers.models import Customer

Mover = Callable[..., int]

_movers: list[Mover] = []


def register(mover: Mover) -> None:
    if mover not in _movers:
        _movers.append(mover)


def move_all(*, source: Customer, target: Customer, actor: Actor) -> int:
    """Run every registered mover; how many rows they moved in all."""
    if not _movers:  # a merge that moved nothing would leave tickets pointing at a deleted profile
        raise RuntimeError("No mover is registered with customers.merging (TicketsConfig.ready registers one).")
    return sum(mover(source=source, target=target, actor=actor) for mover in _movers)
