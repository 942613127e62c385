"""Two-factor sign-in (issue 20, point 2): an authenticator app and recovery codes, required
for the roles of MFA_REQUIRED_ROLES, Django admin included, with the secret encrypted."""

from __future__ import annotations

import base64
import hmac
import re
import struct
import time
from html import unescape

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from agents.mfa import MFAAdapter
from agents.tests.factories import AgentFactory

# allauth announces a new factor (the email, the session's upgrade) when its transaction
# commits, within the request: the tests commit as production does.
pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN = "/accounts/login/"
ACTIVATE = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238's code: HMAC-SHA1 of the 30-second counter, dynamically truncated to 6 digits."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = ["supervisor", "admin"]


def sign_in(client: Client, username: str, next_url: str = "") -> object:
    return client.post(SIGN_IN + (f"?next={next_url}" if next_url else ""), {"login": username, "password": "password"})


def set_up_app(client: Client) -> str:
    """Add an authenticator app on the activation page; returns its secret."""
    page = client.get(ACTIVATE)
    assert page.status_code == 200, page
    secret = unescape(re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())[1])
    answer = client.post(ACTIVATE, {"code": totp(secret)})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return secret


def test_a_required_role_must_set_up_an_app_before_anything_else(client, supervisor, required, mailoutbox):
    assert sign_in(client, "supervisor").status_code == 302

    sent_away = client.get("/agent/")
    api = client.get("/api/support/tickets")
    assert sent_away.status_code == 302 and sent_away["Location"] == ACTIVATE
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"

    secret = set_up_app(client)

    assert client.get("/agent/").status_code == 200
    assert client.get("/api/support/tickets").status_code == 200
    stored = Authenticator.objects.get(user=supervisor.user, type=Authenticator.Type.TOTP).data["secret"]
    assert stored != secret and MFAAdapter().decrypt(stored) == secret  # encrypted at rest
    assert Authenticator.objects.filter(user=supervisor.user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert [m.to for m in mailoutbox] == [[supervisor.user.email]]  # the agent is told


def test_with_an_app_the_password_alone_does_not_sign_in(supervisor, required):
    setup = Client()
    sign_in(setup, "supervisor")
    secret = set_up_app(setup)

    client = Client()
    first = sign_in(client, "supervisor")
    assert first.status_code == 302 and first["Location"] == AUTHENTICATE
    assert client.get("/agent/").status_code == 302  # not signed in yet
    wrong = client.post(AUTHENTICATE, {"code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    right = client.post(AUTHENTICATE, {"code": totp(secret)})
    assert right.status_code == 302 and right["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


def test_wrong_codes_are_limited_per_user(supervisor, required):
    setup = Client()
    sign_in(setup, "supervisor")
    secret = set_up_app(setup)
    client = Client()
    sign_in(client, "supervisor")

    answers = [client.post(AUTHENTICATE, {"code": "12345x"}).content.decode() for _ in range(6)]
    last = client.post(AUTHENTICATE, {"code": totp(secret)})

    assert "Too many failed" in answers[-1]
    assert last.status_code == 200 and client.get("/agent/").status_code == 302


def test_a_recovery_code_signs_in_once(supervisor, required):
    setup = Client()
    sign_in(setup, "supervisor")
    set_up_app(setup)
    codes = Authenticator.objects.get(user=supervisor.user, type=Authenticator.Type.RECOVERY_CODES)
    code = codes.wrap().get_unused_codes()[0]

    once = Client()
    sign_in(once, "supervisor")
    assert once.post(AUTHENTICATE, {"code": code})["Location"] == "/agent/"
    twice = Client()
    sign_in(twice, "supervisor")
    assert twice.post(AUTHENTICATE, {"code": code}).status_code == 200
    assert twice.get("/agent/").status_code == 302


def test_a_required_role_cannot_remove_its_app_but_an_agent_can(supervisor, agent, required):
    client = Client()
    sign_in(client, "supervisor")
    set_up_app(client)
    refused = client.post("/accounts/2fa/totp/deactivate/")
    assert refused.status_code == 200 and "cannot deactivate" in refused.content.decode()
    assert Authenticator.objects.filter(user=supervisor.user, type=Authenticator.Type.TOTP).exists()

    own = Client()
    sign_in(own, "agent")
    set_up_app(own)  # optional for the role agent, still possible
    assert own.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=agent.user, type=Authenticator.Type.TOTP).exists()


def test_the_admin_signs_in_through_the_same_form_and_its_second_factor(admin_user, required):
    client = Client()

    to_form = client.get("/admin/")
    to_sign_in = client.get(to_form["Location"])
    assert to_sign_in["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    signed = client.post(to_sign_in["Location"], {"login": "root", "password": "password"})
    assert signed["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == ACTIVATE  # a superuser counts as admin
    set_up_app(client)
    assert client.get("/admin/").status_code == 200


def test_a_session_that_skipped_the_sign_in_form_is_signed_out(supervisor, required):
    client = Client()
    client.force_login(supervisor.user)  # as a session from before this change would be

    answer = client.get("/agent/tickets")

    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session


def test_roles_outside_the_setting_sign_in_with_a_password(agent, required):
    client = Client()
    assert sign_in(client, "agent")["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


def test_without_required_roles_nobody_is_sent_to_set_up(supervisor, settings):
    settings.MFA_REQUIRED_ROLES = []
    client = Client()
    sign_in(client, "supervisor")
    assert client.get("/agent/").status_code == 200


def test_an_admin_role_agent_is_required_too(required):
    AgentFactory(user__username="ada", role="admin")
    client = Client()
    sign_in(client, "ada")
    assert client.get("/agent/")["Location"] == ACTIVATE


def test_adding_an_app_is_in_the_audit_log_without_its_secret(supervisor, required):
    from auditlog.models import LogEntry

    client = Client()
    sign_in(client, "supervisor")
    secret = set_up_app(client)

    entries = LogEntry.objects.filter(content_type__app_label="mfa")
    assert {e.action for e in entries} == {LogEntry.Action.CREATE}
    assert {e.changes_dict.get("type", [None, None])[1] for e in entries} >= {"totp"}
    assert all(secret not in str(e.changes) for e in entries)
