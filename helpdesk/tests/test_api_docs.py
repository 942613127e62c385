from __future__ import annotations

import re

import pytest
import yaml
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_it_publishes_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    validate(document)  # raises on any violation of the OpenAPI 3 specification


@pytest.mark.django_db
def test_it_renders_the_docs_page_from_local_assets_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert all(not asset.startswith(("http://", "https://", "//")) for asset in assets), assets
    bundle = next(asset for asset in assets if asset.endswith("swagger-ui-bundle.js"))
    assert client.get(bundle).status_code == 200


@pytest.mark.django_db
def test_schema_generation_has_no_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn turns any warning (untyped parameter, unnamed enum...) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "/api/support/tickets/{id}/messages/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.django_db
def test_a_body_the_api_cannot_parse_gets_a_documented_415(agent_api):
    from tickets.tests.factories import TicketFactory

    ticket = TicketFactory()
    document = yaml.safe_load(agent_api.get("/api/schema/").content)
    documented = document["paths"]["/api/support/tickets/{id}/messages/"]["post"]["responses"]

    response = agent_api.generic(
        "POST", f"/api/support/tickets/{ticket.pk}/messages", b"Thanks!", content_type="text/plain"
    )

    assert response.status_code == 415
    assert "415" in documented


def test_generating_the_schema_reads_nothing_from_the_database(monkeypatch):
    """drf-spectacular calls views' get_queryset() to type their filters: a queryset narrowed
    by the caller (tickets.visibility reads the caller's teams) must not run a query then.
    One did once, from test_schemathesis' schema read at import time, against DATABASE_URL's
    own database before the test database existed, and left the suite's later transactional
    tests on the wrong database."""
    from django.db.backends.base.base import BaseDatabaseWrapper
    from drf_spectacular.generators import SchemaGenerator

    connects = []
    real = BaseDatabaseWrapper.ensure_connection

    def counted(self):
        connects.append(self.alias)
        return real(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", counted)
    SchemaGenerator().get_schema(request=None, public=True)

    assert connects == []
