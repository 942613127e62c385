"""Request limits: oversized, too deep or malformed input answers 400/413, never a 500, and
creates nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.limits import JSONParser, PayloadTooLarge, json_depth
from feedback.models import Feedback
from tickets.models import Attachment, Message, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

API_TICKET = {
    "subject": "Printer on fire",
    "description": "The printer on floor 3 is on fire.",
    "customer_email": "jane@example.org",
    "category": "general",
}
PORTAL_FORM = {
    "customer_name": "Jane Roe",
    "customer_email": "jane@example.org",
    "category": "general",
    "subject": "Lamp arrived broken",
    "description": "The lamp I ordered arrived with a cracked shade.",
}


def rows() -> tuple[int, int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), Attachment.objects.count(), Feedback.objects.count()


@pytest.fixture
def nothing_created(category) -> Iterator[None]:
    """The rows of every table a request could write are the same before and after."""
    before = rows()
    yield
    assert rows() == before


@pytest.fixture
def ticket(db):
    return TicketFactory()


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.ATTACHMENT_MAX_FILES = 3
    settings.JSON_MAX_DEPTH = 8
    return settings


def nested(depth: int) -> object:
    document: object = "bottom"
    for level in range(depth):
        document = [document] if level % 2 else {"deeper": document}
    return document


def upload(name: str = "log.txt", size: int = 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="text/plain")


# --- Body size ---------------------------------------------------------------------------


def test_an_oversized_json_body_answers_413_json(agent_api, small_limits, nothing_created):
    body = {**API_TICKET, "description": "x" * 5000}

    response = agent_api.post("/api/support/tickets", body, format="json")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "at most 4.0\xa0KB (4096 bytes)" in response.json()["detail"]


def test_a_body_just_under_the_limit_is_accepted(agent_api, small_limits, category):
    body = {**API_TICKET, "description": "x" * 3500}

    response = agent_api.post("/api/support/tickets", body, format="json")

    assert response.status_code == 201, response.content
    assert len(json.dumps(body)) < 4096


def test_the_parser_reads_no_further_than_the_limit(small_limits):
    """DRF hands the parser the raw stream, which Django's own size check never sees; a body
    longer than declared (or not declared at all) is cut off at the limit and refused."""
    body = io.BytesIO(json.dumps({**API_TICKET, "description": "x" * 5000}).encode())

    with pytest.raises(PayloadTooLarge) as refused:
        JSONParser().parse(body, "application/json", {})

    assert refused.value.status_code == 413
    assert body.tell() == 4097


def test_an_oversized_form_answers_a_413_page(client, small_limits, nothing_created):
    response = client.post("/portal/tickets/new", {**PORTAL_FORM, "description": "x" * 5000})

    assert response.status_code == 413
    page = response.content.decode()
    assert "What you sent is too large" in page and "nothing was saved" in page


def test_an_oversized_upload_answers_413(client, agent_api, ticket, small_limits, nothing_created):
    def too_much() -> list[SimpleUploadedFile]:
        return [upload(f"f{n}.txt", 1024) for n in range(8)]  # over 3 x 1 KB + 4 KB

    page = client.post("/portal/tickets/new", {**PORTAL_FORM, "attachments": too_much()})
    api = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "Logs", "attachments": too_much()},
        format="multipart",
    )

    assert page.status_code == 413 and "too large" in page.content.decode()
    assert api.status_code == 413 and "too large" in api.json()["detail"]


def test_form_fields_over_the_limit_inside_an_upload_answer_413(agent_api, ticket, small_limits, nothing_created):
    """Within the upload allowance, but the text fields alone are over the body limit:
    Django's own RequestDataTooBig, which would otherwise be a bare 400."""

    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "x" * 5000, "attachments": [upload()]},
        format="multipart",
    )

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_a_file_over_its_own_limit_is_refused_naming_the_field(client, small_limits, nothing_created):
    response = client.post("/portal/tickets/new", {**PORTAL_FORM, "attachments": [upload("big.txt", 1025)]})

    assert response.status_code == 400
    assert "the limit is 1.0\xa0KB" in response.content.decode()


def test_too_many_files_are_refused_naming_the_field(client, agent_api, ticket, small_limits, nothing_created):
    def files() -> list[SimpleUploadedFile]:
        return [upload(f"f{n}.txt") for n in range(4)]

    page = client.post("/portal/tickets/new", {**PORTAL_FORM, "attachments": files()})
    api = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "Logs", "attachments": files()},
        format="multipart",
    )

    assert page.status_code == 400 and "At most 3 files" in page.content.decode()
    assert api.status_code == 400 and "At most 3 files" in " ".join(api.json()["attachments"])


def test_more_files_than_django_accepts_answer_400_not_500(client, settings, nothing_created):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2

    response = client.post("/portal/tickets/new", {**PORTAL_FORM, "attachments": [upload(), upload(), upload()]})

    assert response.status_code == 400
    assert "Too many files: at most 2" in response.content.decode()


def test_more_form_fields_than_django_accepts_answer_400_not_500(agent_api, settings, nothing_created):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"field{n}": "x" for n in range(10)}

    response = agent_api.post("/api/support/tickets/with-attachments", fields, format="multipart")

    assert response.status_code == 400
    assert "Too many form fields: at most 5" in response.json()["detail"]


# --- JSON --------------------------------------------------------------------------------


def test_json_nested_past_the_limit_answers_400(agent_api, small_limits, nothing_created):
    body = {**API_TICKET, "tags": nested(9)}

    response = agent_api.post("/api/support/tickets", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested deeper than 8 levels."}


def test_json_nested_to_the_limit_is_parsed(agent_api, small_limits, nothing_created):
    """Eight levels deep is allowed: the answer is the serializer's, about the field."""
    body = {**API_TICKET, "tags": nested(7)}
    assert json_depth(body) == 8

    response = agent_api.post("/api/support/tickets", body, format="json")

    assert response.status_code == 400
    assert "tags" in response.json()


def test_json_nested_far_past_the_recursion_limit_answers_400(agent_api, nothing_created):
    body = "[" * 100_000 + "]" * 100_000

    response = agent_api.post("/api/support/tickets", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"subject": "Hi",', "JSON parse error"),
        (b"{'subject': 'single quotes'}", "JSON parse error"),
        (b'{"subject": NaN}', "NaN is not valid JSON"),
        (b'{"subject": "\xff\xfe"}', "not valid utf-8 text"),
    ],
)
def test_malformed_json_answers_400(agent_api, body, reason, nothing_created):
    response = agent_api.generic("POST", "/api/support/tickets", body, content_type="application/json")

    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_malformed_json_from_an_anonymous_caller_answers_400(nothing_created):
    from knowledge.tests.factories import ArticleFactory

    article = ArticleFactory()

    response = Client().post(f"/api/support/articles/{article.pk}/helpful", b"{", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_json_depth_counts_arrays_and_objects():
    assert json_depth("text") == 0
    assert json_depth({}) == 1
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(nested(50)) == 50
