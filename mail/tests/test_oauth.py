"""IMAP sign-in with OAuth2 (SASL XOAUTH2), as Microsoft 365 and Google Workspace require
(SPEC, Part 2): real parts throughout. A local identity provider (mail/tests/identity.py)
issues the tokens and tells a real dovecot which ones are valid; the helpdesk gets its tokens
from it over HTTP, caches them, and signs in to dovecot with them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.text import capfirst

from mail import oauth
from mail.imap import poll_enabled_mailboxes, poll_mailbox
from mail.models import InboundEmail, Mailbox
from mail.tests.conftest import CLIENT_SECRET_ENV, REFRESH_TOKEN_ENV
from mail.tests.dovecot import simple_email
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MAILBOXES = "/admin/mail/mailbox/"


def fresh(mailbox: Mailbox) -> Mailbox:
    mailbox.refresh_from_db()
    return mailbox


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# --- Signing in ---------------------------------------------------------------------------


def test_client_credentials_sign_in_takes_the_mail_in(dovecot, idp, make_oauth_mailbox):
    user = dovecot.new_user()
    dovecot.append(user, simple_email(subject="Invoice missing"))
    mailbox = make_oauth_mailbox(user)

    result = poll_mailbox(mailbox)

    assert (result.error, result.fetched, result.imported) == ("", 1, 1)
    assert Ticket.objects.get().subject == "Invoice missing"
    assert InboundEmail.objects.get().mailbox == mailbox
    [form] = idp.requests_of(mailbox.oauth_client_id)
    assert form == {
        "grant_type": "client_credentials",
        "client_id": mailbox.oauth_client_id,
        "client_secret": idp.apps[mailbox.oauth_client_id].secret,
        "scope": "https://outlook.office365.com/.default",
    }
    assert f"user=<{user}>, method=XOAUTH2" in dovecot.log()
    assert not fresh(mailbox).failing and not mailbox.oauth_needs_reauthorization


def test_refresh_token_grant_for_google(dovecot, idp, make_oauth_mailbox):
    user = dovecot.new_user()
    dovecot.append(user, simple_email(subject="Password reset"))
    mailbox = make_oauth_mailbox(user, "refresh_token", oauth_provider="google", oauth_tenant="")

    result = poll_mailbox(mailbox)

    assert (result.error, result.imported) == ("", 1)
    [form] = idp.requests_of(mailbox.oauth_client_id)
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == idp_refresh_token(idp, mailbox.oauth_client_id)
    assert form["scope"] == "https://mail.google.com/"
    assert fresh(mailbox).oauth_rotated_refresh_token == ""  # the provider rotated nothing


def idp_refresh_token(idp, client_id: str) -> str:
    [token] = [token for token, grant in idp.grants.items() if grant.client_id == client_id]
    return token


def test_a_cached_token_serves_polls_until_shortly_before_it_expires(dovecot, idp, make_oauth_mailbox):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user)

    assert poll_mailbox(mailbox).ok and poll_mailbox(mailbox).ok
    assert len(idp.requests_of(mailbox.oauth_client_id)) == 1  # one token, two polls

    # 3600 s tokens are used for 3300 s: 56 minutes on, the same one; 55 s later, a new one.
    with time_machine.travel(timezone.now() + timedelta(seconds=3300 - 5)):
        assert poll_mailbox(mailbox).ok
    assert len(idp.requests_of(mailbox.oauth_client_id)) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=3300 + 50)):
        dovecot.append(user, simple_email(subject="After an hour"))
        result = poll_mailbox(mailbox)
    assert (result.error, result.imported) == ("", 1)
    assert len(idp.requests_of(mailbox.oauth_client_id)) == 2


def test_a_cached_token_the_server_refuses_is_replaced_once(dovecot, idp, make_oauth_mailbox):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user)
    assert poll_mailbox(mailbox).ok
    idp.revoke_access_tokens(user)  # revoked before it expired

    result = poll_mailbox(mailbox)

    assert result.ok
    assert len(idp.requests_of(mailbox.oauth_client_id)) == 2
    assert not fresh(mailbox).failing


def test_a_fresh_token_refused_by_the_server_is_an_ordinary_failure(dovecot, idp, make_oauth_mailbox):
    user = dovecot.new_user()
    # The app may read another mailbox, not this one: its token is valid, but not for this user.
    mailbox = make_oauth_mailbox(user)
    idp.apps[mailbox.oauth_client_id].user = dovecot.new_user()

    result = poll_mailbox(mailbox)

    assert result.error.startswith(
        'login failed: [AUTHENTICATIONFAILED] Authentication failed. {"status":"401","schemes":"bearer"'
    )  # with the server's JSON error to the XOAUTH2 challenge
    assert f"XOAUTH2 as {user} with a token just issued by 127.0.0.1:" in result.error
    assert len(idp.requests_of(mailbox.oauth_client_id)) == 1  # no second try with a token just issued
    mailbox = fresh(mailbox)
    assert mailbox.failing and not mailbox.oauth_needs_reauthorization


def test_a_token_endpoint_down_or_failing_is_an_ordinary_failure_retried_next_poll(
    dovecot, idp, make_oauth_mailbox, closed_port
):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, oauth_token_url=f"http://127.0.0.1:{closed_port}/token")

    down = poll_mailbox(mailbox)

    assert down.error == f"could not reach the token endpoint 127.0.0.1:{closed_port}: ConnectionRefusedError"

    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_token_url=idp.token_url)
    mailbox = fresh(mailbox)
    idp.answers.append((503, {"error": "temporarily_unavailable", "error_description": "AADSTS90033: busy"}))
    failing = poll_mailbox(mailbox)

    assert failing.error.endswith("answered HTTP 503: temporarily_unavailable: AADSTS90033: busy")
    assert fresh(mailbox).failing and not mailbox.oauth_needs_reauthorization
    assert poll_mailbox(mailbox).ok  # the next poll asks again


def test_token_answers_that_are_no_token_are_refused_within_bounds(dovecot, idp, make_oauth_mailbox):
    mailbox = make_oauth_mailbox(dovecot.new_user())
    idp.answers += [
        (200, b"<html>Sign in</html>"),
        (200, {"access_token": "x", "token_type": "mac"}),
        (200, b'{"access_token": "' + b"a" * (oauth.TOKEN_ANSWER_MAX_BYTES + 1) + b'"}'),
        (401, b"Unauthorized"),
    ]

    errors = [poll_mailbox(mailbox).error for _ in range(4)]

    assert errors[0].endswith("answered without an access token")
    assert errors[1].endswith("issued a token of type 'mac', not Bearer")
    assert errors[2].endswith(f"answered more than {oauth.TOKEN_ANSWER_MAX_BYTES} bytes")
    assert errors[3].endswith("answered HTTP 401")  # no OAuth2 error named: not a refusal of the grant
    assert not fresh(mailbox).oauth_needs_reauthorization


def test_a_missing_secret_in_the_environment_is_named(dovecot, idp, make_oauth_mailbox, monkeypatch):
    mailbox = make_oauth_mailbox(dovecot.new_user())
    monkeypatch.delenv(CLIENT_SECRET_ENV)

    result = poll_mailbox(mailbox)

    assert result.error == f"the environment variable {CLIENT_SECRET_ENV!r} (the client secret) is not set"
    assert idp.requests_of(mailbox.oauth_client_id) == []


# --- A grant the provider refuses -----------------------------------------------------------


def test_a_refused_grant_marks_the_mailbox_and_spares_the_others(
    dovecot, idp, make_oauth_mailbox, make_mailbox, monitor, monkeypatch
):
    refused = make_oauth_mailbox(dovecot.new_user(), "refresh_token")
    monkeypatch.setenv(REFRESH_TOKEN_ENV, "rt-revoked-by-a-password-change")
    password_user = dovecot.new_user()
    dovecot.append(password_user, simple_email(subject="Still arrives"))
    # A password mailbox on the same server, polled in the same round.
    make_mailbox(password_user)

    results = {result.mailbox: result for result in poll_enabled_mailboxes()}

    error = results[refused.name].error
    assert error.startswith("needs re-authorization: invalid_grant: AADSTS50173: The provided grant has expired")
    assert "Trace ID: 0000 Correlation ID: 1111" in error  # control characters flattened
    assert f"obtain a new one with the consent flow, put it in {REFRESH_TOKEN_ENV}, then save the mailbox" in error
    assert (results[password_user].error, results[password_user].imported) == ("", 1)
    assert Ticket.objects.get().subject == "Still arrives"
    refused = fresh(refused)
    assert refused.oauth_needs_reauthorization and refused.needs_reauthorization and refused.failing
    assert refused.oauth_error in error and refused.oauth_error_at is not None

    # Skipped from now on, without asking the provider again.
    asked = len(idp.requests)
    again = poll_mailbox(refused)
    assert again.error == error and len(idp.requests) == asked

    response = monitor.get("/api/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.json()["warnings"]["mail"] == [
        f"mailbox {refused.name!r}: needs re-authorization (the provider refused its OAuth2 sign-in since "
        f"{refused.oauth_error_at.isoformat()}; it is not polled until an administrator fixes it)"
    ]
    assert "AADSTS" not in response.content.decode()  # the provider's words are for admin's eyes


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (401, "invalid_client", "check the client ID and the client secret in"),
        (400, "unauthorized_client", "check the app's registration"),
        (400, "invalid_scope", "check the app's registration"),
    ],
)
def test_other_refusals_mark_the_mailbox_too(dovecot, idp, make_oauth_mailbox, status, error, expected):
    mailbox = make_oauth_mailbox(dovecot.new_user())
    idp.answers.append((status, {"error": error, "error_description": "AADSTS7000222: the secret expired"}))

    result = poll_mailbox(mailbox)

    assert result.error.startswith(f"needs re-authorization: {error}: AADSTS7000222: the secret expired (127.0.0.1:")
    assert expected in result.error
    assert fresh(mailbox).oauth_needs_reauthorization


def test_saving_the_mailbox_in_admin_clears_the_flag(dovecot, idp, make_oauth_mailbox, admin_client):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, "refresh_token")
    idp.grants.clear()  # every refresh token revoked
    assert poll_mailbox(mailbox).error.startswith("needs re-authorization")
    page = admin_client.get(MAILBOXES).content.decode()
    assert '<strong class="mail-failing">Needs re-authorization</strong>' in page

    form = admin_client.get(f"{MAILBOXES}{mailbox.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(enabled="on", category=mailbox.category_id, oauth_client_id=mailbox.oauth_client_id)
    response = admin_client.post(f"{MAILBOXES}{mailbox.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    mailbox = fresh(mailbox)
    assert not mailbox.oauth_needs_reauthorization and mailbox.oauth_error == ""


def test_retry_sign_in_clears_the_flag_and_polls(dovecot, idp, make_oauth_mailbox, admin_client, monkeypatch):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, "refresh_token")
    monkeypatch.setenv(REFRESH_TOKEN_ENV, "rt-unknown")
    assert poll_mailbox(mailbox).error.startswith("needs re-authorization")
    # The administrator obtains a new refresh token and puts it in the environment.
    monkeypatch.setenv(REFRESH_TOKEN_ENV, idp.consent(mailbox.oauth_client_id, user))
    dovecot.append(user, simple_email(subject="Waited for the sign-in"))

    response = admin_client.post(MAILBOXES, {"action": "retry_sign_in", "_selected_action": [mailbox.pk]}, follow=True)

    assert f"{capfirst(mailbox.name)}: signed in; 1 emails taken, 1 new." in response.content.decode()
    assert not fresh(mailbox).oauth_needs_reauthorization and not mailbox.failing
    assert Ticket.objects.get().subject == "Waited for the sign-in"


# --- Rotated refresh tokens -----------------------------------------------------------------


def test_a_rotated_refresh_token_is_kept_encrypted_and_used(dovecot, idp, make_oauth_mailbox, monkeypatch):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, "refresh_token", rotate=True)
    first = idp_refresh_token(idp, mailbox.oauth_client_id)

    assert poll_mailbox(mailbox).ok
    mailbox = fresh(mailbox)
    rotated = oauth.decrypt(mailbox.oauth_rotated_refresh_token)
    assert rotated != first and rotated in idp.grants
    assert rotated not in mailbox.oauth_rotated_refresh_token  # encrypted
    assert mailbox.oauth_rotated_from == oauth._digest(first) and mailbox.oauth_rotated_at is not None

    oauth.forget_token(mailbox)
    assert poll_mailbox(mailbox).ok
    assert [form["refresh_token"] for form in idp.requests_of(mailbox.oauth_client_id)] == [first, rotated]

    # A new refresh token in the environment (a new consent) takes over from the rotated ones.
    renewed = idp.consent(mailbox.oauth_client_id, user, rotate=True)
    monkeypatch.setenv(REFRESH_TOKEN_ENV, renewed)
    assert poll_mailbox(fresh(mailbox)).ok
    assert idp.requests_of(mailbox.oauth_client_id)[-1]["refresh_token"] == renewed


def test_a_rotated_token_that_cannot_be_decrypted_gives_way_to_the_environment(
    dovecot, idp, make_oauth_mailbox, settings
):
    mailbox = make_oauth_mailbox(dovecot.new_user(), "refresh_token", rotate=True)
    first = idp_refresh_token(idp, mailbox.oauth_client_id)
    assert poll_mailbox(mailbox).ok
    oauth.forget_token(mailbox)

    settings.SECRET_KEY = "another secret key, the old one gone without a fallback"
    assert poll_mailbox(fresh(mailbox)).ok

    assert idp.requests_of(mailbox.oauth_client_id)[-1]["refresh_token"] == first


# --- The configuration ----------------------------------------------------------------------


def oauth_mailbox(**fields) -> Mailbox:
    values = {
        "name": "Support",
        "host": "outlook.office365.com",
        "username": "support@contoso.com",
        "auth": Mailbox.Auth.OAUTH2,
        "oauth_provider": Mailbox.OAuthProvider.MICROSOFT,
        "oauth_tenant": "contoso.onmicrosoft.com",
        "oauth_client_id": "00000000-1111-2222-3333-444444444444",
        "oauth_client_secret_env": "O365_CLIENT_SECRET",
    }
    return Mailbox(**{**values, **fields})


def test_token_urls_and_scopes_are_derived_per_provider():
    microsoft = oauth_mailbox()
    delegated = oauth_mailbox(oauth_refresh_token_env="O365_REFRESH_TOKEN")
    google = oauth_mailbox(oauth_provider="google", oauth_tenant="", oauth_refresh_token_env="GMAIL_REFRESH_TOKEN")

    assert microsoft.oauth_effective_token_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert (microsoft.oauth_grant, microsoft.oauth_effective_scope) == (
        "client_credentials",
        "https://outlook.office365.com/.default",
    )
    assert (delegated.oauth_grant, delegated.oauth_effective_scope) == (
        "refresh_token",
        "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
    )
    assert google.oauth_effective_token_url == "https://oauth2.googleapis.com/token"
    assert google.oauth_effective_scope == "https://mail.google.com/"
    sovereign = oauth_mailbox(oauth_token_url="https://login.microsoftonline.us/x/oauth2/v2.0/token", oauth_scope="s")
    assert (sovereign.oauth_effective_token_url, sovereign.oauth_effective_scope) == (
        "https://login.microsoftonline.us/x/oauth2/v2.0/token",
        "s",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"oauth_provider": ""}, "oauth_provider", "Choose the OAuth2 provider"),
        ({"oauth_client_id": " "}, "oauth_client_id", "Give the client ID"),
        ({"oauth_tenant": ""}, "oauth_tenant", "Give the directory (tenant) ID"),
        ({"oauth_tenant": "common"}, "oauth_tenant", "names no organisation"),
        ({"oauth_tenant": "contoso/../x"}, "oauth_tenant", "A tenant is a GUID or a domain name"),
        ({"oauth_client_secret_env": ""}, "oauth_client_secret_env", "needs the client secret"),
        ({"oauth_client_secret_env": "s3cr3t value!"}, "oauth_client_secret_env", "name of an environment variable"),
        ({"oauth_provider": "google", "oauth_tenant": ""}, "oauth_refresh_token_env", "Google needs a refresh token"),
        (
            {"oauth_provider": "google", "oauth_refresh_token_env": "GMAIL_REFRESH_TOKEN"},
            "oauth_tenant",
            "Only Microsoft mailboxes have a tenant",
        ),
        ({"oauth_provider": "other", "oauth_tenant": ""}, "oauth_token_url", "Give the provider's token URL"),
        ({"oauth_token_url": "http://idp.example.com/token"}, "oauth_token_url", "must use https"),
        ({"oauth_token_url": "https://u:p@idp.example.com/token"}, "oauth_token_url", "No credentials in the URL"),
        ({"auth": "password"}, "password_env", "Name the environment variable that holds the password"),
    ],
)
def test_the_configuration_is_checked_field_by_field(category, fields, field, message):
    mailbox = oauth_mailbox(category=category, **fields)

    with pytest.raises(ValidationError) as raised:
        mailbox.full_clean()

    assert set(raised.value.message_dict) == {field}
    assert message in raised.value.message_dict[field][0]


def test_valid_configurations_pass(category):
    for mailbox in [
        oauth_mailbox(category=category),
        oauth_mailbox(category=category, oauth_client_secret_env="", oauth_refresh_token_env="O365_REFRESH_TOKEN"),
        oauth_mailbox(
            category=category, oauth_provider="other", oauth_tenant="", oauth_token_url="http://localhost:8080/t"
        ),
        oauth_mailbox(category=category, oauth_tenant="", oauth_token_url="https://login.microsoftonline.us/t/token"),
    ]:
        mailbox.full_clean()


def test_a_token_is_not_shared_across_configurations(dovecot, idp, make_oauth_mailbox):
    mailbox = make_oauth_mailbox(dovecot.new_user())
    assert poll_mailbox(mailbox).ok
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_scope="https://outlook.office365.com/.default openid")

    assert poll_mailbox(fresh(mailbox)).ok

    scopes = [form["scope"] for form in idp.requests_of(mailbox.oauth_client_id)]
    assert scopes == ["https://outlook.office365.com/.default", "https://outlook.office365.com/.default openid"]
    assert cache.get(f"{oauth.CACHE_PREFIX}{mailbox.pk}")["token"] in idp.tokens


# --- Admin ----------------------------------------------------------------------------------


def test_the_admin_form_groups_the_sign_in_and_says_what_to_put_where(admin_client, category):
    page = admin_client.get(f"{MAILBOXES}add/").content.decode()

    assert ">Sign-in</h2>" in page and ">Sign-in with OAuth2</h2>" in page
    assert page.index(">Sign-in</h2>") < page.index('name="auth"') < page.index('name="oauth_provider"')
    assert "the Directory (tenant) ID shown on the app registration's overview" in page
    assert "Google: required. Microsoft: leave empty for the client-credentials grant" in page
    assert 'type="password"' not in page  # names of variables, never secrets

    form = {
        "name": "Support",
        "enabled": "on",
        "host": "outlook.office365.com",
        "port": "993",
        "security": "tls",
        "auth": "oauth2",
        "username": "support@contoso.com",
        "oauth_provider": "microsoft",
        "oauth_tenant": "common",
        "oauth_client_id": "6f1c2a55-1b7e-4c55-9a4b-0d9a2b7c1e11",
        "oauth_client_secret_env": "O365 secret",
        "folder": "INBOX",
        "category": category.pk,
        "priority": "normal",
        "after_import": "seen",
    }
    refused = admin_client.post(f"{MAILBOXES}add/", form)

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert set(errors) == {"oauth_tenant", "oauth_client_secret_env"}
    assert "names no organisation" in errors["oauth_tenant"][0]

    fixed = {"oauth_tenant": "contoso.onmicrosoft.com", "oauth_client_secret_env": "O365_SECRET"}
    saved = admin_client.post(f"{MAILBOXES}add/", {**form, **fixed})

    assert saved.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.auth, mailbox.password_env, mailbox.oauth_client_secret_env) == ("oauth2", "", "O365_SECRET")
    page = admin_client.get(f"{MAILBOXES}{mailbox.pk}/change/").content.decode()
    assert (
        'Tokens from <span class="mail-url">https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/'
        "token</span> (client credentials grant, scope https://outlook.office365.com/.default)." in page
    )


def test_a_password_mailbox_folds_the_oauth2_fields_away(admin_client, category):
    mailbox = Mailbox.objects.create(
        name="Old", host="mail.example.org", username="help@example.org", password_env="IMAP_PASSWORD",
        category=category,
    )  # fmt: skip

    page = admin_client.get(f"{MAILBOXES}{mailbox.pk}/change/").content.decode()

    assert "Not used: this mailbox signs in with a password." in page
    folded = page.index("<details><summary>")
    assert folded < page.index(">Sign-in with OAuth2</h2>") < page.index("</details>", folded)


# --- The consent, once: manage.py mail_oauth_consent ------------------------------------------


def test_microsoft_consent_by_device_code_prints_a_refresh_token_that_works(
    dovecot, idp, make_oauth_mailbox, monkeypatch
):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, "refresh_token", oauth_client_secret_env="")  # a public client
    monkeypatch.delenv(REFRESH_TOKEN_ENV)
    waits = []

    def user_signs_in_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the first ask was too early; the user signs in during the second wait
            [device] = idp.devices.values()
            idp.approve_device(device["user_code"], user)

    monkeypatch.setattr(oauth, "_wait", user_signs_in_meanwhile)
    output = io.StringIO()

    call_command("mail_oauth_consent", mailbox.name, stdout=output)

    printed = output.getvalue()
    assert "use a web browser to open the page https://microsoft.com/devicelogin and enter the code" in printed
    assert f"Sign in as {user}." in printed
    assert waits == [5, 5]  # the interval Microsoft asked for, between asks
    refresh_token = printed.split("history):\n\n")[1].split("\n")[0]
    assert idp.grants[refresh_token].user == user
    assert f"as {REFRESH_TOKEN_ENV}, restart the worker" in printed
    device_form = idp.requests_of(mailbox.oauth_client_id)[-1]
    assert device_form["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert "client_secret" not in device_form
    # What the administrator does with it: the variable set, the mailbox polls.
    monkeypatch.setenv(REFRESH_TOKEN_ENV, refresh_token)
    dovecot.append(user, simple_email(subject="After the consent"))
    assert poll_mailbox(fresh(mailbox)).imported == 1


class Browser:
    """Standard input of the consent command, played by the administrator's browser: reads
    the address the command printed, signs in there and pastes the address it is sent back to."""

    def __init__(self, idp, output: io.StringIO, user: str, tamper=lambda address: address) -> None:
        self.idp, self.output, self.user, self.tamper = idp, output, user, tamper

    def readline(self) -> str:
        [address] = [line for line in self.output.getvalue().splitlines() if line.startswith(self.idp.url)]
        return self.tamper(self.idp.authorize(address, self.user)) + "\n"


def test_google_consent_by_pasted_address_prints_a_refresh_token_that_works(
    dovecot, idp, make_oauth_mailbox, monkeypatch
):
    user = dovecot.new_user()
    mailbox = make_oauth_mailbox(user, "refresh_token", oauth_provider="google", oauth_tenant="")
    monkeypatch.setattr(oauth, "GOOGLE_AUTHORIZATION_URL", f"{idp.url}/authorize")
    output = io.StringIO()
    monkeypatch.setattr("sys.stdin", Browser(idp, output, user))

    call_command("mail_oauth_consent", mailbox.name, stdout=output)

    printed = output.getvalue()
    assert "scope=https%3A%2F%2Fmail.google.com%2F" in printed and "prompt=consent" in printed
    assert "goes to http://127.0.0.1:8765/?... and shows an error page: that is expected" in printed
    refresh_token = printed.split("history):\n\n")[1].split("\n")[0]
    assert idp.grants[refresh_token].user == user
    exchange = idp.requests_of(mailbox.oauth_client_id)[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["redirect_uri"] == "http://127.0.0.1:8765/"
    monkeypatch.setenv(REFRESH_TOKEN_ENV, refresh_token)
    assert poll_mailbox(fresh(mailbox)).ok


def test_the_consent_command_says_what_is_wrong(dovecot, idp, make_oauth_mailbox, make_mailbox, monkeypatch):
    user = dovecot.new_user()
    google = make_oauth_mailbox(user, "refresh_token", oauth_provider="google", oauth_tenant="")
    monkeypatch.setattr(oauth, "GOOGLE_AUTHORIZATION_URL", f"{idp.url}/authorize")
    output = io.StringIO()
    stale = Browser(idp, output, user, tamper=lambda address: address.replace("state=", "state=old"))
    monkeypatch.setattr("sys.stdin", stale)

    with pytest.raises(CommandError, match="belongs to another sign-in"):
        call_command("mail_oauth_consent", google.name, stdout=output)
    with pytest.raises(CommandError, match="uses the client-credentials grant: it needs no consent"):
        call_command("mail_oauth_consent", make_oauth_mailbox(dovecot.new_user()).name, stdout=output)
    with pytest.raises(CommandError, match="signs in with a password"):
        call_command("mail_oauth_consent", make_mailbox(dovecot.new_user()).name, stdout=output)
    with pytest.raises(CommandError, match="no mailbox named 'Nope'"):
        call_command("mail_oauth_consent", "Nope", stdout=output)
