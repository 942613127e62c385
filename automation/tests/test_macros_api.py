"""/api/support/macros (issue 23, points 3 and 6): listing what the caller is offered, writing
personal and shared macros with their actions, validation keyed like `actions[1].value`,
previewing and applying one on a ticket (404 for a ticket the caller may not see, 409 for a
closed one)."""

from __future__ import annotations

import pytest

from agents.models import Team
from automation.models import Macro
from automation.tests.factories import make_macro
from conftest import api_client_for
from tickets.models import EventKind, Message, TicketEvent
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/support/macros"
REFUND = [("set_status", "pending"), ("add_tags", "refund")]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_the_list_is_what_the_caller_is_offered(agent_api, agent, other_agent, supervisor_api, category):
    billing = Team.objects.create(name="Billing")
    billing.members.add(agent)
    billing_category = CategoryFactory(slug="billing", name="Billing")
    make_macro("Everyone's")
    make_macro("Billing's", team=billing, category=billing_category)
    make_macro("Vault's", team=Team.objects.create(name="Vault"))
    make_macro("Mine", owner=agent, reply="Thanks, {customer_name}.")
    make_macro("Otto's", owner=other_agent)
    ticket = TicketFactory(category=billing_category)

    assert names(agent_api.get(URL)) == ["Billing's", "Everyone's", "Mine"]
    assert names(agent_api.get(URL, {"ticket": ticket.pk})) == ["Billing's", "Everyone's", "Mine"]
    assert names(agent_api.get(URL, {"q": "customer_name"})) == ["Mine"]
    # Supervisors also see every shared macro, to manage it; nobody sees another's own.
    assert names(supervisor_api.get(URL)) == ["Billing's", "Everyone's", "Vault's"]
    mine = agent_api.get(URL, {"q": "Mine"}).json()["results"][0]
    assert (mine["shared"], mine["owner"]) == (False, {"id": agent.pk, "name": "Agnes Agent"})
    assert mine["reply"] == "Thanks, {customer_name}."


def test_the_list_filters_as_the_admin_does_and_orders(agent_api, agent):
    billing = Team.objects.create(name="Billing")
    billing.members.add(agent)
    refunds = CategoryFactory(slug="refunds", name="Refunds")
    make_macro("Billing's", team=billing)
    make_macro("Refund", category=refunds)
    make_macro("Retired", active=False)
    make_macro("Mine", owner=agent)

    assert names(agent_api.get(URL, {"shared": "false"})) == ["Mine"]
    assert names(agent_api.get(URL, {"shared": "true", "ordering": "-name"})) == ["Refund", "Billing's"]
    assert names(agent_api.get(URL, {"team": billing.pk})) == ["Billing's"]
    assert names(agent_api.get(URL, {"category": "refunds"})) == ["Refund"]
    assert names(agent_api.get(URL, {"active": "true", "ordering": "-created_at"})) == ["Mine", "Refund", "Billing's"]
    assert agent_api.get(URL, {"active": "sometimes"}).status_code == 400


def test_the_tickets_category_comes_first_and_a_bad_ticket_is_named(agent_api):
    refunds = CategoryFactory(slug="refunds", name="Refunds")
    make_macro("A general one")
    make_macro("Z refund", category=refunds)
    ticket = TicketFactory(category=refunds)

    assert names(agent_api.get(URL, {"ticket": ticket.pk})) == ["Z refund", "A general one"]
    for bad in ("x", "0", str(2**40), str(2**20)):
        response = agent_api.get(URL, {"ticket": bad})
        assert response.status_code == 400 and "ticket" in response.json(), bad


