"""Every rate limit: past its threshold a 429 with the real seconds left in `Retry-After`
(and, on the API, `X-RateLimit-*`), and accepted again once that many seconds have passed.

The clock is frozen with time-machine and moved by exactly the `Retry-After` the 429 gave:
one second short of it the limit still holds, at it the request is accepted. On the
PostgreSQL + Redis run the counts live in Redis, as in production.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import BASE_DIR, api_client_for, production_env
from feedback.models import Feedback
from feedback.services import survey_token
from feedback.tests.factories import SurveyInvitationFactory
from knowledge.tests.factories import ArticleFactory
from tickets.links import private_token
from tickets.models import Message, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

TICKET_FORM = {
    "customer_name": "Jane Roe",
    "customer_email": "jane@example.org",
    "category": "general",
    "subject": "Lamp arrived broken",
    "description": "The lamp I ordered arrived with a cracked shade.",
}
SURVEY_ANSWER = {"overall": "4", "would_recommend": "yes", "comment": "Thanks!"}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """A frozen clock that the test moves by hand."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def retry_after(response) -> int:
    assert response.status_code == 429, response.content[:300]
    seconds = int(response["Retry-After"])
    assert seconds >= 1
    return seconds


def assert_window_resets(clock, limited, send: Callable[[], object], *, window: int, accepted: int) -> None:
    """Retry-After is the real time left: still refused a second before it, accepted at it."""
    seconds = retry_after(limited)
    assert seconds <= window
    if seconds > 1:
        clock.shift(timedelta(seconds=seconds - 1))
        assert send().status_code == 429
        clock.shift(timedelta(seconds=1))
    else:
        clock.shift(timedelta(seconds=seconds))
    assert send().status_code == accepted


# --- Pages -------------------------------------------------------------------------------


def test_portal_submissions_are_limited_per_address_and_reset(client, category, settings, clock):
    settings.PORTAL_TICKET_RATE = "2/h"

    statuses = [client.post("/portal/tickets/new", TICKET_FORM).status_code for _ in range(2)]
    limited = client.post("/portal/tickets/new", TICKET_FORM)

    assert statuses == [302, 302]
    assert "Too many requests" in limited.content.decode()
    assert Ticket.objects.count() == 2
    # Another address is counted on its own.
    assert Client(REMOTE_ADDR="10.9.8.7").post("/portal/tickets/new", TICKET_FORM).status_code == 302
    assert_window_resets(
        clock, limited, lambda: client.post("/portal/tickets/new", TICKET_FORM), window=3600, accepted=302
    )
    assert Ticket.objects.count() == 4


