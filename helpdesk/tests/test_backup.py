"""make backup / make restore: the database and the uploaded files come back whole.

The round trip runs against the suite's own server with pg_dump and pg_restore: the
embedded server's own tools in `make test` (PostgreSQL 18, newer than a system's pg_dump may
be), the system's in `make test-pg`.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from agents.tests.factories import AgentFactory
from conftest import BASE_DIR, database_url
from core.embedded_postgres import client_tools_dir
from knowledge.tests.factories import ArticleFactory
from tickets.models import Attachment, Message, Ticket
from tickets.tests.factories import AttachmentFactory, MessageFactory, TicketFactory

SCRIPTS = BASE_DIR / "scripts"


def client_tools() -> dict[str, str]:
    """PG_BIN for the scripts: the wheel's tools when the suite runs on the embedded server
    (PostgreSQL 18, on a Unix socket), whose dumps a system pg_dump 15 refuses to write; the
    system's tools for the machine's server (a dump of pg_dump 18 says SET transaction_timeout,
    which PostgreSQL 15 refuses on restore)."""
    if connection.settings_dict["HOST"].startswith("/"):
        return {"PG_BIN": str(client_tools_dir())}
    return {}


def run_script(script: str, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / script), *arguments],
        env={**os.environ, **client_tools(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class RestoredDatabase:
    """Plain SQL on the restored database, through the driver rather than Django."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = database_url(name)

    def rows(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def restore_target(tmp_path) -> Iterator[RestoredDatabase]:
    """A database name that does not exist yet; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield RestoredDatabase(name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def source_rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture
def helpdesk_data(category):
    """Tickets with conversations and attachments, an agent, an article: committed rows."""
    agent = AgentFactory(specializations=[category])
    tickets = [TicketFactory(category=category, assigned_agent=agent, status="open") for _ in range(3)]
    for number, ticket in enumerate(tickets):
        messages = MessageFactory.create_batch(2, ticket=ticket)
        AttachmentFactory(
            ticket=ticket,
            message=messages[0],
            file__filename=f"screenshot-{number}.png",
            file__data=bytes(range(256)) * (number + 1) + b"\x00\xff end",
            name=f"screenshot-{number}.png",
            content_type="image/png",
        )
    MessageFactory(ticket=tickets[0], body="Ünïcödé survives: привет, 你好", internal=True)
    ArticleFactory(title="Reset a forgotten password", content="Click the link we email you and choose a new one.")
    return tickets


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_fresh_database_brings_back_every_row_and_file(
    tmp_path, helpdesk_data, restore_target
):
    media = Path(settings.MEDIA_ROOT)

    backup = run_script("backup.sh", str(tmp_path / "backups"), DATABASE_URL=database_url(), MEDIA_ROOT=str(media))

    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip().splitlines()[-1])
    assert archive.parent == tmp_path / "backups"
    assert archive.name.startswith("helpdesk-")
    assert (archive / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored_media = tmp_path / "restored-media"
    restore = run_script("restore.sh", str(archive), DATABASE_URL=restore_target.url, MEDIA_ROOT=str(restored_media))

    assert restore.returncode == 0, restore.stderr
    # Every table, the same number of rows.
    tables = connection.introspection.table_names()
    assert {"tickets_ticket", "tickets_message", "tickets_attachment", "knowledge_article"} <= set(tables)
    for table in tables:
        [(expected,)] = source_rows(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from introspection
        [(restored,)] = restore_target.rows(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
        assert restored == expected, table
    assert Ticket.objects.count() == 3 and Attachment.objects.count() == 3
    # A sample of the content, byte for byte.
    for sql in (
        "SELECT id, subject, description, customer_email, status FROM tickets_ticket ORDER BY id",
        "SELECT id, ticket_id, body, internal FROM tickets_message ORDER BY id",
        "SELECT id, ticket_id, message_id, file, name, size, content_type FROM tickets_attachment ORDER BY id",
        "SELECT id, title, slug, content FROM knowledge_article ORDER BY id",
    ):
        assert restore_target.rows(sql) == [tuple(row) for row in source_rows(sql)], sql
    assert Message.objects.filter(body__contains="привет").exists()
    # The uploaded files, byte for byte, where the restored rows say they are.
    for attachment in Attachment.objects.all():
        original = (media / attachment.file.name).read_bytes()
        assert (restored_media / attachment.file.name).read_bytes() == original
        assert len(original) == attachment.file.size
    # Sequences come back too, so the restored helpdesk numbers new tickets after the old ones.
    sequence = "SELECT last_value FROM tickets_ticket_id_seq"
    assert restore_target.rows(sequence) == [tuple(row) for row in source_rows(sequence)]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_already_holds_data(tmp_path, helpdesk_data):
    backup = run_script("backup.sh", str(tmp_path / "backups"), DATABASE_URL=database_url())
    archive = backup.stdout.strip().splitlines()[-1]

    restore = run_script("restore.sh", archive, DATABASE_URL=database_url(), MEDIA_ROOT=str(tmp_path / "empty"))

    assert restore.returncode != 0
    assert "restore into a new" in restore.stderr
    assert Ticket.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_backup_before_writing_anything(tmp_path, helpdesk_data, restore_target):
    backup = run_script("backup.sh", str(tmp_path / "backups"), DATABASE_URL=database_url())
    archive = Path(backup.stdout.strip().splitlines()[-1])
    with (archive / "media.tar.gz").open("ab") as media:
        media.write(b"bit rot")

    restore = run_script(
        "restore.sh", str(archive), DATABASE_URL=restore_target.url, MEDIA_ROOT=str(tmp_path / "restored-media")
    )

    assert restore.returncode != 0
    assert "checksums do not match" in restore.stderr
    assert not (tmp_path / "restored-media").exists()
    assert source_rows(f"SELECT 1 FROM pg_database WHERE datname = '{restore_target.name}'") == []  # noqa: S608


def test_a_failed_backup_leaves_no_folder_that_looks_complete(tmp_path, closed_port):
    backup = run_script(
        "backup.sh",
        str(tmp_path / "backups"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/helpdesk",
        PGCONNECT_TIMEOUT="2",
    )

    assert backup.returncode != 0
    assert list((tmp_path / "backups").iterdir()) == []
