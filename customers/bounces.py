"""The seam through which clearing a profile's "bouncing" flag reaches the apps above
customers that keep their own record of bounces (mail's BouncedAddress rows, which the
ticket page's warning reads): each registers a clearer in its AppConfig.ready().

A clearer is called inside `customer_update`'s transaction, as `clearer(addresses=)` with
every address of the profile (its own and its aliases, normalized); it forgets them in a
statement or two and returns how many records it removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Clearer = Callable[..., int]

_clearers: list[Clearer] = []


def register(clearer: Clearer) -> None:
    if clearer not in _clearers:
        _clearers.append(clearer)


def clear_all(*, addresses: Sequence[str]) -> int:
    """Run every registered clearer; how many records they removed in all. (With none
    registered, mail is not installed: there is nothing else to clear.)"""
    if not addresses:
        return 0
    return sum(clearer(addresses=list(addresses)) for clearer in _clearers)