def test_the_429_page_says_when_to_come_back(client, category, settings, clock):
    settings.PORTAL_TICKET_RATE = "1/h"
    client.post("/portal/tickets/new", TICKET_FORM)

    limited = client.post("/portal/tickets/new", TICKET_FORM)

    seconds = retry_after(limited)
    minutes = -(-seconds // 60)
    wait = f"{seconds} seconds" if seconds < 90 else f"{minutes} minutes"
    assert f"try again in about\n   {wait}" in limited.content.decode()


def test_portal_replies_are_limited_per_address_and_reset(client, settings, clock):
    settings.PORTAL_REPLY_RATE = "2/m"
    ticket = TicketFactory(status="open")
    url = f"/portal/tickets/{private_token(ticket)}/"
    reply = {"body": "Any news?"}

    statuses = [client.post(url, reply).status_code for _ in range(2)]
    limited = client.post(url, reply)

    assert statuses == [302, 302]
    assert ticket.messages.count() == 2
    assert_window_resets(clock, limited, lambda: client.post(url, reply), window=60, accepted=302)


def test_link_lookups_are_limited_per_address_and_reset(client, settings, clock):
    settings.PORTAL_LOOKUP_RATE = "2/h"
    send = lambda: client.post("/portal/tickets/lookup", {"email": "jane@example.org"})  # noqa: E731

    statuses = [send().status_code for _ in range(2)]
    limited = send()

    assert statuses == [200, 200]
    assert_window_resets(clock, limited, send, window=3600, accepted=200)


def test_survey_submissions_are_limited_per_address_and_reset(client, settings, clock):
    settings.PORTAL_SURVEY_RATE = "2/h"
    invitation = SurveyInvitationFactory()
    url = f"/portal/survey/{survey_token(invitation)}"

    statuses = [client.post(url, {"overall": "9"}).status_code for _ in range(2)]
    limited = client.post(url, SURVEY_ANSWER)

    assert statuses == [400, 400]
    assert Feedback.objects.count() == 0  # the refused answer was not recorded
    assert_window_resets(clock, limited, lambda: client.post(url, SURVEY_ANSWER), window=3600, accepted=302)
    assert Feedback.objects.count() == 1


# Sign-in attempts: test_sign_in_throttle.py (django-axes, one throttle for every password form).


def test_password_reset_requests_are_limited_per_address_and_reset(client, agent, settings, clock, mailoutbox):
    """Per client address, whatever address is asked for (per address asked for:
    test_sign_in_throttle.py); each request here names another, so only this limit counts."""
    settings.PASSWORD_RESET_RATE = "2/h"
    asked = iter([agent.user.email, "nobody1@example.org", "nobody2@example.org", "nobody3@example.org", "n4@x.org"])
    send = lambda: client.post("/accounts/password_reset/", {"email": next(asked)})  # noqa: E731

    statuses = [send().status_code for _ in range(2)]
    limited = send()

    assert statuses == [302, 302]
    assert len(mailoutbox) == 1  # only the agent's address has an account
    assert_window_resets(clock, limited, send, window=3600, accepted=302)


def test_helpful_votes_are_limited_per_address_and_reset(settings, clock):
    settings.KB_VOTE_RATE = "2/h"
    article = ArticleFactory(status="published")
    send = lambda: Client().post(f"/kb/{article.slug}/helpful", {"helpful": "yes"})  # noqa: E731

    statuses = [send().status_code for _ in range(2)]
    limited = send()

    assert statuses == [302, 302]
    assert_window_resets(clock, limited, send, window=3600, accepted=302)


# --- API ---------------------------------------------------------------------------------


def test_api_requests_are_limited_per_token_with_headers_and_reset(agent, settings, clock):
    settings.API_USER_RATE = "3/m"
    api = api_client_for(agent.user)

    answers = [api.get("/api/support/tickets") for _ in range(3)]
    limited = api.get("/api/support/tickets")

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer["X-RateLimit-Limit"] for answer in answers] == ["3", "3", "3"]
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0"]
    assert limited["X-RateLimit-Limit"] == "3" and limited["X-RateLimit-Remaining"] == "0"
    assert limited.json()["detail"]
    assert_window_resets(clock, limited, lambda: api.get("/api/support/tickets"), window=60, accepted=200)
    assert api.get("/api/support/tickets")["X-RateLimit-Remaining"] == "1"


def test_api_limits_count_each_user_on_its_own(agent, other_agent, settings, clock):
    settings.API_USER_RATE = "2/m"
    mine, theirs = api_client_for(agent.user), api_client_for(other_agent.user)

    for _ in range(2):
        mine.get("/api/support/tickets")

    assert mine.get("/api/support/tickets").status_code == 429
    other = theirs.get("/api/support/tickets")
    assert other.status_code == 200 and other["X-RateLimit-Remaining"] == "1"


def test_api_writes_past_the_limit_create_nothing(agent, category, settings, clock):
    settings.API_USER_RATE = "1/m"
    api = api_client_for(agent.user)
    payload = {**TICKET_FORM, "category": "general"}

    assert api.post("/api/support/tickets", payload, format="json").status_code == 201
    limited = api.post("/api/support/tickets", payload, format="json")

    assert limited.status_code == 429 and limited["X-RateLimit-Remaining"] == "0"
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 0


def test_anonymous_api_requests_are_limited_per_address_and_reset(settings, clock):
    settings.API_ANON_RATE = "2/h"
    ArticleFactory(status="published")
    api = Client()

    answers = [api.get("/api/support/articles") for _ in range(2)]
    limited = api.get("/api/support/articles")

    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0]["X-RateLimit-Limit"] == "2" and answers[1]["X-RateLimit-Remaining"] == "0"
    assert limited["X-RateLimit-Remaining"] == "0"
    assert_window_resets(clock, limited, lambda: api.get("/api/support/articles"), window=3600, accepted=200)


