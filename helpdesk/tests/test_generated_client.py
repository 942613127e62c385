"""A Python client generated from the live /api/schema/ works, as an integrator would use it.

The test downloads the schema from a live server, generates a client with
openapi-python-client (pinned in requirements-dev.txt) with its default settings, imports it
and runs an integration's day with it: open a ticket, list with filters and page 2, read it,
reply with a file (the multipart operation), change its status and meet the documented 409,
check its SLA, read the compliance report and the feedback summary; and what integrators
add: a create retried with its Idempotency-Key, an update refused for a stale ETag
(If-Match), and an incremental sync walked by cursor. The client is built with
`raise_on_unexpected_status`, so a status the schema does not document fails the test, and
every answer is read through the generated models (their parsers raise on a shape the schema
does not describe).
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from agents import tokens
from feedback.tests.factories import FeedbackFactory
from sla.tests.factories import SLAPolicyFactory

PACKAGE = "helpdesk_api_client"  # the name the generator derives from the schema's title


def generate_client(schema_url: str, folder: Path):
    """The schema saved to `folder`, the client generated beside it and imported."""
    schema = folder / "schema.json"
    answer = httpx.get(schema_url, params={"format": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    schema.write_bytes(answer.content)
    bin_folder = Path(sys.executable).parent  # the virtualenv's bin: the generator and ruff, its post-hook
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [bin_folder / "openapi-python-client", "generate", "--path", schema, "--output-path", folder / "client"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    # Warnings mean operations or models the generator skipped: a client with holes.
    assert "Warning" not in output, output
    sys.path.insert(0, str(folder / "client"))
    try:
        package = importlib.import_module(PACKAGE)
        # Every operation and model imports (a schema the generator half-understands gives
        # modules that name `Unset` without importing it, for one).
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        return package
    finally:
        sys.path.remove(str(folder / "client"))


@pytest.fixture
def generated(live_server, tmp_path):
    package = generate_client(f"{live_server.url}/api/schema/", tmp_path)
    yield package
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_a_generated_client_runs_an_integrations_day(generated, live_server, agent, category, settings):
    settings.API_USER_RATE = ""  # the rate limit has tests of its own
    settings.API_SYNC_SETTLE_SECONDS = 0  # what this test writes is read back at once
    SLAPolicyFactory(category=category, priority="high", first_response_hours=4, resolution_hours=24)
    FeedbackFactory(overall=4, ticket__category=category)
    _row, token = tokens.issue(agent.user)
    api = importlib.import_module(f"{PACKAGE}.api.support")
    models = importlib.import_module(f"{PACKAGE}.models")
    files = importlib.import_module(f"{PACKAGE}.types")
    client = generated.AuthenticatedClient(
        base_url=live_server.url, token=token, prefix="Token", raise_on_unexpected_status=True
    )

    def create(subject: str, **headers):
        body = models.TicketCreateRequest(
            subject=subject,
            description="The printer on floor 3 prints blank pages.",
            customer_email="dana@example.com",
            category="general",
            priority=models.TicketPriorityEnum.HIGH,
            tags=["printers"],
        )
        module = importlib.import_module(f"{api.__name__}.support_tickets_create")
        return module.sync_detailed(client=client, body=body, **headers)

    # 1. Open three tickets; the answers are parsed into TicketDetail.
    created = [create(f"Blank pages #{n}") for n in range(3)]
    assert [answer.status_code for answer in created] == [201, 201, 201]
    ticket = created[0].parsed
    assert isinstance(ticket, models.TicketDetail)
    assert ticket.subject == "Blank pages #0"
    assert ticket.priority == models.TicketPriorityEnum.HIGH
    assert ticket.tags == ["printers"]
    assert ticket.first_response_due_at is not None  # the high-priority policy applied

    # 2. List with filters, two a page: page 2 holds the oldest of the three.
    listing = importlib.import_module(f"{api.__name__}.support_tickets_list")
    page = listing.sync_detailed(
        client=client,
        tag="printers",
        status=[models.SupportTicketsListStatusItem.NEW],
        priority=[models.SupportTicketsListPriorityItem.HIGH],
        ordering="-created_at",
        page=2,
        page_size=2,
    )
    assert page.status_code == 200
    assert isinstance(page.parsed, models.PaginatedTicketList)
    assert (page.parsed.count, page.parsed.count_exact) == (3, True)
    assert [row.id for row in page.parsed.results] == [ticket.id]
    assert page.parsed.next_ is None
    assert page.parsed.previous is not None

    # 2b. A create retried with its Idempotency-Key answers the first ticket again, no new one.
    first = create("Toner warning", idempotency_key="crm-4711")
    again = create("Toner warning", idempotency_key="crm-4711")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.parsed.id == first.parsed.id
    assert again.headers["Idempotent-Replayed"] == "true"

    # 3. Read it.
    read = importlib.import_module(f"{api.__name__}.support_tickets_retrieve").sync_detailed(ticket.id, client=client)
    assert read.status_code == 200
    assert (read.parsed.id, read.parsed.number, read.parsed.subject) == (ticket.id, ticket.number, "Blank pages #0")

    # 4. Reply with a file, through the multipart operation.
    upload = files.File(payload=io.BytesIO(b"error 0x42 at 09:12\n"), file_name="printer.txt", mime_type="text/plain")
    reply = importlib.import_module(f"{api.__name__}.support_tickets_messages_with_attachments_create").sync_detailed(
        ticket.id,
        client=client,
        body=models.MessageUploadRequest(body="The log you asked for.", attachments=[upload]),
    )
    assert reply.status_code == 201, reply.content
    assert isinstance(reply.parsed, models.Message)
    assert reply.parsed.body == "The log you asked for."
    assert [(a.name, a.size, a.content_type) for a in reply.parsed.attachments] == [("printer.txt", 20, "text/plain")]
    downloaded = httpx.get(
        live_server.url + reply.parsed.attachments[0].url, headers={"Authorization": f"Token {token}"}, timeout=30
    )
    assert downloaded.content == b"error 0x42 at 09:12\n"

    # 5. Change the status; an illegal move answers the documented 409 with the allowed ones.
    update = importlib.import_module(f"{api.__name__}.support_tickets_partial_update")
    pending = update.sync_detailed(
        ticket.id, client=client, body=models.PatchedTicketUpdateRequest(status=models.TicketStatusEnum.PENDING)
    )
    assert pending.status_code == 200
    assert pending.parsed.status == models.TicketStatusEnum.PENDING
    refused = update.sync_detailed(
        ticket.id, client=client, body=models.PatchedTicketUpdateRequest(status=models.TicketStatusEnum.CLOSED)
    )
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Conflict)
    assert refused.parsed.status == "pending"
    assert refused.parsed.allowed_statuses == ["open", "on_hold", "resolved"]

    # 5b. An update based on what was read before another change answers 412, writes nothing.
    etag = update.sync_detailed(
        ticket.id, client=client, body=models.PatchedTicketUpdateRequest(priority=models.TicketPriorityEnum.URGENT)
    ).headers["ETag"]
    stale = update.sync_detailed(
        ticket.id,
        client=client,
        body=models.PatchedTicketUpdateRequest(priority=models.TicketPriorityEnum.LOW),
        if_match=read.headers["ETag"],
    )
    assert stale.status_code == 412
    fresh = update.sync_detailed(
        ticket.id,
        client=client,
        body=models.PatchedTicketUpdateRequest(priority=models.TicketPriorityEnum.HIGH),
        if_match=etag,
    )
    assert fresh.status_code == 200
    assert fresh.parsed.priority == models.TicketPriorityEnum.HIGH

    # 6. Check its SLA now.
    sla = importlib.import_module(f"{api.__name__}.support_sla_create").sync_detailed(
        client=client, body=models.SLACheckRequest(ticket_id=ticket.id)
    )
    assert sla.status_code == 200
    assert isinstance(sla.parsed, models.SLACheckResult)
    assert sla.parsed.ticket_id == ticket.id
    assert sla.parsed.policy is not None
    assert sla.parsed.violations == []

    # 7. The reports: compliance and the feedback summary over the last week.
    today = timezone.now()
    window = {"start": today - timedelta(days=7), "end": today + timedelta(days=1)}
    compliance = importlib.import_module(f"{api.__name__}.support_sla_compliance_retrieve").sync_detailed(
        client=client, **window
    )
    assert compliance.status_code == 200
    assert isinstance(compliance.parsed, models.ComplianceReport)
    assert compliance.parsed.tickets >= 3
    summary = importlib.import_module(f"{api.__name__}.support_feedback_summary_retrieve").sync_detailed(
        client=client, **window
    )
    assert summary.status_code == 200
    assert isinstance(summary.parsed, models.Summary)
    assert summary.parsed.count == 1
    assert summary.parsed.average_overall == 4

    # 8. Incremental sync: every ticket changed since a moment, two a page, by cursor.
    seen = []
    answer = listing.sync_detailed(client=client, updated_after=today - timedelta(hours=1), page_size=2)
    while True:
        assert answer.status_code == 200
        seen += [row.id for row in answer.parsed.results]
        if answer.parsed.next_ is None:
            break
        answer = listing.sync_detailed(client=client, cursor=answer.parsed.cursor, page_size=2)
    mine = [ticket.id for ticket in (answer.parsed for answer in created)] + [first.parsed.id]
    assert sorted(set(seen) & set(mine)) == sorted(mine)
    assert len(seen) == len(set(seen))


def test_a_form_sent_to_a_json_operation_is_refused_with_415(agent_api, category):
    answer = agent_api.post(
        "/api/support/tickets",
        "subject=Hi&description=Long+enough+text&customer_email=a%40example.com&category=general",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 415
    assert "application/x-www-form-urlencoded" in answer.json()["detail"]
