"""/api/support/customers and /api/support/organizations (issue 22, points 4 and 5)."""

from __future__ import annotations

import pytest

from customers.models import Customer, Organization
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets.models import EventKind, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/support/customers"
ORGANIZATIONS = "/api/support/organizations"


def test_the_list_searches_address_aliases_and_name_and_filters(agent_api, django_assert_max_num_queries):
    acme = OrganizationFactory(name="Acme", vip=True)
    jane = CustomerFactory(email="jane@example.org", name="Jane Roe", organization=acme, bouncing=True)
    john = CustomerFactory(email="john@example.net", name="John", aliases=["JD@old.example".lower()])
    CustomerFactory(email="zed@example.com", name="Zed")

    def emails(query: str) -> list[str]:
        response = agent_api.get(f"{CUSTOMERS}?{query}")
        assert response.status_code == 200, response.json()
        return [row["email"] for row in response.json()["results"]]

    assert emails("q=ROE") == ["jane@example.org"]
    assert emails("q=old.exam") == ["john@example.net"]
    assert emails("q=jd@old.example") == ["john@example.net"]
    assert emails(f"organization={acme.pk}") == ["jane@example.org"]
    assert emails("bouncing=true") == ["jane@example.org"]
    with django_assert_max_num_queries(6):
        rows = agent_api.get(CUSTOMERS).json()["results"]
    assert [r["email"] for r in rows] == ["jane@example.org", "john@example.net", "zed@example.com"]
    assert rows[0]["organization"] == acme.pk and rows[0]["organization_name"] == "Acme" and rows[0]["vip"]
    assert john.pk == rows[1]["id"] and jane.pk == rows[0]["id"]


def test_the_detail_counts_tickets_and_lists_the_newest(agent_api, category):
    jane = CustomerFactory(email="jane@example.org")
    TicketFactory(customer=jane, status="open", subject="First")
    TicketFactory(customer=jane, status="closed", subject="Second")
    newest = TicketFactory(customer=jane, status="new", subject="Third")
    body = agent_api.get(f"{CUSTOMERS}/{jane.pk}").json()
    assert (body["tickets"]["open"], body["tickets"]["total"]) == (2, 3)
    assert body["tickets"]["newest"][0]["id"] == newest.pk
    assert body["tickets"]["newest"][0]["number"] == f"#{newest.pk}"
    assert agent_api.get(f"{CUSTOMERS}/99999999999999999999").status_code == 404


