"""Macros on the ticket page (issue 23, point 3): the picker, its search, the preview, applying
one in a step, and inserting a text-only macro's text; with and without htmx."""

from __future__ import annotations

import pytest

from agents.models import Team
from automation.tests.factories import make_macro
from tickets.models import EventKind, Message, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

REFUND = [("set_status", "pending"), ("add_tags", "refund")]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def test_the_picker_lists_the_agents_macros_and_searches_them(signed_in, agent, other_agent):
    ticket = TicketFactory(customer_name="Jane Roe")
    make_macro("Refund approved", reply="Hi {customer_name}, refunded.", actions=REFUND)
    make_macro("Password help", reply="Use the reset link.")
    make_macro("Otto's own refund", owner=other_agent)

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    partial = signed_in.get(f"/agent/tickets/{ticket.pk}?part=macros&macro_q=refund", HTTP_HX_REQUEST="true")

    assert "Refund approved" in page and "Password help" in page and "Otto's own refund" not in page
    found = partial.content.decode()
    assert found.startswith('<select id="macro-choice"')
    assert "Refund approved" in found and "Password help" not in found and "Otto" not in found
    assert 'name="body"' not in found  # the draft is not touched


def test_the_preview_shows_the_reply_and_the_changes_and_writes_nothing(signed_in, agent):
    ticket = TicketFactory(customer_name="Jane Roe", status="open")
    macro = make_macro("Refund approved", reply="Hi {customer_name}, refunded.", actions=REFUND)
    events = TicketEvent.objects.count()

    panel = signed_in.get(f"/agent/tickets/{ticket.pk}/macro-preview?macro={macro.pk}", HTTP_HX_REQUEST="true")
    # Without htmx the picker's form asks the page itself.
    page = signed_in.get(f"/agent/tickets/{ticket.pk}?macro={macro.pk}").content.decode()
    redirect = signed_in.get(f"/agent/tickets/{ticket.pk}/macro-preview?macro={macro.pk}")

    text = panel.content.decode()
    assert text.startswith('<section id="macro-preview"')
    assert "Hi Jane Roe, refunded.</textarea>" in text
    assert "<li>Status: Open → Pending (waiting on customer)</li>" in text and "<li>Tags: + refund</li>" in text
    assert "Apply macro" in text and "Insert text" not in text  # it has actions
    assert "Hi Jane Roe, refunded.</textarea>" in page
    assert redirect.status_code == 302 and redirect["Location"].endswith(f"?macro={macro.pk}#macro-preview")
    assert TicketEvent.objects.count() == events and not Message.objects.exists()


def test_a_macro_the_agent_is_not_offered_is_not_found(signed_in, other_agent):
    ticket = TicketFactory()
    theirs = make_macro("Otto's", owner=other_agent, reply="Mine.")
    team_only = make_macro("Billing's", team=Team.objects.create(name="Billing"), reply="Ours.")

    for macro in (theirs, team_only):
        preview = signed_in.get(f"/agent/tickets/{ticket.pk}/macro-preview?macro={macro.pk}", HTTP_HX_REQUEST="true")
        applied = signed_in.post(f"/agent/tickets/{ticket.pk}/macro-apply", {"macro": macro.pk})
        assert (preview.status_code, applied.status_code) == (404, 404)
    assert signed_in.post(f"/agent/tickets/{ticket.pk}/macro-apply", {"macro": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_applying_sends_the_edited_reply_does_the_actions_and_says_what_changed(signed_in, agent):
    ticket = TicketFactory(customer_name="Jane Roe", status="open")
    macro = make_macro("Refund approved", reply="Hi {customer_name}, refunded.", actions=REFUND)

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/macro-apply", {"macro": macro.pk, "reply": "Hi Jane, refunded today."}
    )

    reply = Message.objects.get(ticket=ticket)
    assert response.status_code == 302 and response["Location"].endswith(f"#message-{reply.pk}")
    assert (reply.body, reply.author_agent, reply.internal) == ("Hi Jane, refunded today.", agent, False)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tag_names()) == ("pending", ["refund"])
    page = signed_in.get(response["Location"]).content.decode()
    assert (
        "Macro “Refund approved” applied. Reply sent to the customer. "
        "Changed: Status: Open → Pending (waiting on customer); Tags: + refund." in page
    )
    assert "macro “Refund approved” applied" in page  # the history
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION, actor_name="Agnes Agent").exists()


def test_a_refusal_is_said_and_a_closed_ticket_refuses(signed_in):
    resolved = TicketFactory(status="resolved")
    closed = TicketFactory(status="closed")
    macro = make_macro("Chase", actions=[("set_status", "pending"), ("set_priority", "high")])

    page = signed_in.post(f"/agent/tickets/{resolved.pk}/macro-apply", {"macro": macro.pk}, follow=True)
    refused = signed_in.post(f"/agent/tickets/{closed.pk}/macro-apply", {"macro": macro.pk}, follow=True)

    text = page.content.decode()
    assert "Changed: Priority: Normal → High." in text
    assert "Not done: status resolved → pending is not allowed." in text
    assert "is closed; a macro can no longer be applied to it." in refused.content.decode()
    assert not TicketEvent.objects.filter(ticket=closed).exists()


def test_a_text_only_macro_can_be_inserted_into_the_reply_box(signed_in, agent):
    ticket = TicketFactory(customer_name="Jane Roe")
    macro = make_macro("Greeting", reply="Hello {customer_name}!")

    panel = signed_in.get(f"/agent/tickets/{ticket.pk}/macro-preview?macro={macro.pk}", HTTP_HX_REQUEST="true")
    text = signed_in.get(f"/agent/tickets/{ticket.pk}/insert?insert={macro.pk}")
    page = signed_in.get(f"/agent/tickets/{ticket.pk}?insert={macro.pk}").content.decode()

    assert "Insert text" in panel.content.decode()
    assert text["Content-Type"].startswith("text/plain") and text.content.decode() == "Hello Jane Roe!"
    # Without JavaScript the reply box starts with it.
    assert page.split('id="id_body"', 1)[1].split("</textarea>")[0].endswith(">\nHello Jane Roe!")


def test_a_reply_too_long_is_refused_naming_it(signed_in):
    ticket = TicketFactory(status="open")
    macro = make_macro("Greeting", reply="Hello!")

    response = signed_in.post(f"/agent/tickets/{ticket.pk}/macro-apply", {"macro": macro.pk, "reply": "x" * 10001})

    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "Not applied: the reply is 10001 characters long; at most 10000." in page
    assert not Message.objects.exists()
