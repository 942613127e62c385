"""Fixtures of the mail app's tests: a real IMAP server (dovecot) and mailboxes polling it."""

from __future__ import annotations

import pytest

from mail.tests.dovecot import PASSWORD, Dovecot

PASSWORD_ENV = "HELPDESK_TEST_IMAP_PASSWORD"


@pytest.fixture(scope="session")
def dovecot():
    """One dovecot for the whole session (started in ~10 ms); each test uses users of its own."""
    server = Dovecot()
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
