"""One throttle for every password form (issue 20, point 1), with a test for each bypass a
review found: the admin's sign-in outside the limit, usernames that Django normalizes but
the limit did not, and successful sign-ins eating the allowance.

The clock is frozen (time-machine) and moved by the `Retry-After` a 429 gave: a second short
of it the lock holds, at it the right password signs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from agents.tests.factories import AgentFactory
from core.accounts import normalized_username

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/login/"
ADMIN_SIGN_IN = "/admin/login/?next=/admin/"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _three_failures(settings):
    settings.LOGIN_RATE = "3/15m"


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _retry_after(response) -> int:
    assert response.status_code == 429, response.content[:300]
    return int(response["Retry-After"])


def assert_lock_lifts(clock, locked, sign_in) -> None:
    """Refused a second before Retry-After, whatever the password; signed in at it."""
    seconds = _retry_after(locked)
    assert 1 <= seconds <= 15 * 60 + 1
    clock.shift(timedelta(seconds=seconds - 1))
    assert sign_in().status_code == 429
    clock.shift(timedelta(seconds=1))
    assert sign_in().status_code == 302


def test_the_third_failure_locks_the_username_and_the_right_password_waits(client, agent, clock):
    wrong = {"login": "agent", "password": "wrong"}

    statuses = [client.post(SIGN_IN, wrong).status_code for _ in range(3)]
    right = client.post(SIGN_IN, {"login": "agent", "password": "password"})

    assert statuses == [200, 200, 429]
    assert right.status_code == 429 and not _signed_in(client)
    assert "Sign-in locked for now" in right.content.decode()
    assert_lock_lifts(clock, right, lambda: client.post(SIGN_IN, {"login": "agent", "password": "password"}))
    assert _signed_in(client)


def test_the_admin_sign_in_is_the_throttled_form_and_checks_no_password_itself(admin_user, clock):
    """The review's high finding: 40 wrong passwords at /admin/login/ were all answered, then
    the right one signed in. The admin's form now takes no password: it sends everyone to the
    one sign-in form (its throttle, its second factor) and back to the admin afterwards."""
    attacker = Client(REMOTE_ADDR="203.0.113.5")

    answers = [attacker.post(ADMIN_SIGN_IN, {"username": "root", "password": "wrong"}) for _ in range(40)]
    right_at_admin = attacker.post(ADMIN_SIGN_IN, {"username": "root", "password": "password"})

    assert {a.status_code for a in answers} == {302}
    assert right_at_admin["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert not _signed_in(attacker)
    statuses = [attacker.post(SIGN_IN, {"login": "root", "password": "wrong"}).status_code for _ in range(3)]
    locked = attacker.post(SIGN_IN, {"login": "root", "password": "password", "next": "/admin/"})
    assert statuses == [200, 200, 429]
    assert (
        Client(REMOTE_ADDR="198.51.100.7").post(SIGN_IN, {"login": "root", "password": "password"}).status_code == 429
    )
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert_lock_lifts(
        clock, locked, lambda: owner.post(SIGN_IN, {"login": "root", "password": "password", "next": "/admin/"})
    )
    assert owner.get("/admin/").status_code == 200
    assert owner.get(ADMIN_SIGN_IN)["Location"] == "/admin/"


def test_failures_from_one_address_lock_that_address_for_every_username(agent, clock):
    attacker = Client(REMOTE_ADDR="203.0.113.9")

    statuses = [attacker.post(SIGN_IN, {"login": f"guess{n}", "password": "x"}).status_code for n in range(3)]
    locked = attacker.post(SIGN_IN, {"login": "agent", "password": "password"})
    elsewhere = Client(REMOTE_ADDR="198.51.100.1").post(SIGN_IN, {"login": "agent", "password": "password"})

    assert statuses == [200, 200, 429]
    assert locked.status_code == 429
    assert elsewhere.status_code == 302  # the agent's own sign-in from another address


@pytest.mark.parametrize("variant", ["agent ", " agent", "ａｇｅｎｔ", "AGENT", "Agent\u00a0"])
def test_spellings_django_reads_as_the_same_username_share_its_count(agent, variant):
    """The review's medium finding: after 10 failures for `chen`, `"chen "` and `ｃｈｅｎ`
    still signed in, because the limit counted the raw value Django then normalized."""
    for n in range(2):
        Client(REMOTE_ADDR=f"10.1.0.{n}").post(SIGN_IN, {"login": "agent", "password": "wrong"})

    third = Client(REMOTE_ADDR="10.1.0.50").post(SIGN_IN, {"login": variant, "password": "wrong"})
    right = Client(REMOTE_ADDR="10.1.0.51").post(SIGN_IN, {"login": variant, "password": "password"})

    assert normalized_username(variant) == "agent"
    assert third.status_code == 429
    assert right.status_code == 429


def test_successful_sign_ins_do_not_use_up_the_allowance(agent):
    for _ in range(10):
        client = Client(REMOTE_ADDR="10.2.0.1")
        assert client.post(SIGN_IN, {"login": "agent", "password": "password"}).status_code == 302

    failures = [
        Client(REMOTE_ADDR="10.2.0.1").post(SIGN_IN, {"login": "agent", "password": "wrong"}).status_code
        for _ in range(2)
    ]
    right = Client(REMOTE_ADDR="10.2.0.1").post(SIGN_IN, {"login": "agent", "password": "password"})

    assert failures == [200, 200]
    assert right.status_code == 302


def test_an_admin_can_lift_a_lock(agent):
    for _ in range(3):
        Client().post(SIGN_IN, {"login": "AGENT ", "password": "wrong"})
    right = {"login": "agent", "password": "password"}
    assert Client(REMOTE_ADDR="10.3.0.1").post(SIGN_IN, right).status_code == 429

    call_command("axes_reset_username", "agent")

    assert Client(REMOTE_ADDR="10.3.0.1").post(SIGN_IN, right).status_code == 302


def test_another_agent_is_not_locked_by_a_colleagues_failures(agent):
    other = AgentFactory(user__username="chen")
    for n in range(3):
        Client(REMOTE_ADDR=f"10.4.0.{n}").post(SIGN_IN, {"login": "agent", "password": "wrong"})

    answer = Client(REMOTE_ADDR="10.4.0.9").post(SIGN_IN, {"login": "chen", "password": "password"})

    assert answer.status_code == 302
    assert other.user.username == "chen"


def test_password_reset_is_limited_per_address_asked_for_from_any_client(agent, settings, mailoutbox):
    settings.PASSWORD_RESET_RATE = "2/h"
    email = agent.user.email

    statuses = [
        Client(REMOTE_ADDR=f"10.5.0.{n}").post("/accounts/password_reset/", {"email": variant}).status_code
        for n, variant in enumerate([email, f" {email.upper()}", email])
    ]

    assert statuses == [302, 302, 429]
    assert len(mailoutbox) == 2


def test_a_sign_in_lasts_the_session_cookie_age_not_the_browser_session(agent, settings):
    client = Client()
    client.post(SIGN_IN, {"login": "agent", "password": "password"})

    assert client.session.get_expire_at_browser_close() is False
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
