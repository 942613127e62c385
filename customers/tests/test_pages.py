"""The workspace's customer and organisation pages (issue 22, points 4, 5 and 7)."""

from __future__ import annotations

import pytest
from django.test import Client

from customers.models import Customer
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor.user)
    return client


def test_the_ticket_page_links_the_customer_and_the_profile_shows_all_their_tickets(
    agent_client, django_assert_max_num_queries
):
    acme = OrganizationFactory(name="Acme", vip=True)
    jane = CustomerFactory(name="Jane Roe", email="jane@example.org", organization=acme, notes="Prefers <b>email</b>")
    tickets = [TicketFactory(customer=jane, customer_email=jane.email, subject=f"Question {n}") for n in range(30)]
    TicketFactory(subject="Someone else's")
    page = agent_client.get(f"/agent/tickets/{tickets[0].pk}").content.decode()
    assert f'href="/agent/customers/{jane.pk}/"' in page

    with django_assert_max_num_queries(14):
        response = agent_client.get(f"/agent/customers/{jane.pk}/")
    text = response.content.decode()
    assert "Jane Roe" in text and "VIP" in text and "Acme" in text
    assert "Prefers &lt;b&gt;email&lt;/b&gt;" in text  # escaped
    assert "30 tickets, 30 open" in text and "Question 29" in text and "Someone else" not in text
    assert "Question 0" in agent_client.get(f"/agent/customers/{jane.pk}/?page=2").content.decode()


def test_the_list_searches_and_pages(agent_client):
    CustomerFactory(name="Jane Roe", email="jane@example.org")
    CustomerFactory(name="Zed", email="zed@example.org", aliases=["zed@old.example"])
    text = agent_client.get("/agent/customers/?q=old.example").content.decode()
    assert "Zed" in text and "Jane Roe" not in text
    assert agent_client.get("/agent/customers/?q=%00").status_code == 200


def test_agents_edit_and_merge_profiles(agent_client):
    jane = CustomerFactory(email="jane@example.org", bouncing=True)
    old = CustomerFactory(email="jane@old.example")
    TicketFactory(customer=old)
    response = agent_client.post(
        f"/agent/customers/{jane.pk}/edit", {"customer-notes": "Call after 5.", "customer-language": "ru"}
    )
    assert response.status_code == 302
    jane.refresh_from_db()
    assert (jane.notes, jane.language, jane.bouncing) == ("Call after 5.", "ru", False)

    refused = agent_client.post(f"/agent/customers/{old.pk}/merge", {"merge-into": "nobody@example.org"})
    assert refused.status_code == 400 and Customer.objects.filter(pk=old.pk).exists()
    response = agent_client.post(
        f"/agent/customers/{old.pk}/merge", {"merge-into": "JANE@example.org", "merge-confirm": "on"}
    )
    assert response["Location"] == f"/agent/customers/{jane.pk}/"
    jane.refresh_from_db()
    assert jane.aliases == ["jane@old.example"] and jane.tickets.count() == 1


def test_only_supervisors_change_organisations(agent_client, supervisor_client):
    wile = CustomerFactory(email="wile@acme.example")
    assert agent_client.post("/agent/organizations/new", {"organization-name": "Acme"}).status_code == 403
    response = supervisor_client.post(
        "/agent/organizations/new", {"organization-name": "Acme", "organization-domains": "acme.example, acme.test"}
    )
    assert response.status_code == 302
    wile.refresh_from_db()
    assert wile.organization.domains == ["acme.example", "acme.test"]
    bad = supervisor_client.post(
        f"/agent/organizations/{wile.organization_id}/edit",
        {"organization-name": "Acme", "organization-domains": "not a domain"},
    )
    assert bad.status_code == 400 and "is not a domain name" in bad.content.decode()
    page = agent_client.get(f"/agent/organizations/{wile.organization_id}/").content.decode()
    assert "wile@acme.example" in page and "organization-edit" not in page and "/edit" not in page


def test_a_failed_merge_shows_the_confirmation_unticked(agent_client):
    old = CustomerFactory(email="jane@old.example")

    refused = agent_client.post(
        f"/agent/customers/{old.pk}/merge", {"merge-into": "nobody@example.org", "merge-confirm": "on"}
    )

    assert refused.status_code == 400 and Customer.objects.filter(pk=old.pk).exists()
    assert "No customer has this address." in refused.content.decode()
    form = refused.context["merge_form"]
    assert form["into"].value() == "nobody@example.org"  # kept, to be corrected
    assert not form["confirm"].value()
    assert 'name="merge-confirm"' in str(form["confirm"]) and "checked" not in str(form["confirm"])


def test_the_organisation_form_names_each_bad_entry_whole(supervisor_client):
    response = supervisor_client.post(
        "/agent/organizations/new", {"organization-name": "Acme", "organization-domains": "not a domain, @@@"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "“not a domain” is not a domain name like example.com." in page
    assert "“@@@” is not a domain name like example.com." in page
    assert "“not” is not" not in page


def test_the_empty_lists_say_none_yet_before_any_search(agent_client):
    organizations = agent_client.get("/agent/organizations/").content.decode()
    searched = agent_client.get("/agent/organizations/?q=acme").content.decode()
    customers = agent_client.get("/agent/customers/").content.decode()

    assert "No organisations yet." in organizations and "No organisations match." not in organizations
    assert "No organisations match." in searched
    assert "No customers yet." in customers
    assert "No customers match." in agent_client.get("/agent/customers/?bouncing=1").content.decode()


def test_the_customers_list_is_ordered_by_the_name_it_shows(agent_client):
    CustomerFactory(name="Zed", email="a.zed@example.org")
    CustomerFactory(name="", email="bea@example.org")  # shown by address
    CustomerFactory(name="adam", email="z.adam@example.org")

    response = agent_client.get("/agent/customers/")

    assert [customer.email for customer in response.context["page"]] == [
        "z.adam@example.org",
        "bea@example.org",
        "a.zed@example.org",
    ]
    page = response.content.decode()
    assert '<label class="checkbox"><input type="checkbox" name="bouncing" value="1" > <span>Bouncing only' in page
