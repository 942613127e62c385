"""Safe retries: an API POST sent again with the same Idempotency-Key (core.idempotency)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from core.idempotency import purge_expired_keys
from core.models import IdempotencyKey
from core.tasks import purge_idempotency_keys
from helpdesk.tests import test_permission_matrix
from helpdesk.tests.test_permission_matrix import (
    MATRIX,
    PERSONAS,
    Row,
    api,
    body_for,
    client_for,
    path_for,
    url_patterns,
)
from tickets.models import Message, Ticket
from tickets.tests.factories import TicketFactory

TICKET = {
    "subject": "Printer on fire",
    "description": "It is on fire.",
    "customer_email": "c@example.org",
    "category": "general",
}

# The permission table's objects, which its rows name.
world = test_permission_matrix.world


def post(client, path: str, body: dict, key: str | None = "retry-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_it_answers_a_retried_create_with_the_first_answer_and_one_ticket(agent_api):
    first = post(agent_api, "/api/support/tickets/", TICKET)
    again = post(agent_api, "/api/support/tickets/", TICKET)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Ticket.objects.count() == 1


def test_it_refuses_the_same_key_with_another_body(agent_api):
    post(agent_api, "/api/support/tickets/", TICKET)

    other = post(agent_api, "/api/support/tickets/", {**TICKET, "subject": "Scanner on fire"})

    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Printer on fire"]


def test_it_refuses_the_same_key_on_another_path(agent_api, agent):
    ticket = TicketFactory(assigned_agent=agent)
    post(agent_api, f"/api/support/tickets/{ticket.pk}/messages/", {"body": "On it."})

    other = post(agent_api, "/api/support/tickets/", TICKET)

    assert other.status_code == 422
    assert not Ticket.objects.exclude(pk=ticket.pk).exists()


def test_it_answers_in_the_callers_language(agent_api):
    post(agent_api, "/api/support/tickets/", TICKET)

    other = post(agent_api, "/api/support/tickets/", {**TICKET, "subject": "Other"}, HTTP_ACCEPT_LANGUAGE="ru")

    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and "запрос" in other.json()["detail"]


def test_keys_are_per_caller(agent_api, supervisor_api):
    post(agent_api, "/api/support/tickets/", TICKET)
    theirs = post(supervisor_api, "/api/support/tickets/", TICKET)

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Ticket.objects.count() == 2


def test_a_session_caller_is_scoped_by_its_user(agent):
    client = Client()
    client.force_login(agent.user)

    first = post(client, "/api/support/tickets/", TICKET)
    again = post(client, "/api/support/tickets/", TICKET)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get().user == agent.user


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "ключ", "tab\tkey"])
def test_it_refuses_a_key_that_is_not_short_printable_ascii(agent_api, key):
    response = agent_api.post(
        "/api/support/tickets/", json.dumps(TICKET), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_it_accepts_a_key_of_255_characters(agent_api):
    assert post(agent_api, "/api/support/tickets/", TICKET, key="k" * 255).status_code == 201


def test_a_refused_request_keeps_no_key_and_writes_nothing(agent_api):
    refused = post(agent_api, "/api/support/tickets/", {**TICKET, "subject": ""})
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()

    retried = post(agent_api, "/api/support/tickets/", TICKET)

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Ticket.objects.count() == 1


def test_an_anonymous_caller_gets_401_as_without_a_key(db, anonymous_api):
    response = post(anonymous_api, "/api/support/tickets/", TICKET)

    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_without_a_key_every_post_creates(agent_api):
    post(agent_api, "/api/support/tickets/", TICKET, key=None)
    post(agent_api, "/api/support/tickets/", TICKET, key=None)

    assert Ticket.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_key_older_than_24_hours_is_new_again(agent_api):
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        post(agent_api, "/api/support/tickets/", TICKET)

    again = post(agent_api, "/api/support/tickets/", {**TICKET, "subject": "A new day"})

    assert again.status_code == 201
    assert Ticket.objects.count() == 2
    assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_the_purge_deletes_keys_older_than_24_hours(agent_api):
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        post(agent_api, "/api/support/tickets/", TICKET, key="old")
    post(agent_api, "/api/support/tickets/", TICKET, key="new")

    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert purge_expired_keys() == 0


def test_the_purge_runs_on_the_beat_schedule():
    from helpdesk.celery import beat_schedule

    assert beat_schedule()["purge-idempotency-keys"]["task"] == purge_idempotency_keys.name


def _multipart(boundary: str, body: str, file_content: bytes) -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="body"\r\n\r\n'
            f"{body}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="attachments"; filename="log.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + file_content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_a_retried_upload_with_a_new_boundary_is_the_same_request(agent_api, agent):
    ticket = TicketFactory(assigned_agent=agent)
    path = f"/api/support/tickets/{ticket.pk}/messages/with-attachments/"

    def upload(boundary: str, body: str = "The log.", content: bytes = b"error 42"):
        return agent_api.generic(
            "POST",
            path,
            _multipart(boundary, body, content),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload("first-boundary")
    again = upload("second-boundary")
    other_file = upload("third-boundary", content=b"error 43")

    assert (first.status_code, again.status_code, other_file.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert first.json()["attachments"][0]["name"] == "log.txt"
    assert Message.objects.filter(ticket=ticket).count() == 1


# --- Concurrent duplicates ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_ticket(agent):
    from conftest import api_client_for

    clients = [api_client_for(agent.user) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)
    replayed = [False] * len(clients)

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = post(clients[index], "/api/support/tickets/", TICKET, key="storm")
            answers[index] = (response.status_code, response.json())
            replayed[index] = response.get("Idempotent-Replayed") == "true"
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Ticket.objects.count() == 1
    assert answers[0] is not None and answers[0][0] == 201
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][1]["id"] == Ticket.objects.get().pk
    assert replayed.count(True) == len(clients) - 1  # one ran the view, the others waited for its answer


# --- Every creating POST of the OpenAPI document ---------------------------------------------

# Creating requests the permission table does not make (there the link exists already).
EXTRA_ROWS = [
    api("api:ticket-links", "POST", (401, 401, 201, 201, 201, 201, 201), body={"ticket": "third ticket"}),
]


def creating_operations() -> list[tuple[str, str]]:
    """(OpenAPI path, URL name) of every POST operation that documents a 201."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in document["paths"].items():
        if "201" in operations.get("post", {}).get("responses", {}):
            concrete = path.replace("{id}", "1")
            for name in ("other", "cc_id", "message_id", "attachment_id", "delivery_id"):
                concrete = concrete.replace("{" + name + "}", "1")
            match = resolve(concrete)
            found.append((path, f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name))
    return found


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def creating_row(name: str) -> tuple[Row, str]:
    for row in EXTRA_ROWS + MATRIX:
        if row.name == name and row.method == "POST" and 201 in row.expected:
            return row, PERSONAS[row.expected.index(201)]
    raise AssertionError(f"No request that creates through {name}: add one to MATRIX or EXTRA_ROWS.")


