"""Issue 22: a restricted team's ticket is invisible, on every route, to an agent outside it.

The test walks Django's URL resolver (the permission matrix's `url_patterns`) and sorts every
route of the project into one of these, by name:

- NAMES_TICKET: its URL names the restricted ticket, directly (the ticket's pk) or through
  something of it (a violation, feedback, a survey, an email, a notice). An agent outside
  the team gets 404 for every method (or 405 for a method the route does not take: said
  before any ticket is read), a member gets neither on the methods listed.
- NAMES_TICKET_IN_BODY: the ticket is named in the request's body (the SLA check, feedback
  sent through the API): the outsider gets what a ticket that does not exist gets.
- CUSTOMER_LINK: the key is the customer's private link (portal, survey). Whoever holds it
  is the customer of that ticket, and the customer is not an agent of a team: an agent
  outside it who is also, say, the employee who wrote to HR opens their own ticket's link.
  An agent never learns another customer's link: it is shown on no agent page or API. The
  outsider gets 404 with any link they could make up.
- LISTS_TICKETS: lists, searches and counts: test_lists_searches_and_counts_leave_it_out.
- NO_TICKET: names no ticket (with the reason).
- The Django admin: staff only, i.e. supervisors and admins, who see every team.

A route in none of them fails test_every_route_is_classified: a new route has to say
whether it names a ticket, and how to call it, before it ships.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from helpdesk.tests.test_permission_matrix import is_admin, url_patterns

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Call:
    kwargs: dict  # URL keyword -> name of an object of the world
    member: dict  # method -> body the member sends, who must get neither 404 nor 405
    json: bool = True
    query: dict | None = None  # query string -> name of an object of the world
    files: bool = False  # an upload operation: POST as multipart, with a file


CHANGE = {"status": "pending", "priority": "high", "category": "general", "tags": ""}

# fmt: off
NAMES_TICKET: dict[str, Call] = {
    "api:ticket-detail":        Call({"pk": "ticket"}, {"GET": {}, "PATCH": {"priority": "high"}}),
    "api:ticket-assign":        Call({"pk": "ticket"}, {"POST": {"agent": "member"}}),
    "api:ticket-rotate-link":   Call({"pk": "ticket"}, {"POST": {}}),
    "api:ticket-messages":      Call({"pk": "ticket"}, {"GET": {}, "POST": {"body": "On it."}}),
    "api:ticket-messages-with-attachments": Call({"pk": "ticket"}, {"POST": {"body": "On it."}}, files=True),
    # Rated by customers through integrations: a member is refused (403), not told "no such ticket".
    "api:ticket-rate":          Call({"pk": "ticket", "message_id": "reply"}, {"POST": {"rating": 5}}),
    "api:ticket-history":       Call({"pk": "ticket"}, {"GET": {}}),
    "api:ticket-attachment":    Call({"pk": "ticket", "attachment_id": "file"}, {"GET": {}}),
    "api:sla-violation-detail": Call({"pk": "violation"}, {"GET": {}}),
    "api:feedback-detail":      Call({"pk": "feedback"}, {"GET": {}}),
    "api:survey-detail":        Call({"pk": "survey"}, {"GET": {}}),
    # Each person's own notice about the ticket (one the outsider got before it moved into
    # the team): the outsider may not even mark it read.
    "api:notification-read":    Call({"pk": "notice"}, {"POST": {}}),
    "agent:ticket":             Call({"pk": "ticket"}, {"GET": {}}, json=False),
    "agent:reply":              Call({"pk": "ticket"}, {"POST": {"body": "On it."}}, json=False),
    "agent:change":             Call({"pk": "ticket"}, {"POST": CHANGE}, json=False),
    "agent:assign":             Call({"pk": "ticket"}, {"POST": {"agent": "me"}}, json=False),
    "agent:activity":           Call({"pk": "ticket"}, {"GET": {}}, json=False),
    "agent:rotate-link":        Call({"pk": "ticket"}, {"POST": {}}, json=False),
    "agent:ticket-customer":    Call({"pk": "ticket"}, {"POST": {"customer_email": "kim@example.org"}}, json=False),
    "agent:insert":             Call({"pk": "ticket"}, {"GET": {}}, json=False),
    "agent:typing":             Call({"pk": "ticket"}, {"POST": {}}, json=False),
    "mail:original":            Call({"pk": "email"}, {"GET": {}}, json=False),
    "api:ticket-cc":            Call({"pk": "ticket"}, {"GET": {}, "POST": {"email": "kim@example.org"}}),
    "api:ticket-cc-detail":     Call({"pk": "ticket", "cc_id": "cc"}, {"DELETE": {}}),
    "api:ticket-follow":        Call({"pk": "ticket"}, {"GET": {}, "POST": {}, "DELETE": {}}),
    "agent:cc":                 Call({"pk": "ticket"}, {"POST": {"cc": "kim@example.org"}}, json=False),
    "agent:cc-remove":          Call({"pk": "ticket", "cc_id": "cc"}, {"POST": {}}, json=False),
    "agent:follow":             Call({"pk": "ticket"}, {"POST": {}}, json=False),
    # A macro applied to, or previewed on, the ticket (named in the body or the query).
    "agent:macro-preview":      Call({"pk": "ticket"}, {"GET": {}}, json=False, query={"macro": "macro"}),
    "agent:macro-apply":        Call({"pk": "ticket"}, {"POST": {"macro": "macro"}}, json=False),
    "api:macro-preview":        Call({"pk": "macro"}, {"GET": {}}, query={"ticket": "ticket"}),
    "api:macro-apply":          Call({"pk": "macro"}, {"POST": {"ticket": "ticket"}}),
    # Merge, related tickets, split: the restricted ticket is the one in the URL (merged into
    # the plain one, linked to it); the other way round, see test_merging*.py.
    "agent:merge":              Call({"pk": "ticket"}, {"GET": {}, "POST": {"ticket": "plain"}}, json=False,
                                     query={"ticket": "plain"}),
    "agent:link-add":           Call({"pk": "ticket"}, {"POST": {"ticket": "plain"}}, json=False),
    "agent:link-remove":        Call({"pk": "ticket", "other": "plain"}, {"POST": {}}, json=False),
    "agent:split":              Call({"pk": "ticket", "message_id": "customer message"},
                                     {"GET": {}, "POST": {"subject": "Split off"}}, json=False),
    "api:ticket-merge":         Call({"pk": "ticket"}, {"POST": {"into": "plain"}}),
    "api:ticket-links":         Call({"pk": "ticket"}, {"GET": {}, "POST": {"ticket": "plain"}}),
    "api:ticket-link-detail":   Call({"pk": "ticket", "other": "plain"}, {"DELETE": {}}),
}
# fmt: on

NAMES_TICKET_IN_BODY = {"sla-check", "api:feedback-list", "agent:bulk"}
CUSTOMER_LINK = {"portal:submitted", "portal:ticket", "portal:rate", "portal:attachment", "survey:answer"}
LISTS_TICKETS = {
    "api:ticket-list",
    "api:message-list",  # every ticket's messages, for incremental sync
    # A customer's and an organisation's tickets, counted and listed as the reader may see them.
    "api:customer-list",
    "api:customer-detail",
    "api:organization-list",
    "api:organization-detail",
    "agent:customers",
    "agent:customer",
    "agent:organizations",
    "agent:organization",
    "api:sla-violation-list",
    "api:survey-list",
    "api:notification-list",
    "agent:queue",
    "agent:queue-export",
    "agent:notifications",
    "agent:notifications-read",  # marks read only what the inbox lists
    "agent:dashboard",
    "agent:saved-view-counts",  # each saved view's count, of the tickets the reader may see
}
NO_TICKET = {
    "home": "a redirect",
    "health": "the service's health",
    "health-live": "the process's liveness",
    "schema": "the OpenAPI document",
    "api:ticket-with-attachments": "opens a new ticket (with files), as POST /api/support/tickets does",
    "api-docs": "Swagger UI",
    "prometheus-django-metrics": "counts of the whole system, for monitoring (a token, no person)",
    "sla-compliance": "percentages and counts, no ticket; supervisors' report",
    "api:feedback-summary": "averages and counts, no ticket",
    "privacy-export": "admins only, who see every team",
    "privacy-erase": "admins only, who see every team",
    "api:agent-list": "agents",
    "api:agent-detail": "an agent",
    "api:article-list": "help-center articles",
    "api:article-detail": "an article",
    "api:article-helpful": "an article",
    "api:faq-list": "FAQs",
    "api:faq-detail": "an FAQ",
    "api:sla-policy-list": "SLA policies",
    "api:sla-policy-detail": "an SLA policy",
    "api:time-rule-list": "time rules",
    "api:time-rule-detail": "a time rule",
    "portal:ticket-new": "a new ticket's form",
    "portal:lookup": "emails the customer their own links; shows none",
    "kb:index": "the help center",
    "kb:suggest": "articles",
    "kb:article": "an article",
    "kb:helpful": "an article",
    "kb:faq": "FAQs",
    "survey:thanks": "a thank-you page",
    "agent:language": "the agent's language",
    "agent:new-ticket": "a new ticket's form; it offers only the teams the agent may see",
    "agent:new-ticket-customers": "customer profiles, which every agent reads (agent:customers)",
    "api:team-list": "teams",
    "api:team-detail": "a team",
    "api:trigger-list": "triggers",
    "api:trigger-detail": "a trigger",
    "api:customer-merge": "moves a profile's tickets; the answer is the profile, no ticket",
    "agent:customer-edit": "a customer's profile form",
    "agent:customer-merge": "moves a profile's tickets; answers with a redirect to the profile",
    "agent:organization-new": "an organisation's form",
    "agent:organization-edit": "an organisation's form",
    "agent:organization-delete": "an organisation (its customers stay)",
    "agent:notifications-preferences": "the agent's own notification preferences",
    "set_language": "the portal's language",
    # Webhooks' deliveries carry tickets' data, of every team: admins only, who see every team.
    "api:webhook-list": "admins only, who see every team",
    "api:webhook-detail": "admins only, who see every team",
    "api:webhook-rotate-secret": "admins only, who see every team",
    "api:webhook-test": "admins only, who see every team",
    "api:webhook-deliveries": "admins only, who see every team",
    "api:webhook-redeliver": "admins only, who see every team",
    "api:macro-list": "macros; ?ticket= orders them by a ticket's category (one the caller may not see: as if none)",
    "api:macro-detail": "a macro",
    "agent:saved-view-new": "a saved view's form: filters, no ticket",
    "agent:saved-view-edit": "a saved view's name, columns and place",
    "agent:saved-view-delete": "a saved view (the tickets stay)",
    # A bulk change's page is its agent's own; it names a ticket hidden from them by number only.
    "agent:bulk-job": "the agent's own bulk change (its tickets' subjects read through tickets_for_user)",
    "agent:bulk-resume": "the agent's own bulk change, queued again",
    "api:mailbox-list": "mailboxes, for superusers (who see every team)",
    "api:mailbox-detail": "a mailbox, for superusers",
    "api:mailbox-poll": "a mailbox's poll, for superusers",
    "api:mailbox-retry-sign-in": "a mailbox's sign-in, for superusers",
    "api:category-list": "categories",
    "api:category-detail": "a category",
    "api:tag-list": "tags",
    "api:tag-detail": "a tag (renamed or deleted on every ticket by supervisors, who see every team)",
    "api:tag-merge": "moves a tag's tickets, supervisors only (who see every team); answers counts",
    "api:calendar-list": "business calendars",
    "api:calendar-detail": "a business calendar",
    "api:calendar-import-holidays": "a calendar's public holidays",
    "api:holiday-list": "holidays",
    "api:holiday-detail": "a holiday",
}
NO_TICKET_PREFIXES = ("account_", "mfa_", "openid_connect_", "socialaccount_", "password_reset", "mail-inbound:")


def test_every_route_is_classified():
    known = set(NAMES_TICKET) | NAMES_TICKET_IN_BODY | CUSTOMER_LINK | LISTS_TICKETS | set(NO_TICKET)
    unknown, stale = [], []
    names = set()
    for pattern in url_patterns():
        if is_admin(pattern):
            continue
        names.add(pattern.name)
        if pattern.name not in known and not (pattern.name or "").startswith(NO_TICKET_PREFIXES):
            unknown.append(f"{pattern.name}: {pattern.route}")
    stale = sorted(known - names)
    assert not unknown, (
        "Routes this test does not know: does each name a ticket? Classify it here (NAMES_TICKET with how "
        "to call it, or another set), and make it obey tickets.visibility:\n" + "\n".join(unknown)
    )
    assert not stale, f"Classified routes that no longer exist: {stale}"


def test_a_route_with_an_object_in_its_url_is_not_waved_through():
    """The keyword arguments that name a ticket or something of one may appear only on the
    routes that are called here, or on routes whose pk names something else (listed)."""
    objects_not_of_tickets = {"api:agent-detail", "api:article-detail", "api:article-helpful", "api:faq-detail"}
    objects_not_of_tickets |= {"api:sla-policy-detail", "password_reset_confirm", "api:team-detail"}
    objects_not_of_tickets |= {"api:trigger-detail"}
    objects_not_of_tickets |= {"api:time-rule-detail"}
    # Profiles and organisations: their pages list tickets through tickets_for_user (checked in
    # test_lists_searches_and_counts_leave_it_out).
    objects_not_of_tickets |= {"api:customer-detail", "api:customer-merge", "api:organization-detail"}
    objects_not_of_tickets |= {"agent:customer", "agent:customer-edit", "agent:customer-merge"}
    objects_not_of_tickets |= {"agent:organization", "agent:organization-edit", "agent:organization-delete"}
    # A webhook (admins only: see NO_TICKET).
    objects_not_of_tickets |= {"api:webhook-detail", "api:webhook-rotate-secret", "api:webhook-test"}
    objects_not_of_tickets |= {"api:webhook-deliveries", "api:webhook-redeliver"}
    objects_not_of_tickets |= {"api:macro-detail"}
    # A saved view: its pk is the view's; its counts obey the rule (tickets/tests/test_saved_views.py).
    objects_not_of_tickets |= {"agent:saved-view-edit", "agent:saved-view-delete"}
    objects_not_of_tickets |= {"agent:bulk-job", "agent:bulk-resume"}  # a bulk change, the agent's own
    # Mailboxes (superusers), categories, tags, calendars and holidays: settings, no ticket.
    objects_not_of_tickets |= {"api:mailbox-detail", "api:mailbox-poll", "api:mailbox-retry-sign-in"}
    objects_not_of_tickets |= {"api:category-detail", "api:tag-detail", "api:tag-merge"}
    objects_not_of_tickets |= {"api:calendar-detail", "api:calendar-import-holidays", "api:holiday-detail"}
    for pattern in url_patterns():
        if is_admin(pattern) or not pattern.kwargs & {"pk", "ticket_id", "token", "attachment_id", "message_id"}:
            continue
        called = pattern.name in NAMES_TICKET or pattern.name in CUSTOMER_LINK
        assert called or pattern.name in objects_not_of_tickets, pattern.name


# --- the world ---------------------------------------------------------------------------


@pytest.fixture
def world(db, settings, category, agent, other_agent, supervisor):
    """`agent` is in the restricted team Vault; `other_agent` is not."""
    from agents.models import Team
    from automation.tests.factories import make_macro
    from feedback.tests.factories import FeedbackFactory, SurveyInvitationFactory
    from mail.models import InboundEmail
    from notifications.models import Channel, Notification
    from sla.tests.factories import SLAPolicyFactory, SLAViolationFactory
    from tickets.models import Ticket, TicketCC
    from tickets.tests.factories import AttachmentFactory, MessageFactory, TicketFactory

    settings.API_USER_RATE = settings.API_ANON_RATE = ""
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)
    ticket = TicketFactory(category=category, team=vault, assigned_agent=agent, status="open", subject="Payroll quokka")
    reply = MessageFactory(ticket=ticket, author_agent=agent, body="Looking into it.")
    resolved = TicketFactory(category=category, team=vault, assigned_agent=agent, status="resolved")
    unrated = TicketFactory(category=category, team=vault, assigned_agent=agent, status="resolved")
    plain = TicketFactory(category=category, status="open", subject="Printer quokka")
    # One customer (of an organisation) wrote all four.
    from customers.models import Customer, Organization

    profile = Customer.objects.create(
        email="pat@example.org", name="Pat", organization=Organization.objects.create(name="Example Org")
    )
    Ticket.objects.filter(pk__in=[ticket.pk, resolved.pk, unrated.pk, plain.pk]).update(customer=profile)

    def notice(person):
        return Notification.objects.create(
            channel=Channel.DASHBOARD, recipient=person.user.username, user=person.user, kind="ticket.assigned",
            payload={"title": "NOTICE-5e1 about the payroll", "ticket_id": ticket.pk, "url": "/"}, status="sent",
        )  # fmt: skip

    email = InboundEmail.objects.create(email_id="e@example.org", content_hash="0" * 64, route="pipe",
                                        outcome="reply", ticket=ticket, size=1, raw=zlib.compress(b"x"))  # fmt: skip
    ids = {
        "ticket": ticket.pk,
        "reply": reply.pk,
        "file": AttachmentFactory(ticket=ticket, message=reply).pk,
        "violation": SLAViolationFactory(ticket=ticket, policy=SLAPolicyFactory()).pk,
        "feedback": FeedbackFactory(ticket=resolved, agent=agent).pk,
        "survey": SurveyInvitationFactory(ticket=resolved, agent=agent).pk,
        "email": email.pk,
        "unrated": unrated.pk,
        "plain": plain.pk,
        "customer message": MessageFactory(ticket=ticket, author_type="customer", body="And the payslip too.").pk,
        "member": agent.pk,
        "cc": TicketCC.objects.create(ticket=ticket, email="lee@example.org").pk,
        "customer": profile.pk,
        "organization": profile.organization_id,
        "macro": make_macro("Thanks", reply="Thanks!", actions=[("add_tags", "thanked")]).pk,
    }
    from tickets.models import TicketLink

    TicketLink.objects.create(low_id=min(ticket.pk, plain.pk), high_id=max(ticket.pk, plain.pk))
    notices = {"member": notice(agent).pk, "outsider": notice(other_agent).pk}
    return {"users": {"member": agent.user, "outsider": other_agent.user}, "ids": ids, "notices": notices}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, call: Call, persona: str, world: dict) -> str:
    kwargs = {}
    for key, thing in call.kwargs.items():
        kwargs[key] = world["notices"][persona] if thing == "notice" else world["ids"][thing]
    path = reverse(name, kwargs=kwargs)
    if call.query:
        from urllib.parse import urlencode

        path += "?" + urlencode({key: world["ids"][thing] for key, thing in call.query.items()})
    return path


def send(client: Client, method: str, path: str, body: dict, as_json: bool, files: bool = False):
    with transaction.atomic():  # every request sees the same world
        if method == "GET":
            response = client.get(path)
        elif files and method == "POST":
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("log.txt", b"line 1\n", content_type="text/plain")
            response = client.post(path, {**body, "attachments": [upload]})  # multipart
        elif as_json:
            response = client.generic(method, path, json.dumps(body), content_type="application/json")
        else:
            from urllib.parse import urlencode

            response = client.generic(method, path, urlencode(body), content_type="application/x-www-form-urlencoded")
        transaction.set_rollback(True)
    return response


def resolved(body: dict, world: dict) -> dict:
    """The body with "member" (the agent to assign), a "ticket", the "plain" ticket or a "macro"
    named replaced by its id."""
    names = {"member": "member", "ticket": "ticket", "macro": "macro", "plain": "plain"}
    return {key: world["ids"][names[value]] if value in names else value for key, value in body.items()}


@pytest.mark.parametrize("name", sorted(NAMES_TICKET))
def test_an_agent_outside_the_team_gets_404_and_a_member_does_not(name, world):
    call = NAMES_TICKET[name]
    problems = []
    outsider = client_for(world["users"]["outsider"])
    for method in METHODS:
        body = resolved(call.member.get(method, {}), world)
        response = send(outsider, method, url(name, call, "outsider", world), body, call.json, call.files)
        if response.status_code not in (404, 405):
            problems.append(f"outsider {method} {name}: {response.status_code}, expected 404")
        if method in call.member and response.status_code != 404:
            problems.append(f"outsider {method} {name}: {response.status_code} on a method the route takes")
    member = client_for(world["users"]["member"])
    for method, body in call.member.items():
        response = send(member, method, url(name, call, "member", world), resolved(body, world), call.json, call.files)
        if response.status_code in (404, 405) or response.status_code >= 500:
            problems.append(f"member {method} {name}: {response.status_code}, expected to be let in")
    assert not problems, "\n".join(problems)


def test_the_ticket_named_in_a_body_is_as_if_it_did_not_exist(world):
    outsider, member = client_for(world["users"]["outsider"]), client_for(world["users"]["member"])
    hidden, missing = world["ids"]["ticket"], 2**40

    def check(client, ticket_id):
        return send(client, "POST", reverse("sla-check"), {"ticket_id": ticket_id}, True).status_code

    assert check(outsider, hidden) == check(outsider, missing) == 404
    assert check(member, hidden) == 200

    def feedback(client, ticket_id):
        response = send(client, "POST", reverse("api:feedback-list"), {"ticket": ticket_id, "overall": 4}, True)
        return response.status_code, json.loads(response.content).get("ticket")

    unrated = world["ids"]["unrated"]
    status, said = feedback(outsider, unrated)
    missing_status, missing_said = feedback(outsider, missing)
    assert status == missing_status == 400
    assert said == [missing_said[0].replace(str(missing), str(unrated))]
    assert feedback(member, world["ids"]["unrated"])[0] == 201

    # A bulk change that names it: refused in the same words as a ticket that does not exist.
    from tickets.models import BulkJob, Ticket

    def bulk(client, ticket_id):
        client.post(reverse("agent:bulk"), {"ticket": [str(ticket_id)], "priority": "urgent"})
        return BulkJob.objects.latest("id").results.get()

    hidden_result, missing_result = bulk(outsider, hidden), bulk(outsider, missing)
    assert (hidden_result.outcome, hidden_result.reason) == (missing_result.outcome, missing_result.reason)
    assert hidden_result.outcome == "refused" and Ticket.objects.get(pk=hidden).priority != "urgent"
    assert bulk(member, hidden).outcome == "changed"


@pytest.mark.parametrize("name", sorted(CUSTOMER_LINK))
def test_a_customer_link_opens_nothing_for_an_outsider_without_it(name, world):
    from tickets.links import private_token
    from tickets.models import Ticket

    guessed = private_token(Ticket(pk=world["ids"]["ticket"], access_key="a-guess"))
    pattern = next(p for p in url_patterns() if p.name == name)
    kwargs = {"token": guessed}
    kwargs.update({key: world["ids"]["reply"] for key in pattern.kwargs if key == "message_id"})
    kwargs.update({key: world["ids"]["file"] for key in pattern.kwargs if key == "attachment_id"})
    outsider = client_for(world["users"]["outsider"])
    for method in ("GET", "POST"):
        response = send(outsider, method, reverse(name, kwargs=kwargs), {}, False)
        assert response.status_code in (404, 405), (name, method, response.status_code)


def test_lists_searches_and_counts_leave_it_out(world, supervisor):
    outsider, member = client_for(world["users"]["outsider"]), client_for(world["users"]["member"])
    hidden, plain = world["ids"]["ticket"], world["ids"]["plain"]

    def api_ids(client, path, key="id"):
        response = client.get(path)
        assert response.status_code == 200, path
        return {row[key] for row in response.json()["results"]}

    for path in ("/api/support/tickets", "/api/support/tickets?search=quokka"):
        assert hidden not in api_ids(outsider, path), path
        assert plain in api_ids(outsider, path), path
        assert hidden in api_ids(member, path), path
    for path, key in (
        ("/api/support/sla/violations", "ticket"),
        ("/api/support/surveys", "ticket"),
        ("/api/support/feedback", "ticket"),
    ):
        assert api_ids(outsider, path, key) == set(), path
        assert api_ids(member, path, key), path
    # The messages of every ticket (incremental sync) leave out the hidden ticket's.
    assert hidden not in api_ids(outsider, "/api/support/messages", "ticket")
    assert hidden in api_ids(member, "/api/support/messages", "ticket")
    assert api_ids(outsider, "/api/support/notifications") == set()
    assert api_ids(member, "/api/support/notifications") == {world["notices"]["member"]}

    for query in ("?view=all", "?view=all&q=quokka", f"?view=all&q={hidden}", "?view=mine"):
        assert "Payroll quokka" not in outsider.get(f"/agent/{query}").content.decode(), query
    assert "Payroll quokka" in member.get("/agent/?view=all&q=quokka").content.decode()
    for query in ("?view=all", "?view=all&q=quokka"):  # the queue's CSV export (workspace.export)
        assert "Payroll quokka" not in b"".join(outsider.get(f"/agent/export.csv{query}").streaming_content).decode()
    assert "Payroll quokka" in b"".join(member.get("/agent/export.csv?view=all").streaming_content).decode()
    page = outsider.get("/agent/notifications").content.decode()
    assert "NOTICE-5e1" not in page
    assert "NOTICE-5e1" in member.get("/agent/notifications").content.decode()
    # The bell counts only what the inbox lists.
    assert outsider.get("/agent/").context["unread_notifications"] == 0
    assert member.get("/agent/").context["unread_notifications"] == 1
    # Marking everything read leaves the hidden notice alone.
    from notifications.models import Notification

    outsider.post(reverse("agent:notifications-read"))

    assert Notification.objects.get(pk=world["notices"]["outsider"]).read_at is None
    # A customer's and an organisation's pages and API: the hidden ticket neither listed nor counted.
    customer, organization = world["ids"]["customer"], world["ids"]["organization"]
    for path in (f"/agent/customers/{customer}/", f"/agent/organizations/{organization}/"):
        assert "Payroll quokka" not in outsider.get(path).content.decode(), path
        assert "Printer quokka" in outsider.get(path).content.decode(), path
        assert "Payroll quokka" in member.get(path).content.decode(), path
    for path in (f"/api/support/customers/{customer}", f"/api/support/organizations/{organization}"):
        seen, known = outsider.get(path).json(), member.get(path).json()
        assert hidden not in {row["id"] for row in seen["tickets"]["newest"]}, path
        assert hidden in {row["id"] for row in known["tickets"]["newest"]}, path
        assert known["tickets"]["total"] == seen["tickets"]["total"] + 3, path  # the team's three tickets
    # The dashboard and its counts: supervisors and admins only (who see every team).
    assert outsider.get("/agent/dashboard").status_code == 403
