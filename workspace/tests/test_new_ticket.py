"""Issue 24, point 4: the workspace's "New ticket" page (workspace/new_ticket.py), where an
agent opens a ticket for a customer who called or came to the desk."""

from __future__ import annotations

import pytest
from django.core import mail

from agents.models import Team
from customers.models import Customer, Organization
from tickets.models import EventKind, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def ann(db):
    acme = Organization.objects.create(name="Acme")
    return Customer.objects.create(email="ann@example.org", name="Ann Caller", organization=acme)


FORM = {
    "customer": "new",
    "customer_name": "Bob Walker",
    "customer_email": "bob@example.org",
    "channel": "phone",
    "subject": "Badge does not open the door",
    "description": "Bob called: his badge stopped opening the front door this morning.",
    "category": "general",
    "priority": "high",
    "team": "",
    "assignee": "me",
}


def test_the_workspace_links_to_the_page(signed_in):
    page = signed_in.get("/agent/").content.decode()

    assert 'href="/agent/tickets/new"' in page


def test_it_opens_a_ticket_for_a_new_customer_and_goes_to_it(signed_in, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/agent/tickets/new", FORM)

    ticket = Ticket.objects.get(subject="Badge does not open the door")
    assert response.status_code == 302 and response.url == f"/agent/tickets/{ticket.pk}"
    assert (ticket.channel, ticket.priority, ticket.assigned_agent) == ("phone", "high", agent)
    assert (ticket.customer.email, ticket.customer.name) == ("bob@example.org", "Bob Walker")
    assert ticket.events.filter(kind=EventKind.CREATED, actor_name="Agnes Agent").exists()
    assert mail.outbox == []  # no acknowledgement unless ticked
    page = signed_in.get(response.url).content.decode()
    assert f"Ticket #{ticket.pk} opened for bob@example.org." in page
    assert "via phone" in page


def test_it_opens_a_ticket_for_a_customer_found_by_name(signed_in, ann, django_capture_on_commit_callbacks):
    found = signed_in.get("/agent/tickets/new/customers", {"q": "caller"}, HTTP_HX_REQUEST="true")
    assert found.status_code == 200
    html = found.content.decode()
    assert f'value="{ann.pk}"' in html and "Ann Caller" in html and "Acme" in html

    form = {**FORM, "customer": str(ann.pk), "customer_name": "", "customer_email": "", "channel": "walk_in"}
    form["acknowledge"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/agent/tickets/new", form)

    ticket = Ticket.objects.get(subject="Badge does not open the door")
    assert response.status_code == 302
    assert (ticket.customer_id, ticket.customer_email, ticket.channel) == (ann.pk, "ann@example.org", "walk_in")
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_the_search_works_without_javascript(signed_in, ann):
    page = signed_in.get("/agent/tickets/new", {"q": "ann@example"}).content.decode()

    assert f'<input type="radio" name="customer" value="{ann.pk}"' in page
    assert 'form="customer-search"' in page
    nothing = signed_in.get("/agent/tickets/new", {"q": "zzz"}).content.decode()
    assert "No customer found for “zzz”" in nothing


def test_names_in_the_search_are_escaped(signed_in):
    Customer.objects.create(email="x@example.org", name="<script>alert(1)</script>")

    html = signed_in.get("/agent/tickets/new/customers", {"q": "script"}).content.decode()

    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"customer_email": ""}, "customer_email", "Enter the new customer&#x27;s email address"),
        ({"customer_email": "bob@"}, "customer_email", "Enter a valid email address."),
        ({"customer": "999999"}, "customer", "That customer no longer exists"),
        ({"customer": "abc"}, "customer", "That customer no longer exists"),
        ({"description": "short"}, "description", "at least 10 characters"),
        ({"subject": ""}, "subject", "This field is required."),
        ({"channel": "email"}, "channel", "Select a valid choice."),
        ({"category": "nope"}, "category", "Select a valid choice."),
        ({"priority": "whenever"}, "priority", "Select a valid choice."),
        ({"team": "99999"}, "team", "Select a valid choice."),
        ({"assignee": "99999"}, "assignee", "Select a valid choice."),
        ({"description": "x" * 5001}, "description", "at most 5000 characters"),
    ],
)
def test_bad_input_is_shown_under_its_field(signed_in, change, field, message):
    response = signed_in.post("/agent/tickets/new", {**FORM, **change})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert message in html
    # The error follows its control (errors under the field).
    assert html.index(f'name="{field}"') < html.index(message)
    assert not Ticket.objects.exists()


def test_a_full_assignee_is_refused_under_the_field(signed_in, other_agent):
    other_agent.max_tickets = 1
    other_agent.save()
    from tickets.tests.factories import TicketFactory

    TicketFactory(assigned_agent=other_agent, status="open")

    response = signed_in.post("/agent/tickets/new", {**FORM, "assignee": str(other_agent.pk)})

    assert response.status_code == 400
    assert "already has 1 open tickets of 1" in str(response.context["form"].errors["assignee"])
    assert not Ticket.objects.filter(subject=FORM["subject"]).exists()


def test_restricted_teams_are_offered_only_to_who_may_see_them(signed_in, agent, other_agent, client):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(other_agent)
    Team.objects.create(name="Office")

    page = signed_in.get("/agent/tickets/new").content.decode()
    assert ">Office<" in page and ">Vault<" not in page
    refused = signed_in.post("/agent/tickets/new", {**FORM, "team": str(vault.pk)})
    assert refused.status_code == 400 and "team" in refused.context["form"].errors


def test_a_ticket_routed_to_a_team_hidden_from_the_agent_goes_back_to_the_queue(signed_in, category, other_agent):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(other_agent)
    category.team = vault
    category.save()

    response = signed_in.post("/agent/tickets/new", {**FORM, "assignee": ""}, follow=True)

    ticket = Ticket.objects.get(subject=FORM["subject"])
    assert ticket.team == vault
    assert response.redirect_chain[-1][0] == "/agent/"
    assert "in the team Vault; you are not in it" in response.content.decode()


def test_only_agents_may_open_the_page(client, integration_user):
    assert client.get("/agent/tickets/new").status_code == 302  # to sign in
    client.force_login(integration_user)
    assert client.get("/agent/tickets/new").status_code == 403
    assert client.post("/agent/tickets/new", FORM).status_code == 403
    assert client.get("/agent/tickets/new/customers", {"q": "a"}).status_code == 403
    assert not Ticket.objects.exists()


def test_a_superuser_without_an_agent_profile_opens_a_ticket_for_nobody(client, admin_user, category):
    client.force_login(admin_user)
    page = client.get("/agent/tickets/new").content.decode()
    assert 'value="me"' not in page

    response = client.post("/agent/tickets/new", {**FORM, "assignee": ""})

    assert response.status_code == 302
    assert Ticket.objects.get(subject=FORM["subject"]).assigned_agent is None


def test_the_customer_page_opens_the_form_with_the_customer_chosen(signed_in, ann):
    profile = signed_in.get(f"/agent/customers/{ann.pk}/").content.decode()
    assert f'href="/agent/tickets/new?customer={ann.pk}"' in profile

    page = signed_in.get("/agent/tickets/new", {"customer": ann.pk}).content.decode()

    assert f'value="{ann.pk}" id="customer-{ann.pk}" checked' in page
    assert 'value="new" id="customer-new">' in page  # not checked