def test_an_agent_writes_their_own_macro_with_its_actions(agent_api, agent):
    response = agent_api.post(
        URL,
        {
            "name": "Refund approved",
            "reply": "Hi {customer_name}, refunded.",
            "category": "general",
            "actions": [
                {"kind": "set_status", "value": "pending"},
                {"kind": "add_tags", "value": "refund, vip"},
                {"kind": "add_note", "body": "Refunded by {agent_name}"},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    macro = Macro.objects.get(pk=response.json()["id"])
    assert (macro.owner, macro.team, macro.category.slug) == (agent, None, "general")
    assert [(a.kind, a.value, a.body, a.position) for a in macro.actions.all()] == [
        ("set_status", "pending", "", 0),
        ("add_tags", "refund, vip", "", 1),
        ("add_note", "", "Refunded by {agent_name}", 2),
    ]
    # The actions are written as a whole.
    actions = {"actions": [{"kind": "set_priority", "value": "high"}]}
    changed = agent_api.patch(f"{URL}/{macro.pk}", actions, format="json")
    assert changed.status_code == 200, changed.content
    assert [(a.kind, a.value) for a in macro.actions.all()] == [("set_priority", "high")]
    assert changed.json()["actions"] == [{"kind": "set_priority", "value": "high", "subject": "", "body": ""}]
    assert agent_api.delete(f"{URL}/{macro.pk}").status_code == 204
    assert not Macro.objects.filter(pk=macro.pk).exists()


def test_errors_name_the_action_and_its_part(agent_api):
    response = agent_api.post(
        URL,
        {
            "name": "Broken",
            "reply": "Hi {customer}",
            "actions": [
                {"kind": "set_status", "value": "pending"},
                {"kind": "set_status", "value": "sleeping"},
                {"kind": "email_customer", "subject": "", "body": "Hi {nobody}"},
                {"kind": "explode"},
                {"kind": "call_webhook", "value": "1"},
                "not an object",
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"reply", "actions[3].kind", "actions[5]"}
    assert "Unknown placeholder {customer}" in errors["reply"][0]
    # The vocabulary's checks run once each action has a known kind and the shapes are right.
    fixed = agent_api.post(
        URL,
        {
            "name": "Broken",
            "actions": [
                {"kind": "set_status", "value": "pending"},
                {"kind": "set_status", "value": "sleeping"},
                {"kind": "email_customer", "subject": "", "body": "Hi {nobody}"},
                {"kind": "call_webhook", "value": "1"},
            ],
        },
        format="json",
    )
    errors = fixed.json()
    assert fixed.status_code == 400
    assert set(errors) == {"actions[1].value", "actions[2].subject", "actions[2].body", "actions[3].kind"}
    assert errors["actions[1].value"][0].startswith("“sleeping” is not one of")
    assert errors["actions[2].subject"] == ["Enter a text."]
    assert errors["actions[3].kind"] == ["Macros do not call webhooks; triggers and time rules do."]
    assert agent_api.post(URL, {"name": "Not a list", "actions": "set_status"}, format="json").json().keys() == {
        "actions"
    }
    assert agent_api.post(URL, {"name": "Nul\x00"}, format="json").status_code == 400
    assert not Macro.objects.exists()


def test_shared_macros_are_written_by_supervisors_and_admins_only(agent_api, supervisor_api, agent):
    team = Team.objects.create(name="Billing")
    body = {"name": "Escalate", "shared": True, "team": team.pk, "actions": [{"kind": "set_priority", "value": "high"}]}

    assert agent_api.post(URL, body, format="json").status_code == 403
    created = supervisor_api.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    shared = Macro.objects.get(pk=created.json()["id"])
    assert (shared.owner, shared.team) == (None, team)
    assert created.json()["shared"] is True and created.json()["owner"] is None
    # An agent of the team sees it, but may not change or delete it.
    team.members.add(agent)
    assert agent_api.patch(f"{URL}/{shared.pk}", {"name": "Mine now"}, format="json").status_code == 403
    assert agent_api.delete(f"{URL}/{shared.pk}").status_code == 403
    # A name is unique among the shared macros, and a team is only for a shared one.
    again = supervisor_api.post(URL, {**body, "team": None}, format="json")
    assert again.status_code == 400 and "name" in again.json()
    personal_team = agent_api.post(URL, {"name": "Mine", "team": team.pk}, format="json")
    assert personal_team.status_code == 400 and "team" in personal_team.json()


def test_another_agents_macro_is_not_found(agent_api, other_agent):
    theirs = make_macro("Otto's", owner=other_agent)
    ticket = TicketFactory(status="open")

    assert agent_api.get(f"{URL}/{theirs.pk}").status_code == 404
    assert agent_api.patch(f"{URL}/{theirs.pk}", {"name": "x"}, format="json").status_code == 404
    assert agent_api.post(f"{URL}/{theirs.pk}/apply", {"ticket": ticket.pk}, format="json").status_code == 404
    assert agent_api.get(f"{URL}/{theirs.pk}/preview", {"ticket": ticket.pk}).status_code == 404


def test_preview_says_what_would_change_and_writes_nothing(agent_api):
    ticket = TicketFactory(status="open", customer_name="Jane Roe")
    macro = make_macro("Refund approved", reply="Hi {customer_name}, {agent_name} here.", actions=REFUND)
    events = TicketEvent.objects.count()

    response = agent_api.get(f"{URL}/{macro.pk}/preview", {"ticket": ticket.pk})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "macro": macro.pk,
        "reply": "Hi Jane Roe, Agnes Agent here.",
        "changes": ["Status: Open → Pending (waiting on customer)", "Tags: + refund"],
        "refused": [],
    }
    assert TicketEvent.objects.count() == events and not Message.objects.exists()
    missing = agent_api.get(f"{URL}/{macro.pk}/preview")
    assert missing.status_code == 400 and "ticket" in missing.json()


def test_apply_replies_and_changes_the_ticket_as_the_caller(agent_api, agent):
    ticket = TicketFactory(status="open", customer_name="Jane Roe")
    macro = make_macro("Refund approved", reply="Hi {customer_name}.", actions=REFUND)

    response = agent_api.post(f"{URL}/{macro.pk}/apply", {"ticket": ticket.pk, "reply": "Hi Jane!"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    reply = Message.objects.get(ticket=ticket)
    assert (reply.body, reply.author_agent) == ("Hi Jane!", agent)
    assert body["message"] == reply.pk
    assert body["done"] == ["Status: Open → Pending (waiting on customer)", "Tags: + refund"]
    assert (body["ticket"]["status"], body["ticket"]["tags"]) == ("pending", ["refund"])
    assert TicketEvent.objects.filter(
        ticket=ticket, kind=EventKind.AUTOMATION, actor_type="agent", new_value="macro Refund approved"
    ).exists()


def test_apply_refuses_a_closed_ticket_and_one_the_caller_may_not_see(agent_api, other_agent):
    macro = make_macro("Thanks", reply="Thanks!")
    closed = TicketFactory(status="closed")
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(other_agent)
    hidden = TicketFactory(status="open", team=vault)

    refused = agent_api.post(f"{URL}/{macro.pk}/apply", {"ticket": closed.pk}, format="json")
    unseen = agent_api.post(f"{URL}/{macro.pk}/apply", {"ticket": hidden.pk}, format="json")
    missing = agent_api.post(f"{URL}/{macro.pk}/apply", {"ticket": 2**30}, format="json")

    assert refused.status_code == 409 and "is closed" in refused.json()["detail"]
    assert unseen.status_code == missing.status_code == 404
    assert agent_api.get(f"{URL}/{macro.pk}/preview", {"ticket": hidden.pk}).status_code == 404
    member = api_client_for(other_agent.user)
    assert member.post(f"{URL}/{macro.pk}/apply", {"ticket": hidden.pk}, format="json").status_code == 200
    bad = agent_api.post(f"{URL}/{macro.pk}/apply", {"ticket": "x", "reply": "y" * 10001}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"ticket", "reply"}
    assert not Message.objects.filter(ticket__in=[closed, hidden]).exclude(ticket=hidden).exists()


def test_integrations_and_anonymous_callers_are_refused(integration_api, anonymous_api):
    macro = make_macro("Thanks", reply="Thanks!")

    assert integration_api.get(URL).status_code == 403
    assert integration_api.post(f"{URL}/{macro.pk}/apply", {"ticket": 1}, format="json").status_code == 403
    assert anonymous_api.get(URL).status_code == 401