def test_api_helpful_votes_answer_json_429_with_retry_after(anonymous_api, settings, clock):
    settings.KB_VOTE_RATE = "1/h"
    article = ArticleFactory(status="published")
    url = f"/api/support/articles/{article.pk}/helpful"

    anonymous_api.post(url, {"helpful": True}, format="json")
    limited = anonymous_api.post(url, {"helpful": True}, format="json")

    assert limited["Content-Type"].startswith("application/json")
    assert str(retry_after(limited)) in limited.json()["detail"]
    assert 1 <= retry_after(limited) <= 3600


def test_an_empty_rate_turns_the_api_limit_off(agent, settings):
    settings.API_USER_RATE = ""
    api = api_client_for(agent.user)

    answers = [api.get("/api/support/tickets") for _ in range(5)]

    assert {answer.status_code for answer in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[-1]


# --- Shared across processes ---------------------------------------------------------------


def test_limits_count_in_redis_when_redis_url_is_set(tmp_path):
    """Production counts every limit in the Redis cache, which all processes share."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.cache import caches\n"
        "cache = caches[settings.RATELIMIT_USE_CACHE]\n"
        "print(type(cache._cache).__module__ if hasattr(cache, '_cache') else '', type(cache).__name__,"
        " cache._server if hasattr(cache, '_server') else '')\n"
    )
    env = production_env(tmp_path, REDIS_URL="redis://127.0.0.1:6399/3")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "RedisCache" in result.stdout
    assert "redis://127.0.0.1:6399/3" in result.stdout


# --- How a request is counted --------------------------------------------------------------


def _count_five_per_minute(rf, address: str = "203.0.113.7"):
    from core.ratelimit import count_request

    request = rf.get("/api/support/articles", REMOTE_ADDR=address)
    return count_request(request, group="test.counting", key="ip", rate="5/m")


def test_each_request_adds_one_to_its_window_and_the_sixth_of_five_is_limited(rf, clock):
    usages = [_count_five_per_minute(rf) for _ in range(6)]

    assert [u["count"] for u in usages] == [1, 2, 3, 4, 5, 6]
    assert [u["should_limit"] for u in usages] == [False] * 5 + [True]
    assert {u["limit"] for u in usages} == {5}
    assert all(0 <= u["time_left"] < 60 for u in usages)
    assert _count_five_per_minute(rf, "203.0.113.8")["count"] == 1  # another address counts apart
    clock.shift(timedelta(seconds=usages[-1]["time_left"] + 1))
    assert _count_five_per_minute(rf)["count"] == 1  # the next window starts afresh


def test_counts_are_kept_where_django_ratelimit_keeps_them(rf, clock):
    """Same cache keys and windows as django-ratelimit's own counting, so a count survives a
    deploy that switches between the two, and django-ratelimit's readers see it."""
    from django_ratelimit.core import get_usage

    for _ in range(3):
        _count_five_per_minute(rf)
    request = rf.get("/api/support/articles", REMOTE_ADDR="203.0.113.7")

    assert get_usage(request, group="test.counting", key="ip", rate="5/m", increment=False)["count"] == 3
    assert get_usage(request, group="test.counting", key="ip", rate="5/m", increment=True)["count"] == 4
    assert _count_five_per_minute(rf)["count"] == 5


def test_in_redis_a_count_is_one_write_that_reads_nothing_and_expires_with_its_window(rf, monkeypatch):
    import redis
    from django.core.cache import caches

    from core.ratelimit import _is_redis

    cache = caches["default"]
    if not _is_redis(cache):
        pytest.skip("the cache is Redis on the PostgreSQL + Redis run only")

    commands: list[str] = []
    execute = redis.Redis.execute_command

    def recorded(self, *args, **options):
        commands.append(str(args[0]).upper())
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recorded)
    usages = [_count_five_per_minute(rf) for _ in range(3)]
    monkeypatch.undo()

    assert [u["count"] for u in usages] == [1, 2, 3]
    assert commands in (["EVAL"] * 3, ["EVALSHA"] * 3)  # one round trip each: no GET, EXISTS or TTL
    keys = cache.client.get_client().keys(f"{cache.key_prefix}:*:rl:*")
    assert len(keys) == 1
    assert 60 < cache.client.get_client().ttl(keys[0]) <= 65  # the window, plus django-ratelimit's 5 s
