"""ETags and If-Match: a change made only to the version of a resource the caller read
(core.api.ConditionalUpdates)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction
from django.urls import resolve

from customers.models import Organization
from helpdesk.tests import test_permission_matrix
from helpdesk.tests.test_permission_matrix import (
    MATRIX,
    PERSONAS,
    body_for,
    client_for,
    path_for,
    url_patterns,
)

# The permission table's objects, which its rows name.
world = test_permission_matrix.world


def conditional_operations() -> list[tuple[str, str, str]]:
    """(method, OpenAPI path, URL name) of every PATCH and PUT in the OpenAPI document."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in document["paths"].items():
        for method in ("patch", "put"):
            if method in operations:
                match = resolve(path.replace("{id}", "1"))
                found.append((method.upper(), path, f"{match.namespace}:{match.url_name}"))
    return found


def allowed_row(name: str, method: str):
    """The permission table's request, and the first persona it does not refuse."""
    for row in MATRIX:
        if row.name == name and row.method == method and not row.variant:
            for persona, status in zip(PERSONAS, row.expected, strict=True):
                if status not in (401, 403, 404):
                    return row, persona, status
    raise AssertionError(f"No {method} {name} in the permission table that some persona may send.")


def send(client, method: str, path: str, body: dict, **headers):
    return client.generic(method, path, json.dumps(body), content_type="application/json", **headers)


def test_the_document_has_patches_and_puts_to_walk():
    operations = {(method, name) for method, _path, name in conditional_operations()}
    assert {("PATCH", "api:ticket-detail"), ("PATCH", "api:customer-detail"), ("PUT", "api:article-detail")} <= (
        operations
    )


@pytest.mark.parametrize("operation", conditional_operations(), ids=lambda operation: f"{operation[0]} {operation[1]}")
def test_every_patch_and_put_honours_if_match(operation, world):
    method, path_template, name = operation
    row, persona, status = allowed_row(name, method)
    pattern = next(pattern for pattern in url_patterns() if pattern.name == name)
    client = client_for(persona, world)
    path = path_for(pattern, row, persona, world)
    body = body_for(row, world)

    read = client.get(path)
    etag = read["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert client.get(path, HTTP_ACCEPT_LANGUAGE="ru")["ETag"] == etag, "the tag depends on the language"

    stale = send(client, method, path, body, HTTP_IF_MATCH='"not-the-current-version"')
    assert stale.status_code == 412, f"{method} {path_template}: {stale.status_code} for a stale If-Match"
    assert stale.json()["detail"]
    reread = client.get(path)
    assert (reread["ETag"], reread.content) == (etag, read.content), f"{method} {path_template} wrote on a 412"

    with transaction.atomic():
        unconditional = send(client, method, path, body)
        transaction.set_rollback(True)
    matched = send(client, method, path, body, HTTP_IF_MATCH=etag)
    assert matched.status_code == unconditional.status_code == status
    if status == 200:
        assert matched["ETag"] == client.get(path)["ETag"]


def test_if_match_star_matches_any_version(world):
    client = client_for("supervisor", world)
    path = f"/api/support/organizations/{world['ids']['organization']}/"

    response = send(client, "PATCH", path, {"vip": True}, HTTP_IF_MATCH="*")

    assert response.status_code == 200
    assert Organization.objects.get(pk=world["ids"]["organization"]).vip is True


def test_a_weak_tag_never_matches(world):
    client = client_for("supervisor", world)
    path = f"/api/support/organizations/{world['ids']['organization']}/"
    etag = client.get(path)["ETag"]

    assert send(client, "PATCH", path, {"vip": True}, HTTP_IF_MATCH=f"W/{etag}").status_code == 412


def test_one_of_several_tags_matches(world):
    client = client_for("supervisor", world)
    path = f"/api/support/organizations/{world['ids']['organization']}/"
    etag = client.get(path)["ETag"]

    assert send(client, "PATCH", path, {"vip": True}, HTTP_IF_MATCH=f'"older", {etag}').status_code == 200


def test_a_change_made_meanwhile_answers_412(world):
    client = client_for("supervisor", world)
    path = f"/api/support/organizations/{world['ids']['organization']}/"
    etag = client.get(path)["ETag"]
    assert send(client, "PATCH", path, {"name": "Initech Ltd"}).status_code == 200

    late = send(client, "PATCH", path, {"name": "Initrode"}, HTTP_IF_MATCH=etag)

    assert late.status_code == 412
    assert Organization.objects.get(pk=world["ids"]["organization"]).name == "Initech Ltd"


@pytest.mark.django_db(transaction=True)
def test_two_changes_from_one_version_at_once_make_one_change(supervisor):
    from conftest import api_client_for

    organization = Organization.objects.create(name="Initech", domains=["initech.example"])
    path = f"/api/support/organizations/{organization.pk}/"
    clients = [api_client_for(supervisor.user) for _ in range(2)]
    etag = clients[0].get(path)["ETag"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def rename(client, name: str) -> None:
        try:
            barrier.wait(timeout=10)
            statuses[name] = send(client, "PATCH", path, {"name": name}, HTTP_IF_MATCH=etag).status_code
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=rename, args=(client, name)) for client, name in zip(clients, "AB", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses.values()) == [200, 412]
    winner = next(name for name, status in statuses.items() if status == 200)
    organization.refresh_from_db()
    assert organization.name == winner


def test_the_document_describes_if_match_412_and_etag(agent_api):
    document = agent_api.get("/api/schema/?format=json").json()
    patch = document["paths"]["/api/support/tickets/{id}/"]["patch"]
    read = document["paths"]["/api/support/tickets/{id}/"]["get"]

    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert "412" in patch["responses"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert "ETag" in read["responses"]["200"]["headers"]
