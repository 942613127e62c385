"""Who else is on a ticket's page: viewing it, or typing a reply.

Kept in Redis, never in the database: it is a few seconds' worth of state, written on every
poll of every open ticket page. One sorted set per ticket, `presence:ticket:<id>` (under the
cache's key prefix), whose members are `<user id>:viewing` and `<user id>:typing`, each
scored by the time (epoch seconds) it expires:

1. The ticket page's activity poll (every POLL_SECONDS) marks its reader as viewing, for
   VIEWING_SECONDS; a page closed is gone after that.
2. The reply box's script (static/js/presence.js) posts a ping at most every few seconds
   while the agent types; it marks them as typing, for TYPING_SECONDS.
3. Every write and read removes the members whose time has passed (ZREMRANGEBYSCORE), and
   the key expires KEY_SECONDS after its last write, so a ticket nobody opens again leaves
   nothing behind.

Each request is one round trip (a MULTI pipeline). Redis down, or no Redis (the embedded
mode's local-memory cache): nobody is shown and the page works as before; the error is
logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from redis.exceptions import RedisError

from agents.decorators import agent_required
from agents.models import Agent
from tickets import selectors
from tickets.models import Ticket
from tickets.visibility import agents_who_may_see

logger = logging.getLogger(__name__)

POLL_SECONDS = 10  # the activity poll of templates/tickets/agent/ticket.html
VIEWING_SECONDS = 45  # four polls missed before a reader is taken for gone
TYPING_SECONDS = 8  # the script pings every TYPING_PING_SECONDS while keys are pressed
TYPING_PING_SECONDS = 3
KEY_SECONDS = 60

VIEWING, TYPING = "viewing", "typing"
_SECONDS = {VIEWING: VIEWING_SECONDS, TYPING: TYPING_SECONDS}


@dataclass(frozen=True)
class Present:
    name: str
    typing: bool


def _connection():
    """The project's Redis (the default cache's), or None when the cache is not Redis."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return None
    # Imported here: django_redis is only installed in use with a Redis cache configured.
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _key(ticket_id: int) -> str:
    # The cache's prefix (and version), so test runs and deployments sharing a Redis stay apart.
    return caches["default"].make_key(f"presence:ticket:{ticket_id}")


def presence_mark(*, ticket_id: int, user_id: int, state: str, now: float | None = None) -> dict[int, str] | None:
    """Mark `user_id` as `state` on the ticket; return everyone present after it, user id ->
    "typing" or "viewing" (typing wins), or None when presence is unavailable."""
    now = time.time() if now is None else now
    members = {f"{user_id}:{VIEWING}": now + VIEWING_SECONDS}
    if state == TYPING:
        members[f"{user_id}:{TYPING}"] = now + TYPING_SECONDS
    try:
        redis = _connection()
        if redis is None:
            return None
        key = _key(ticket_id)
        pipe = redis.pipeline()
        pipe.zadd(key, members)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, KEY_SECONDS)
        pipe.zrange(key, 0, -1)
        *_, alive = pipe.execute()
    except (RedisError, OSError) as error:
        logger.warning("presence unavailable for ticket %s: %s", ticket_id, error)
        return None
    return _states(alive)


def presence_read(*, ticket_id: int, now: float | None = None) -> dict[int, str] | None:
    """Who is present on the ticket, without marking anyone (user id -> state)."""
    now = time.time() if now is None else now
    try:
        redis = _connection()
        if redis is None:
            return None
        alive = redis.zrangebyscore(_key(ticket_id), f"({now}", "+inf")
    except (RedisError, OSError) as error:
        logger.warning("presence unavailable for ticket %s: %s", ticket_id, error)
        return None
    return _states(alive)


def _states(members: list[bytes]) -> dict[int, str]:
    states: dict[int, str] = {}
    for member in members:
        user_id, _, state = member.decode().partition(":")
        if user_id.isdigit() and state in _SECONDS and states.get(int(user_id)) != TYPING:
            states[int(user_id)] = state
    return states


def others_present(*, ticket: Ticket, viewer, states: dict[int, str] | None) -> list[Present]:
    """The people of `states` other than `viewer` who may see the ticket now (an agent taken
    off a restricted team disappears at once), by name: one query for agents, one more only
    when someone present has no agent profile (a superuser)."""
    if not states:
        return []
    ids = {user_id for user_id in states if user_id != viewer.pk}
    if not ids:
        return []
    agents = agents_who_may_see(Agent.objects.filter(user_id__in=ids, user__is_active=True), ticket.team_id)
    names = dict(agents.values_list("user_id", "name"))
    rest = ids - names.keys()
    if rest:  # those not shown: agents who may not see it, or superusers without a profile
        rest -= set(Agent.objects.filter(user_id__in=rest).values_list("user_id", flat=True))
    if rest:
        admins = get_user_model().objects.filter(pk__in=rest, is_superuser=True, is_active=True)
        names.update((user.pk, user.get_full_name() or user.get_username()) for user in admins)
    people = [Present(name=name, typing=states[user_id] == TYPING) for user_id, name in names.items()]
    return sorted(people, key=lambda person: (person.name.lower(), person.typing))


def present_on(*, ticket: Ticket, viewer) -> list[Present]:
    """For the activity poll: mark `viewer` as viewing and return the others present."""
    states = presence_mark(ticket_id=ticket.pk, user_id=viewer.pk, state=VIEWING)
    return others_present(ticket=ticket, viewer=viewer, states=states)


@require_POST
@agent_required
def ticket_typing(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box's ping: the agent is typing a reply on this ticket (204, no body)."""
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    presence_mark(ticket_id=ticket.pk, user_id=request.user.pk, state=TYPING)
    return HttpResponse(status=204)