def test_the_document_has_creating_posts_to_walk():
    names = {name for _path, name in creating_operations()}
    assert {"api:ticket-list", "api:ticket-messages", "api:webhook-list", "api:feedback-list"} <= names


@pytest.mark.parametrize("operation", creating_operations(), ids=lambda operation: operation[0])
def test_every_creating_post_answers_a_replay_with_the_first_answer(operation, world):
    path_template, name = operation
    world["ids"]["third ticket"] = TicketFactory(customer_email="third@example.org").pk
    row, persona = creating_row(name)
    pattern = next(pattern for pattern in url_patterns() if pattern.name == name)
    client = client_for(persona, world)
    path = path_for(pattern, row, persona, world)
    fields = body_for(row, world)
    key = {"HTTP_IDEMPOTENCY_KEY": f"walk-{name}"}

    def post():
        if row.files:  # an upload operation: multipart with the same file each time
            upload = SimpleUploadedFile("log.txt", b"line 1\n", content_type="text/plain")
            return client.post(path, {**fields, "attachments": [upload]}, **key)
        return client.post(path, json.dumps(fields), content_type="application/json", **key)

    before = row_counts()
    first = post()
    after_first = row_counts()
    again = post()

    assert first.status_code == 201, first.content
    assert after_first != before
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == after_first, f"{path_template}: the replay wrote rows"


def test_the_document_describes_the_header_and_the_422(agent_api):
    document = agent_api.get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/support/tickets/"]["post"]

    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["maxLength"] == 255
    assert "422" in operation["responses"]
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
