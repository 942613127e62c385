"""Fixtures of the mail app's tests: a real IMAP server (dovecot) and mailboxes polling it;
for OAuth2, a local identity provider and a dovecot that checks XOAUTH2 tokens with it."""

from __future__ import annotations

import pytest

from mail.tests import identity
from mail.tests.dovecot import PASSWORD, Dovecot

PASSWORD_ENV = "HELPDESK_TEST_IMAP_PASSWORD"
CLIENT_SECRET_ENV = "HELPDESK_TEST_OAUTH_CLIENT_SECRET"
REFRESH_TOKEN_ENV = "HELPDESK_TEST_OAUTH_REFRESH_TOKEN"


@pytest.fixture(scope="session")
def identity_provider():
    """A token and introspection endpoint on localhost (mail/tests/identity.py), for the session."""
    provider = identity.IdentityProvider()
    server = identity.start(provider)
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def dovecot(identity_provider):
    """One dovecot for the whole session (started in ~10 ms); each test uses users of its own.
    Users sign in with PASSWORD, or with XOAUTH2 and a token the identity provider says is
    active and theirs."""
    server = Dovecot(oauth2_introspection_url=identity_provider.introspection_url)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def imap_user(dovecot) -> str:
    """A user with a fresh, empty mailbox on the session's dovecot."""
    return dovecot.new_user()


@pytest.fixture
def make_mailbox(dovecot, category, monkeypatch):
    """Mailbox(...) rows polling the session's dovecot; the password is in PASSWORD_ENV."""
    from mail.models import Mailbox

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)

    def make(user: str, **fields) -> Mailbox:
        values = {
            "name": user,
            "host": dovecot.host,
            "port": dovecot.port,
            "security": Mailbox.Security.NONE,
            "username": user,
            "password_env": PASSWORD_ENV,
            "category": category,
        }
        values.update(fields)
        return Mailbox.objects.create(**values)

    return make


@pytest.fixture
def idp(identity_provider):
    """The session's identity provider, with its scripted answers and token lifetime reset."""
    identity_provider.answers.clear()
    identity_provider.expires_in = 3600
    yield identity_provider
    identity_provider.answers.clear()


@pytest.fixture
def make_oauth_mailbox(dovecot, idp, category, monkeypatch):
    """make(user, grant="client_credentials" | "refresh_token", **fields): a Mailbox signing in
    to the session's dovecot with XOAUTH2 as `user`, with an app registered for it at the identity provider
    (its secret in CLIENT_SECRET_ENV) and, for the refresh-token grant, a refresh token from
    the user's consent in REFRESH_TOKEN_ENV. Microsoft by default, its token URL the local one."""
    from mail.models import Mailbox

    def make(user: str, grant: str = "client_credentials", *, rotate: bool = False, **fields) -> Mailbox:
        client_id, secret = idp.register_app(user)
        monkeypatch.setenv(CLIENT_SECRET_ENV, secret)
        values = {
            "name": user,
            "host": dovecot.host,
            "port": dovecot.port,
            "security": Mailbox.Security.NONE,
            "username": user,
            "auth": Mailbox.Auth.OAUTH2,
            "password_env": "",
            "oauth_provider": Mailbox.OAuthProvider.MICROSOFT,
            "oauth_tenant": "contoso.onmicrosoft.com",
            "oauth_token_url": idp.token_url,
            "oauth_client_id": client_id,
            "oauth_client_secret_env": CLIENT_SECRET_ENV,
            "category": category,
        }
        if grant == "refresh_token":
            monkeypatch.setenv(REFRESH_TOKEN_ENV, idp.consent(client_id, user, rotate=rotate))
            values["oauth_refresh_token_env"] = REFRESH_TOKEN_ENV
        values.update(fields)
        mailbox = Mailbox(**values)
        mailbox.full_clean()
        mailbox.save()
        return mailbox

    return make