def test_agents_change_a_profile_and_bad_input_names_the_field(agent_api):
    jane = CustomerFactory(bouncing=True)
    acme = OrganizationFactory()
    response = agent_api.patch(
        f"{CUSTOMERS}/{jane.pk}", {"notes": "Call after 5.", "bouncing": False, "organization": acme.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["notes"], response.json()["bouncing"], response.json()["organization"]) == (
        "Call after 5.",
        False,
        acme.pk,
    )
    for body, field in (
        ({"language": "de"}, "language"),
        ({"organization": 999999}, "organization"),
        ({"email": "x@example.org"}, "email"),
        ({"notes": "x" * 5001}, "notes"),
    ):
        response = agent_api.patch(f"{CUSTOMERS}/{jane.pk}", body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())


def test_merging_answers_the_merged_profile(agent_api):
    target = CustomerFactory(email="jane@example.org")
    source = CustomerFactory(email="jane@old.example")
    moved = TicketFactory(customer=source)
    response = agent_api.post(f"{CUSTOMERS}/{source.pk}/merge", {"into": target.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == target.pk and response.json()["aliases"] == ["jane@old.example"]
    assert response.json()["tickets"]["total"] == 1
    assert not Customer.objects.filter(pk=source.pk).exists()
    assert TicketEvent.objects.filter(ticket=moved, kind=EventKind.CUSTOMER).exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"into": "x"}, "into"), ({}, "into"), ({"into": 999999}, "into"), ({"into": "self"}, "into")]
)
def test_a_bad_merge_is_a_400_naming_into(agent_api, body, field):
    source = CustomerFactory()
    if body.get("into") == "self":
        body = {"into": source.pk}
    response = agent_api.post(f"{CUSTOMERS}/{source.pk}/merge", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_integrations_read_and_change_profiles_but_do_not_merge(integration_api):
    source, target = CustomerFactory(), CustomerFactory()
    assert integration_api.get(CUSTOMERS).status_code == 200
    assert integration_api.patch(f"{CUSTOMERS}/{source.pk}", {"name": "X"}, format="json").status_code == 200
    assert integration_api.post(f"{CUSTOMERS}/{source.pk}/merge", {"into": target.pk}, format="json").status_code == 403


def test_supervisors_create_organisations_that_claim_their_customers(supervisor_api, agent_api):
    wile = CustomerFactory(email="wile@acme.example")
    response = supervisor_api.post(
        ORGANIZATIONS, {"name": "Acme", "domains": ["ACME.example"], "vip": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["domains"], body["customers_count"], body["vip"]) == (["acme.example"], 1, True)
    wile.refresh_from_db()
    assert wile.organization_id == body["id"]
    assert agent_api.get(f"{ORGANIZATIONS}/{body['id']}").json()["customers_count"] == 1
    assert agent_api.post(ORGANIZATIONS, {"name": "Nope"}, format="json").status_code == 403
    assert agent_api.get(f"{ORGANIZATIONS}?q=acme.EXAMPLE").json()["results"][0]["name"] == "Acme"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "New", "domains": ["not a domain"]}, "domains"),
        ({"name": "New", "domains": ["taken.example"]}, "domains"),
        ({"name": "Taken"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "New", "domains": "taken.example"}, "domains"),
    ],
)
def test_a_bad_organisation_is_a_400_naming_the_field(supervisor_api, body, field):
    OrganizationFactory(name="Taken", domains=["taken.example"])
    response = supervisor_api.post(ORGANIZATIONS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_deleting_an_organisation_keeps_its_customers(supervisor_api):
    acme = OrganizationFactory()
    jane = CustomerFactory(organization=acme)
    assert supervisor_api.delete(f"{ORGANIZATIONS}/{acme.pk}").status_code == 204
    jane.refresh_from_db()
    assert jane.organization is None and not Organization.objects.exists()


def test_tickets_show_and_filter_by_customer_and_organisation(agent_api, django_assert_max_num_queries):
    acme = OrganizationFactory()
    jane = CustomerFactory(organization=acme)
    john = CustomerFactory()
    mine = TicketFactory(customer=jane)
    TicketFactory(customer=john)
    TicketFactory()
    rows = agent_api.get(f"/api/support/tickets?customer={jane.pk}").json()["results"]
    assert [(r["id"], r["customer"], r["organization"]) for r in rows] == [(mine.pk, jane.pk, acme.pk)]
    rows = agent_api.get(f"/api/support/tickets?organization={acme.pk}").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    detail = agent_api.get(f"/api/support/tickets/{mine.pk}").json()
    assert (detail["customer"], detail["organization"]) == (jane.pk, acme.pk)
    assert agent_api.get("/api/support/tickets?customer=x").status_code == 400


def test_boolean_filters_refuse_a_value_other_than_true_or_false(agent_api):
    OrganizationFactory(name="Acme", vip=True)
    OrganizationFactory(name="Plain", vip=False)

    def names(query):
        return [row["name"] for row in agent_api.get(f"{ORGANIZATIONS}?{query}").json()["results"]]

    assert names("vip=true") == ["Acme"] and names("vip=FALSE") == ["Plain"] and names("vip=") == ["Acme", "Plain"]
    for path in (f"{ORGANIZATIONS}?vip=maybe", f"{CUSTOMERS}?bouncing=maybe", "/api/support/tickets?unassigned=yes"):
        response = agent_api.get(path)
        name = path.rpartition("?")[2].partition("=")[0]
        assert response.status_code == 400, path
        assert list(response.json()) == [name]
