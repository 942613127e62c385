"""API tokens (issue 20, point 2): stored as digests, expiring, rotated and revoked, and the
migration that hashed the tokens of REST framework's table in place."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.crypto import hash_token

from agents import tokens
from agents.tasks import purge_expired_tokens
from agents.tokens import AuthToken
from conftest import rolled_back

pytestmark = pytest.mark.django_db

TICKETS = "/api/support/tickets"


def _api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_is_stored_as_its_digest_and_works(agent):
    _row, key = tokens.issue(agent.user)

    stored = list(AuthToken.objects.values_list("digest", "token_key"))
    assert stored == [(hash_token(key), key[:15])]
    assert all(key not in value for pair in stored for value in pair if len(value) > 15)
    assert _api(key).get(TICKETS).status_code == 200
    assert _api(key[:-1] + ("0" if key[-1] != "0" else "1")).get(TICKETS).status_code == 401


def test_a_token_expires_after_the_configured_days_and_the_purge_deletes_it(agent, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    row, key = tokens.issue(agent.user)
    forever, forever_key = tokens.issue(agent.user, days=0)

    assert row.expiry is not None and timedelta(days=29) < row.expiry - timezone.now() <= timedelta(days=30)
    assert forever.expiry is None
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    refused = _api(key).get(TICKETS)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    assert purge_expired_tokens() == 1
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [forever.pk]
    assert _api(forever_key).get(TICKETS).status_code == 200


def test_rotating_replaces_every_token_of_the_user(agent, other_agent):
    _row, first = tokens.issue(agent.user)
    _row, second = tokens.issue(agent.user)
    _row, colleague = tokens.issue(other_agent.user)

    _row, new = tokens.rotate(agent.user)

    assert _api(first).get(TICKETS).status_code == 401
    assert _api(second).get(TICKETS).status_code == 401
    assert _api(new).get(TICKETS).status_code == 200
    assert _api(colleague).get(TICKETS).status_code == 200
    assert tokens.revoke(agent.user) == 1
    assert _api(new).get(TICKETS).status_code == 401


def test_the_command_issues_lists_rotates_revokes_and_purges(agent, capsys):
    call_command("api_token", "issue", "agent", "--days", "7")
    issued = capsys.readouterr().out
    key = issued.split("Authorization: Token ")[1].split()[0]
    assert "expires" in issued and _api(key).get(TICKETS).status_code == 200

    call_command("api_token", "list")
    listed = capsys.readouterr().out
    assert key[:15] in listed and key not in listed

    call_command("api_token", "rotate", "agent")
    rotated = capsys.readouterr().out.split("Authorization: Token ")[1].split()[0]
    assert _api(key).get(TICKETS).status_code == 401
    assert _api(rotated).get(TICKETS).status_code == 200

    call_command("api_token", "revoke", "agent")
    assert "Revoked 1 token(s)" in capsys.readouterr().out
    assert _api(rotated).get(TICKETS).status_code == 401


def test_the_admin_issues_a_token_shown_once(admin_user, agent):
    client = Client()
    client.force_login(admin_user)

    answer = client.post("/admin/knox/authtoken/add/", {"user": agent.user.pk, "days": "3"}, follow=True)

    page = answer.content.decode()
    assert "shown only this once" in page
    key = page.split("shown only this once: ")[1].split("<")[0].strip()
    assert _api(key).get(TICKETS).status_code == 200
    listing = client.get("/admin/knox/authtoken/").content.decode()
    assert key[:15] in listing and key not in listing
    assert AuthToken.objects.get().expiry - timezone.now() <= timedelta(days=3)


def test_the_migration_hashes_the_old_tokens_as_knox_does(agent, settings):
    """agents 0010's statement, run on a table shaped like REST framework's, gives the digest
    knox's own hash_token gives, so integrations keep the key they hold."""
    migration = importlib.import_module("agents.migrations.0010_hash_api_tokens")
    old_keys = ["9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "0" * 40]
    settings.API_TOKEN_TTL_DAYS = 365
    with rolled_back(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id integer)"
        )
        for key in old_keys:
            cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [key, agent.user.pk])

        class Editor:
            pass

        editor = Editor()
        editor.connection = connection
        migration.hash_tokens(None, editor)

        cursor.execute("SELECT to_regclass('authtoken_token') IS NULL")
        assert cursor.fetchone()[0]  # the plain-text table is gone
        rows = {row.digest: row for row in AuthToken.objects.all()}
        assert set(rows) == {hash_token(key) for key in old_keys}
        assert all(r.token_key == k[:15] for k in old_keys for r in [rows[hash_token(k)]])
        assert all(timedelta(days=364) < r.expiry - timezone.now() <= timedelta(days=365) for r in rows.values())
        assert _api(old_keys[0]).get(TICKETS).status_code == 200
