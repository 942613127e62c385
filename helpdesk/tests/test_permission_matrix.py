"""Who may do what, for every URL the project defines: one table, checked request by request.

The table below has a row per (URL name, method[, variant]) and a column per persona. The
first test walks Django's URL resolver and fails for any pattern without a row, so a new
endpoint cannot ship without someone deciding who may use it. The second sends every row's
request as every persona and compares the status (and, for redirects, where to).

Personas:
- anonymous: no session, no token.
- customer: no account at all; holds the private links of their own tickets and their
  survey link (tickets.links, feedback.services). Everyone else is given a link for the
  same ticket signed with a guessed access key, i.e. they do not hold the secret.
- agent: the ticket's assigned agent; other_agent: an agent without the ticket.
- supervisor: an agent with role supervisor (Django admin access, writes agents and SLA).
- admin: a Django superuser without an Agent profile (counts as a supervisor).
- integration: a user of the `integrations` group, signed in and sending its API token.

The Django admin is Django's own: every page goes through AdminSite.admin_view, which sends
anyone who is not staff to the admin sign-in. So the table has rows for its root, sign-in
and sign-out, and every other admin pattern (one per registered model and view, a hundred
or so) is requested too, under one rule (ADMIN_RULE): non-staff personas are sent to the
admin sign-in; what a staff member sees inside is Django's model permissions, tested in
agents/tests/test_admin.py and friends.

Each request runs in a savepoint that is rolled back, so every row sees the same world.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from automation.tests.factories import make_trigger

PERSONAS = ("anonymous", "customer", "agent", "other_agent", "supervisor", "admin", "integration")
WORKERS = ("agent", "other_agent", "supervisor", "admin", "integration")

# Statuses that are redirects to a sign-in page rather than a number.
LOGIN = "login"  # 302 to /accounts/login/?next=...
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=...


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expected: tuple  # one entry per PERSONAS
    variant: str = ""  # which objects the URL names, when not the default ones
    body: dict | None = None
    json: bool = True  # API rows send JSON; page rows send a form
    files: bool = False  # the API's upload operations: the body as multipart, with a file
    hides: dict[str, tuple[str, ...]] = field(default_factory=dict)  # secret -> personas who must not see it
    query: dict | None = None  # the query string, objects named as in `body`

    def __post_init__(self):
        assert len(self.expected) == len(PERSONAS), self


def api(name, method, expected, **options) -> Row:
    return Row(name, method, expected, **options)


def page(name, method, expected, **options) -> Row:
    return Row(name, method, expected, json=False, **options)


TICKET = {"subject": "Printer on fire", "description": "It is on fire.", "customer_email": "c@example.org"}

# fmt: off
#                                                   anonymous    customer     agent  other  super  admin  integration
MATRIX: list[Row] = [
    # --- Public pages and machine endpoints -------------------------------------------------
    page("home", "GET",                             (200,        200,         200,   200,   200,   200,   200)),
    page("health", "GET",                           (200,        200,         200,   200,   200,   200,   200)),
    page("health-live", "GET",                      (200,        200,         200,   200,   200,   200,   200)),
    page("schema", "GET",                           (200,        200,         200,   200,   200,   200,   200)),
    page("api-docs", "GET",                         (200,        200,         200,   200,   200,   200,   200)),
    # Prometheus metrics: only a monitoring caller, with METRICS_TOKEN or from
    # METRICS_ALLOWED_IPS (helpdesk/tests/test_monitoring.py); no session opens it.
    page("prometheus-django-metrics", "GET",        (403,        403,         403,   403,   403,   403,   403)),

    # --- Tickets API: agents and integrations; integrations never see internal notes ---------
    api("api:ticket-list", "GET",                   (401,        401,         200,   200,   200,   200,   200)),
    api("api:ticket-list", "POST",                  (401,        401,         201,   201,   201,   201,   201),
        body={**TICKET, "category": "general"}),
    api("api:ticket-with-attachments", "POST",      (401,        401,         201,   201,   201,   201,   201),
        body={**TICKET, "category": "general"}, files=True),
    api("api:ticket-detail", "GET",                 (401,        401,         200,   200,   200,   200,   200),
        hides={"note": ("integration",)}),
    api("api:ticket-detail", "PATCH",               (401,        401,         200,   200,   200,   200,   200),
        body={"priority": "high"}),
    api("api:ticket-assign", "POST",                (401,        401,         200,   200,   200,   200,   403),
        body={"agent": "other_agent"}),
    api("api:ticket-rotate-link", "POST",           (401,        401,         200,   200,   200,   200,   403)),
    api("api:ticket-assign", "POST",                (401,        401,         403,   403,   200,   200,   403),
        variant="override", body={"agent": "other_agent", "override": True}),
    api("api:ticket-messages", "GET",               (401,        401,         200,   200,   200,   200,   200),
        hides={"note": ("integration",)}),
    api("api:ticket-messages", "POST",              (401,        401,         201,   201,   201,   201,   201),
        body={"body": "We are on it."}),
    api("api:ticket-messages", "POST",              (401,        401,         201,   201,   201,   201,   403),
        variant="internal note", body={"body": "Between us.", "internal": True}),
    # The messages of every ticket, for incremental sync (cursor mode has tickets/tests/test_sync.py).
    api("api:message-list", "GET",                  (401,        401,         200,   200,   200,   200,   200),
        hides={"note": ("integration",)}),
    api("api:ticket-messages-with-attachments", "POST", (401,    401,         201,   201,   201,   201,   201),
        body={"body": "The log you asked for."}, files=True),
    api("api:ticket-messages-with-attachments", "POST", (401,    401,         201,   201,   201,   201,   403),
        variant="internal note", body={"body": "Between us.", "internal": True}, files=True),
    api("api:ticket-rate", "POST",                  (401,        401,         403,   403,   403,   403,   200),
        body={"rating": 5}),
    api("api:ticket-history", "GET",                (401,        401,         200,   200,   200,   200,   200),
        hides={"note-event": ("integration",)}),
    api("api:ticket-attachment", "GET",             (401,        401,         200,   200,   200,   200,   200)),
    # Addresses copied on a ticket: whoever works it (integrations copy people too).
    api("api:ticket-cc", "GET",                     (401,        401,         200,   200,   200,   200,   200)),
    api("api:ticket-cc", "POST",                    (401,        401,         201,   201,   201,   201,   201),
        body={"email": "dora@example.org"}),
    api("api:ticket-cc-detail", "DELETE",           (401,        401,         204,   204,   204,   204,   204)),
    # Merge and related tickets: whoever works both tickets (tickets.merging_api).
    api("api:ticket-merge", "POST",                 (401,        401,         200,   200,   200,   200,   200),
        body={"into": "other ticket"}),
    api("api:ticket-links", "GET",                  (401,        401,         200,   200,   200,   200,   200)),
    api("api:ticket-links", "POST",                 (401,        401,         200,   200,   200,   200,   200),
        body={"ticket": "other ticket"}),  # linked already: 200 (201 in tickets/tests/test_merging_api.py)
    api("api:ticket-link-detail", "DELETE",         (401,        401,         204,   204,   204,   204,   204)),
    # Following: agents with a profile (the admin persona has none; integrations are no one's).
    api("api:ticket-follow", "GET",                 (401,        401,         200,   200,   200,   200,   200)),
    api("api:ticket-follow", "POST",                (401,        401,         200,   200,   200,   403,   403)),
    api("api:ticket-follow", "DELETE",              (401,        401,         200,   200,   200,   403,   403)),
    api("api:ticket-attachment", "GET",             (401,        401,         200,   200,   200,   200,   404),
        variant="internal note's file"),

    # --- Agents and SLA policies: everyone who works tickets reads, supervisors write ---------
    api("api:agent-list", "GET",                    (401,        401,         200,   200,   200,   200,   200)),
    api("api:agent-list", "POST",                   (401,        401,         403,   403,   201,   201,   403),
        body={"name": "New Agent", "email": "new.agent@example.com", "specializations": ["general"]}),
    api("api:agent-detail", "GET",                  (401,        401,         200,   200,   200,   200,   200)),
    api("api:agent-detail", "PATCH",                (401,        401,         403,   403,   200,   200,   403),
        body={"max_tickets": 3}),
    api("api:agent-detail", "PUT",                  (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:agent-detail", "DELETE",               (401,        401,         403,   403,   204,   204,   403)),
    api("api:team-list", "GET",                     (401,        401,         200,   200,   200,   200,   200)),
    api("api:team-list", "POST",                    (401,        401,         403,   403,   201,   201,   403),
        body={"name": "Escalations", "restricted": True}),
    api("api:team-detail", "GET",                   (401,        401,         200,   200,   200,   200,   200)),
    api("api:team-detail", "PATCH",                 (401,        401,         403,   403,   200,   200,   403),
        body={"description": "Invoices and refunds"}),
    api("api:team-detail", "PUT",                   (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:team-detail", "DELETE",                (401,        401,         403,   403,   204,   204,   403)),
    api("api:sla-policy-list", "GET",               (401,        401,         200,   200,   200,   200,   200)),
    api("api:sla-policy-list", "POST",              (401,        401,         403,   403,   201,   201,   403),
        body={"name": "Urgent", "priority": "urgent", "first_response_hours": 1, "resolution_hours": 8}),
    api("api:sla-policy-detail", "GET",             (401,        401,         200,   200,   200,   200,   200),
        hides={"webhook": WORKERS}),
    api("api:sla-policy-detail", "PATCH",           (401,        401,         403,   403,   200,   200,   403),
        body={"resolution_hours": 48}),
    api("api:sla-policy-detail", "PUT",             (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:sla-policy-detail", "DELETE",          (401,        401,         403,   403,   204,   204,   403)),
    # --- Automation: everyone who works tickets reads triggers, supervisors write -----------------
    api("api:trigger-list", "GET",                  (401,        401,         200,   200,   200,   200,   200)),
    api("api:trigger-list", "POST",                 (401,        401,         403,   403,   201,   201,   403),
        body={"name": "VIP", "events": ["ticket.created"], "actions": [{"kind": "set_priority", "value": "high"}]}),
    api("api:trigger-detail", "GET",                (401,        401,         200,   200,   200,   200,   200)),
    api("api:trigger-detail", "PATCH",              (401,        401,         403,   403,   200,   200,   403),
        body={"active": False}),
    api("api:trigger-detail", "PUT",                (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:trigger-detail", "DELETE",             (401,        401,         403,   403,   204,   204,   403)),
    # Time rules (issue 23): as SLA policies, everyone who works tickets reads, supervisors write.
    api("api:time-rule-list", "GET",                (401,        401,         200,   200,   200,   200,   200)),
    api("api:time-rule-list", "POST",               (401,        401,         403,   403,   201,   201,   403),
        body={"name": "Nudge", "clock": "updated", "hours": 48, "conditions": [
            {"field": "status", "operator": "is", "value": "open"}], "actions": [
            {"kind": "add_tags", "value": "stale"}]}),
    api("api:time-rule-detail", "GET",              (401,        401,         200,   200,   200,   200,   200)),
    api("api:time-rule-detail", "PATCH",            (401,        401,         403,   403,   200,   200,   403),
        body={"hours": 96}),
    api("api:time-rule-detail", "PUT",              (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:time-rule-detail", "DELETE",           (401,        401,         403,   403,   204,   204,   403)),
    api("api:sla-violation-list", "GET",            (401,        401,         200,   200,   200,   200,   200)),
    api("api:sla-violation-detail", "GET",          (401,        401,         200,   200,   200,   200,   200)),
    api("sla-check", "POST",                        (401,        401,         200,   200,   200,   200,   200),
        body={"ticket_id": "ticket"}),
    api("sla-compliance", "GET",                    (401,        401,         200,   200,   200,   200,   200)),

    # --- Customers: agents and integrations read and change profiles; agents merge them ------
    api("api:customer-list", "GET",                 (401,        401,         200,   200,   200,   200,   200)),
    api("api:customer-detail", "GET",               (401,        401,         200,   200,   200,   200,   200)),
    api("api:customer-detail", "PATCH",             (401,        401,         200,   200,   200,   200,   200),
        body={"notes": "Prefers phone calls."}),
    api("api:customer-merge", "POST",               (401,        401,         200,   200,   200,   200,   403),
        body={"into": "other customer"}),
    # --- Organisations: everyone who works tickets reads, supervisors and admins write ----------
    api("api:organization-list", "GET",             (401,        401,         200,   200,   200,   200,   200)),
    api("api:organization-list", "POST",            (401,        401,         403,   403,   201,   201,   403),
        body={"name": "Globex", "domains": ["globex.example"]}),
    api("api:organization-detail", "GET",           (401,        401,         200,   200,   200,   200,   200)),
    api("api:organization-detail", "PATCH",         (401,        401,         403,   403,   200,   200,   403),
        body={"vip": True}),
    api("api:organization-detail", "DELETE",        (401,        401,         403,   403,   204,   204,   403)),

    # --- Macros: agents (not integrations) use the shared, their teams' and their own; -------
    # supervisors and admins write the shared ones (automation/tests/test_macros_api.py)
    api("api:macro-list", "GET",                    (401,        401,         200,   200,   200,   200,   403)),
    api("api:macro-list", "POST",                   (401,        401,         201,   201,   201,   400,   403),
        body={"name": "My thanks", "reply": "Thanks, {customer_name}!"}),
    api("api:macro-list", "POST",                   (401,        401,         403,   403,   201,   201,   403),
        variant="shared", body={"name": "Escalate", "shared": True,
                                "actions": [{"kind": "set_priority", "value": "high"}]}),
    api("api:macro-detail", "GET",                  (401,        401,         200,   200,   200,   200,   403)),
    api("api:macro-detail", "PATCH",                (401,        401,         403,   403,   200,   200,   403),
        body={"reply": "Thanks again."}),
    api("api:macro-detail", "PUT",                  (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:macro-detail", "DELETE",               (401,        401,         403,   403,   204,   204,   403)),
    api("api:macro-detail", "PATCH",                (401,        401,         200,   404,   404,   404,   403),
        variant="personal macro", body={"reply": "Mine."}),
    api("api:macro-preview", "GET",                 (401,        401,         200,   200,   200,   200,   403),
        query={"ticket": "ticket"}),
    api("api:macro-apply", "POST",                  (401,        401,         200,   200,   200,   200,   403),
        body={"ticket": "ticket"}),
    api("api:macro-apply", "POST",                  (401,        401,         200,   404,   404,   404,   403),
        variant="personal macro", body={"ticket": "ticket"}),

    # --- Categories, tags, business calendars and holidays: as Django admin's supervisors group
    # (agents/migrations/0004), everyone who works tickets reads, supervisors and admins write.
    # The world's category has tickets: deleting it is refused (tickets/tests/test_api_categories.py).
    api("api:category-list", "GET",                 (401,        401,         200,   200,   200,   200,   200)),
    api("api:category-list", "POST",                (401,        401,         403,   403,   201,   201,   403),
        body={"slug": "returns", "name": "Returns"}),
    api("api:category-detail", "GET",               (401,        401,         200,   200,   200,   200,   200)),
    api("api:category-detail", "PATCH",             (401,        401,         403,   403,   200,   200,   403),
        body={"description": "Anything else"}),
    api("api:category-detail", "PUT",               (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:category-detail", "DELETE",            (401,        401,         403,   403,   409,   409,   403)),
    api("api:category-detail", "DELETE",            (401,        401,         403,   403,   204,   204,   403),
        variant="unused category"),
    api("api:tag-list", "GET",                      (401,        401,         200,   200,   200,   200,   200)),
    api("api:tag-list", "POST",                     (401,        401,         403,   403,   201,   201,   403),
        body={"name": "refund"}),
    api("api:tag-detail", "GET",                    (401,        401,         200,   200,   200,   200,   200)),
    api("api:tag-detail", "PATCH",                  (401,        401,         403,   403,   200,   200,   403),
        body={"name": "invoices"}),
    api("api:tag-detail", "PUT",                    (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:tag-detail", "DELETE",                 (401,        401,         403,   403,   204,   204,   403)),
    api("api:tag-merge", "POST",                    (401,        401,         403,   403,   200,   200,   403),
        body={"into": "other tag"}),
    api("api:calendar-list", "GET",                 (401,        401,         200,   200,   200,   200,   200)),
    api("api:calendar-list", "POST",                (401,        401,         403,   403,   201,   201,   403),
        body={"name": "Sydney office", "timezone": "Australia/Sydney",
              "hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}]}),
    api("api:calendar-detail", "GET",               (401,        401,         200,   200,   200,   200,   200)),
    api("api:calendar-detail", "PATCH",             (401,        401,         403,   403,   200,   200,   403),
        body={"timezone": "Europe/Paris"}),
    api("api:calendar-detail", "PUT",               (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:calendar-detail", "DELETE",            (401,        401,         403,   403,   409,   409,   403)),
    api("api:calendar-detail", "DELETE",            (401,        401,         403,   403,   204,   204,   403),
        variant="unused calendar"),
    api("api:calendar-import-holidays", "POST",     (401,        401,         403,   403,   200,   200,   403),
        body={"year": 2026, "country": "DE"}),
    api("api:holiday-list", "GET",                  (401,        401,         200,   200,   200,   200,   200)),
    api("api:holiday-list", "POST",                 (401,        401,         403,   403,   201,   201,   403),
        body={"calendar": "calendar", "date": "2026-12-24", "name": "Christmas Eve"}),
    api("api:holiday-detail", "GET",                (401,        401,         200,   200,   200,   200,   200)),
    api("api:holiday-detail", "PATCH",              (401,        401,         403,   403,   200,   200,   403),
        body={"name": "Boxing Day"}),
    api("api:holiday-detail", "PUT",                (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:holiday-detail", "DELETE",             (401,        401,         403,   403,   204,   204,   403)),

    # --- Data protection: admins only (privacy/tests) -------------------------------------
    api("privacy-export", "POST",                   (401,        401,         403,   403,   403,   200,   403),
        body={"email": "nobody@example.org"}),
    api("privacy-erase", "POST",                    (401,        401,         403,   403,   403,   200,   403),
        body={"email": "nobody@example.org"}),

    # --- Webhooks: admins only (their deliveries carry every team's tickets) -----------------
    api("api:webhook-list", "GET",                  (401,        401,         403,   403,   403,   200,   403),
        hides={"webhook-url": ("agent", "other_agent", "supervisor", "integration")}),
    api("api:webhook-list", "POST",                 (401,        401,         403,   403,   403,   201,   403),
        body={"name": "CRM", "url": "https://crm.example.com/hooks/helpdesk", "events": ["ticket.created"]}),
    api("api:webhook-detail", "GET",                (401,        401,         403,   403,   403,   200,   403),
        hides={"webhook-secret": PERSONAS}),
    api("api:webhook-detail", "PATCH",              (401,        401,         403,   403,   403,   200,   403),
        body={"active": False}),
    api("api:webhook-detail", "PUT",                (401,        401,         403,   403,   403,   400,   403),
        body={}),
    api("api:webhook-detail", "DELETE",             (401,        401,         403,   403,   403,   204,   403)),
    api("api:webhook-rotate-secret", "POST",        (401,        401,         403,   403,   403,   200,   403)),
    api("api:webhook-test", "POST",                 (401,        401,         403,   403,   403,   202,   403)),
    api("api:webhook-deliveries", "GET",            (401,        401,         403,   403,   403,   200,   403)),
    api("api:webhook-redeliver", "POST",            (401,        401,         403,   403,   403,   202,   403)),

    # --- Mailboxes: whoever manages them in Django admin, i.e. superusers (mail/api.py) ------
    # The world's mailbox points at a closed local port: a poll fails at once (200, ok false).
    api("api:mailbox-list", "GET",                  (401,        401,         403,   403,   403,   200,   403),
        hides={"mailbox-rotated": PERSONAS}),
    api("api:mailbox-list", "POST",                 (401,        401,         403,   403,   403,   201,   403),
        body={"name": "Sales", "host": "imap.example.com", "username": "sales@example.com",
              "password_env": "IMAP_SALES_PASSWORD", "category": "general"}),
    api("api:mailbox-detail", "GET",                (401,        401,         403,   403,   403,   200,   403),
        hides={"mailbox-rotated": PERSONAS}),
    api("api:mailbox-detail", "PATCH",              (401,        401,         403,   403,   403,   200,   403),
        body={"enabled": False}),
    api("api:mailbox-detail", "PUT",                (401,        401,         403,   403,   403,   400,   403),
        body={}),
    api("api:mailbox-detail", "DELETE",             (401,        401,         403,   403,   403,   204,   403)),
    api("api:mailbox-poll", "POST",                 (401,        401,         403,   403,   403,   200,   403)),
    api("api:mailbox-retry-sign-in", "POST",        (401,        401,         403,   403,   403,   200,   403)),

    # --- Notifications: only ever the caller's own ----------------------------------------
    api("api:notification-list", "GET",             (401,        401,         200,   200,   200,   200,   200),
        hides={"notification": ("other_agent", "supervisor", "admin", "integration")}),
    api("api:notification-read", "POST",            (401,        401,         200,   404,   404,   404,   404)),

    # --- Knowledge base: published content for everyone, drafts for agents, writes for -----
    # supervisors and admins (as in Django admin)
    api("api:article-list", "GET",                  (200,        200,         200,   200,   200,   200,   200),
        hides={"draft": ("anonymous", "customer", "integration")}),
    api("api:article-list", "POST",                 (401,        401,         403,   403,   201,   201,   403),
        body={"title": "Resetting a password", "content": "Open the sign-in page and follow the link.",
              "category": "general"}),
    api("api:article-detail", "GET",                (200,        200,         200,   200,   200,   200,   200)),
    api("api:article-detail", "GET",                (404,        404,         200,   200,   200,   200,   404),
        variant="draft"),
    api("api:article-detail", "PATCH",              (401,        401,         403,   403,   200,   200,   403),
        body={"title": "A better title"}),
    api("api:article-detail", "PUT",                (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:article-detail", "DELETE",             (401,        401,         403,   403,   204,   204,   403)),
    api("api:article-helpful", "POST",              (200,        200,         200,   200,   200,   200,   200),
        body={"helpful": True}),
    api("api:article-helpful", "POST",              (404,        404,         200,   200,   200,   200,   404),
        variant="draft", body={"helpful": True}),
    api("api:faq-list", "GET",                      (200,        200,         200,   200,   200,   200,   200),
        hides={"hidden-faq": ("anonymous", "customer", "integration")}),
    api("api:faq-list", "POST",                     (401,        401,         403,   403,   201,   201,   403),
        body={"question": "Where is my invoice?", "answer": "Under Billing.", "category": "general"}),
    api("api:faq-detail", "GET",                    (200,        200,         200,   200,   200,   200,   200)),
    api("api:faq-detail", "GET",                    (404,        404,         200,   200,   200,   200,   404),
        variant="unpublished"),
    api("api:faq-detail", "PATCH",                  (401,        401,         403,   403,   200,   200,   403),
        body={"priority": 90}),
    api("api:faq-detail", "PUT",                    (401,        401,         403,   403,   400,   400,   403),
        body={}),
    api("api:faq-detail", "DELETE",                 (401,        401,         403,   403,   204,   204,   403)),

    # --- Feedback and surveys: agents and integrations -------------------------------------
    api("api:feedback-list", "GET",                 (401,        401,         200,   200,   200,   200,   200)),
    api("api:feedback-list", "POST",                (401,        401,         201,   201,   201,   201,   201),
        body={"ticket": "unrated ticket", "overall": 4}),
    api("api:feedback-detail", "GET",               (401,        401,         200,   200,   200,   200,   200)),
    api("api:feedback-summary", "GET",              (401,        401,         200,   200,   200,   200,   200)),
    api("api:survey-list", "GET",                   (401,        401,         200,   200,   200,   200,   200)),
    api("api:survey-detail", "GET",                 (401,        401,         200,   200,   200,   200,   200)),

    # --- Mail providers' inbound webhooks: off (404) until ANYMAIL_WEBHOOK_SECRET is set;
    # with it, the provider's basic auth and signature decide (mail/tests/test_webhooks.py) --
    page("mail-inbound:amazon_ses", "POST",         (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:brevo", "POST",              (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:mailersend", "POST",         (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:mailgun", "POST",            (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:mailjet", "POST",            (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:postmark", "POST",           (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:resend", "POST",             (404,        404,         404,   404,   404,   404,   404)),
    page("mail-inbound:sparkpost", "POST",          (404,        404,         404,   404,   404,   404,   404)),

    # --- Customer portal: the private link is the key; only its own ticket behind it -------
    page("portal:ticket-new", "GET",                (200,        200,         200,   200,   200,   200,   200)),
    page("portal:ticket-new", "POST",               (302,        302,         302,   302,   302,   302,   302),
        body={**TICKET, "customer_name": "Cleo Customer", "category": "general"}),
    page("portal:lookup", "GET",                    (200,        200,         200,   200,   200,   200,   200)),
    page("portal:lookup", "POST",                   (200,        200,         200,   200,   200,   200,   200),
        body={"email": "cleo@example.org"}),
    page("portal:submitted", "GET",                 (404,        200,         404,   404,   404,   404,   404)),
    page("portal:ticket", "GET",                    (404,        200,         404,   404,   404,   404,   404),
        hides={"note": ("customer",)}),
    page("portal:ticket", "POST",                   (404,        302,         404,   404,   404,   404,   404),
        body={"body": "Any news?"}),
    # A CC's own link (the customer persona holds it here): the public conversation, replies...
    page("portal:ticket", "GET",                    (404,        200,         404,   404,   404,   404,   404),
        variant="cc link", hides={"note": ("customer",)}),
    page("portal:ticket", "POST",                   (404,        302,         404,   404,   404,   404,   404),
        variant="cc link", body={"body": "Copied and curious."}),
    # ...no ratings (the customer's), and nothing once the CC is removed.
    page("portal:rate", "POST",                     (404,        404,         404,   404,   404,   404,   404),
        variant="cc link", body={"rating": 5}),
    page("portal:ticket", "GET",                    (404,        404,         404,   404,   404,   404,   404),
        variant="removed cc link"),
    page("portal:rate", "POST",                     (404,        302,         404,   404,   404,   404,   404),
        body={"rating": 5}),
    page("portal:rate", "POST",                     (404,        404,         404,   404,   404,   404,   404),
        variant="other ticket's reply", body={"rating": 1}),
    page("portal:attachment", "GET",                (404,        200,         404,   404,   404,   404,   404)),
    page("portal:attachment", "GET",                (404,        404,         404,   404,   404,   404,   404),
        variant="internal note's file"),
    page("portal:attachment", "GET",                (404,        404,         404,   404,   404,   404,   404),
        variant="other ticket's file"),
    page("survey:answer", "GET",                    (404,        200,         404,   404,   404,   404,   404)),
    page("survey:answer", "POST",                   (404,        302,         404,   404,   404,   404,   404),
        body={"overall": 5}),
    page("survey:thanks", "GET",                    (200,        200,         200,   200,   200,   200,   200)),

    # --- Help center ---------------------------------------------------------------------
    page("kb:index", "GET",                         (200,        200,         200,   200,   200,   200,   200),
        hides={"draft": PERSONAS}),
    page("kb:suggest", "GET",                       (200,        200,         200,   200,   200,   200,   200)),
    page("kb:article", "GET",                       (200,        200,         200,   200,   200,   200,   200)),
    page("kb:article", "GET",                       (404,        404,         404,   404,   404,   404,   404),
        variant="draft"),
    page("kb:helpful", "POST",                      (302,        302,         302,   302,   302,   302,   302),
        body={"helpful": "yes"}),
    page("kb:faq", "GET",                           (200,        200,         200,   200,   200,   200,   200),
        hides={"hidden-faq": PERSONAS}),

    # --- Sign-in ----------------------------------------------------------------------------
    page("account_login", "GET",                    (200,        200,         302,   302,   302,   302,   302)),
    page("account_login", "POST",                   (200,        200,         302,   302,   302,   302,   302),
        body={"login": "agent", "password": "wrong"}),
    page("account_logout", "POST",                  (LOGIN,      LOGIN,       LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    page("account_inactive", "GET",                 (200,        200,         200,   200,   200,   200,   200)),
    page("account_reauthenticate", "GET",           (LOGIN,      LOGIN,       200,   200,   200,   200,   200)),
    # Two-factor sign-in: each signed-in user manages their own (agents/tests/test_mfa.py).
    page("mfa_index", "GET",                        (LOGIN,      LOGIN,       200,   200,   200,   200,   200)),
    # The second step of a sign-in: nothing to do outside one (signed-in users go on).
    page("mfa_authenticate", "GET",                 (LOGIN,      LOGIN,       302,   302,   302,   302,   302)),
    page("mfa_reauthenticate", "GET",               (LOGIN,      LOGIN,       302,   302,   302,   302,   302)),
    # Adding a factor asks for the password again first (a 302 to account_reauthenticate).
    page("mfa_activate_totp", "GET",                (LOGIN,      LOGIN,       302,   302,   302,   302,   302)),
    # Without an authenticator app there is nothing to remove and no recovery codes.
    page("mfa_deactivate_totp", "GET",              (LOGIN,      LOGIN,       404,   404,   404,   404,   404)),
    page("mfa_view_recovery_codes", "GET",          (LOGIN,      LOGIN,       404,   404,   404,   404,   404)),
    page("mfa_generate_recovery_codes", "GET",      (LOGIN,      LOGIN,       302,   302,   302,   302,   302)),
    page("mfa_download_recovery_codes", "GET",      (LOGIN,      LOGIN,       404,   404,   404,   404,   404)),
    # Single sign-on (agents/tests/test_sso.py); no identity provider is configured here.
    page("openid_connect_login", "GET",             (404,        404,         404,   404,   404,   404,   404)),
    page("openid_connect_login", "POST",            (404,        404,         404,   404,   404,   404,   404)),
    page("openid_connect_callback", "GET",          (404,        404,         404,   404,   404,   404,   404)),
    page("socialaccount_login_cancelled", "GET",    (200,        200,         200,   200,   200,   200,   200)),
    page("socialaccount_login_error", "GET",        (401,        401,         401,   401,   401,   401,   401)),
    page("socialaccount_signup", "GET",             (LOGIN,      LOGIN,       LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    # The language switchers: the portal's for everyone, the workspace's for agents (it also
    # sets their profile's language).
    page("set_language", "POST",                    (302,        302,         302,   302,   302,   302,   302),
        body={"language": "ru", "next": "/kb/"}),
    page("agent:language", "POST",                  (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"language": "ru", "next": "/agent/"}),
    page("password_reset", "GET",                   (200,        200,         200,   200,   200,   200,   200)),
    page("password_reset", "POST",                  (302,        302,         302,   302,   302,   302,   302),
        body={"email": "agent@example.com"}),
    page("password_reset_done", "GET",              (200,        200,         200,   200,   200,   200,   200)),
    page("password_reset_confirm", "GET",           (200,        200,         200,   200,   200,   200,   200)),
    page("password_reset_complete", "GET",          (200,        200,         200,   200,   200,   200,   200)),

    # --- Agent workspace: agents; the dashboard for supervisors ---------------------------
    page("agent:queue", "GET",                      (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:queue-export", "GET",               (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:ticket", "GET",                     (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:reply", "POST",                     (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"body": "On it."}),
    page("agent:change", "POST",                    (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"status": "pending", "priority": "high", "category": "general", "tags": ""}),
    page("agent:assign", "POST",                    (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"agent": "me"}),
    page("agent:ticket-customer", "POST",           (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"customer_email": "dora@example.org", "customer_name": "Dora"}),
    page("agent:rotate-link", "POST",               (LOGIN,      LOGIN,       302,   302,   302,   302,   403)),
    page("agent:activity", "GET",                   (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:insert", "GET",                     (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    # Presence: the reply box's "typing" ping (workspace.presence).
    page("agent:typing", "POST",                    (LOGIN,      LOGIN,       204,   204,   204,   204,   403)),
    # A ticket opened by an agent for a customer on the phone (workspace.new_ticket).
    page("agent:new-ticket", "GET",                 (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:new-ticket", "POST",                (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"customer": "new", "customer_email": "dora@example.org", "customer_name": "Dora", "channel": "phone",
              "subject": "Called about the printer", "description": "The printer is on fire again.",
              "category": "general", "priority": "normal", "team": "", "assignee": ""}),
    page("agent:new-ticket-customers", "GET",       (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:cc", "POST",                        (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"cc": "dora@example.org"}),
    page("agent:cc-remove", "POST",                 (LOGIN,      LOGIN,       302,   302,   302,   302,   403)),
    # Merge (its confirmation step, then the merge), related tickets, splitting a message off.
    page("agent:merge", "GET",                      (LOGIN,      LOGIN,       200,   200,   200,   200,   403),
        query={"ticket": "other ticket"}),
    page("agent:merge", "POST",                     (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"ticket": "other ticket"}),
    page("agent:link-add", "POST",                  (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"ticket": "other ticket"}),
    page("agent:link-remove", "POST",               (LOGIN,      LOGIN,       302,   302,   302,   302,   403)),
    page("agent:split", "GET",                      (LOGIN,      LOGIN,       200,   200,   200,   200,   403),
        variant="customer message"),
    page("agent:split", "POST",                     (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        variant="customer message", body={"subject": "The scanner"}),
    # Macros: the preview (without htmx, a redirect to the page showing it) and applying one.
    page("agent:macro-preview", "GET",              (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        query={"macro": "macro"}),
    page("agent:macro-apply", "POST",               (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"macro": "macro"}),
    page("agent:macro-apply", "POST",               (LOGIN,      LOGIN,       302,   404,   404,   404,   403),
        variant="personal macro", body={"macro": "personal macro"}),
    # Bulk changes: any agent changes the tickets they may see; a job's page is its agent's.
    page("agent:bulk", "POST",                      (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"ticket": "ticket", "priority": "high"}),
    page("agent:bulk-job", "GET",                   (LOGIN,      LOGIN,       200,   404,   404,   404,   403)),
    page("agent:bulk-resume", "POST",               (LOGIN,      LOGIN,       302,   404,   404,   404,   403)),
    # The admin persona, without an agent profile, is sent back with a message.
    page("agent:follow", "POST",                    (LOGIN,      LOGIN,       302,   302,   302,   302,   403)),
    page("agent:notifications-preferences", "POST", (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"follow_by_email": "on"}),
    page("agent:notifications", "GET",              (LOGIN,      LOGIN,       200,   200,   200,   200,   403),
        hides={"notification": ("other_agent", "supervisor", "admin")}),
    page("agent:notifications-read", "POST",        (LOGIN,      LOGIN,       302,   302,   302,   302,   403)),
    page("agent:dashboard", "GET",                  (LOGIN,      LOGIN,       403,   403,   200,   200,   403)),
    # Customers and organisations: agents read, edit and merge profiles; supervisors and
    # admins change organisations.
    page("agent:customers", "GET",                  (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:customer", "GET",                   (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:customer-edit", "POST",             (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"customer-name": "Cleo", "customer-notes": "Prefers phone calls."}),
    page("agent:customer-merge", "POST",            (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"merge-into": "cleo.other@example.org", "merge-confirm": "on"}),
    page("agent:organizations", "GET",              (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:organization-new", "POST",          (LOGIN,      LOGIN,       403,   403,   302,   302,   403),
        body={"organization-name": "Globex", "organization-domains": "globex.example"}),
    page("agent:organization", "GET",               (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:organization-edit", "POST",         (LOGIN,      LOGIN,       403,   403,   302,   302,   403),
        body={"organization-name": "Initech", "organization-vip": "on"}),
    page("agent:organization-delete", "POST",       (LOGIN,      LOGIN,       403,   403,   302,   302,   403)),
    # Saved views (issue 24): personal ones are their owner's alone (404 for anyone else);
    # shared ones are seen by every agent and changed by supervisors and admins.
    page("agent:saved-view-counts", "GET",          (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:saved-view-new", "GET",             (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),
    page("agent:saved-view-new", "POST",            (LOGIN,      LOGIN,       302,   302,   302,   302,   403),
        body={"name": "Urgent ones", "view": "open", "priority": "urgent"}),
    page("agent:saved-view-edit", "GET",            (LOGIN,      LOGIN,       200,   404,   404,   404,   403)),
    page("agent:saved-view-edit", "POST",           (LOGIN,      LOGIN,       302,   404,   404,   404,   403),
        body={"name": "Renamed", "position": 1}),
    page("agent:saved-view-delete", "POST",         (LOGIN,      LOGIN,       302,   404,   404,   404,   403)),
    page("agent:saved-view-edit", "GET",            (LOGIN,      LOGIN,       403,   403,   200,   200,   403),
        variant="shared view"),
    page("agent:saved-view-edit", "POST",           (LOGIN,      LOGIN,       403,   403,   302,   302,   403),
        variant="shared view", body={"name": "Renamed", "position": 1}),
    page("agent:saved-view-delete", "POST",         (LOGIN,      LOGIN,       403,   403,   302,   302,   403),
        variant="shared view"),
    # An email's original (.eml), for agents: it is what their tickets and notes came from.
    page("mail:original", "GET",                    (LOGIN,      LOGIN,       200,   200,   200,   200,   403)),

    # --- Django admin (the rest of its patterns: ADMIN_RULE) --------------------------------
    page("admin:index", "GET",                      (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 200, ADMIN_LOGIN)),  # noqa: E501
    # The admin signs in through the one sign-in form (core.accounts.admin_login); Django
    # admin's own form (admin:login) is behind the same route.
    page("admin-sign-in", "GET",                    (LOGIN,      LOGIN,       403,   403,   302,   302,   403)),
    page("admin:login", "GET",                      (LOGIN,      LOGIN,       403,   403,   302,   302,   403)),
    # Non-staff are sent to the admin root (and from there to its sign-in); staff are signed out.
    page("admin:logout", "POST",                    (302,        302,         302,   302,   LOGIN, LOGIN, 302)),
]
# fmt: on

# Every other admin pattern, for GET: staff are let in (what they see there is model
# permissions), everyone else is sent to the admin sign-in.
ADMIN_RULE = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, None, None, ADMIN_LOGIN)


# --- The URL resolver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str | None  # namespaced, e.g. "api:ticket-detail"
    route: str  # the whole route, for unnamed patterns and messages
    kwargs: frozenset[str]


def url_patterns(
    patterns=None, prefix: str = "", namespace: str | None = None, outer: frozenset[str] = frozenset()
) -> list[Pattern]:
    """Every pattern the project defines, with its namespaced name, whole route and every
    keyword its route takes (an include's own included)."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) if entry.namespace else namespace
            keywords = outer | frozenset(entry.pattern.regex.groupindex)
            found += url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner, keywords)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            found.append(Pattern(name, prefix + str(entry.pattern), outer | frozenset(entry.pattern.regex.groupindex)))
    return found


def is_admin(pattern: Pattern) -> bool:
    return pattern.route.startswith("admin/")


def rows_for(pattern: Pattern) -> list[Row]:
    return [row for row in MATRIX if row.name == pattern.name]


# --- The world the URLs name -------------------------------------------------------------------


@pytest.fixture
def world(db, settings, category, agent, other_agent, supervisor, admin_user, integration_user, closed_port):
    import datetime
    import zlib

    from django.contrib.auth.models import User
    from django.utils.http import urlsafe_base64_encode

    from agents.models import Team
    from agents.tests.factories import AgentFactory
    from automation.tests.factories import make_macro, make_rule
    from feedback.services import survey_token
    from feedback.tests.factories import FeedbackFactory, SurveyInvitationFactory
    from knowledge.tests.factories import ArticleFactory, FAQFactory
    from mail.models import InboundEmail, Mailbox
    from notifications.models import Channel
    from notifications.tests.factories import NotificationFactory
    from sla.tests.factories import BusinessCalendarFactory, HolidayFactory, SLAPolicyFactory, SLAViolationFactory
    from tickets.links import cc_token, private_token
    from tickets.models import BulkJob, SavedView, Tag, Ticket, TicketCC, TicketEvent, TicketLink
    from tickets.tests.factories import (
        AttachmentFactory,
        CategoryFactory,
        MessageFactory,
        TagFactory,
        TicketEventFactory,
        TicketFactory,
    )

    for rate in ("PORTAL_TICKET_RATE", "PORTAL_LOOKUP_RATE", "PORTAL_REPLY_RATE", "PORTAL_SURVEY_RATE"):
        setattr(settings, rate, "100000/h")
    settings.KB_VOTE_RATE = settings.LOGIN_RATE = settings.PASSWORD_RESET_RATE = "100000/h"
    settings.API_USER_RATE = settings.API_ANON_RATE = ""

    customer_email = "cleo@example.org"
    ticket = TicketFactory(category=category, assigned_agent=agent, status="open", customer_email=customer_email)
    reply = MessageFactory(ticket=ticket, author_agent=agent, body="Have you tried turning it off?")
    note = MessageFactory(ticket=ticket, author_agent=agent, internal=True, body="NOTE-7f3a customer is a VIP")
    TicketEventFactory(ticket=ticket, kind=TicketEvent.Kind.NOTE, actor_type="agent", actor_name="NOTE-EVENT-91c")
    public_file = AttachmentFactory(ticket=ticket, message=reply)
    note_file = AttachmentFactory(ticket=ticket, message=note)
    other_ticket = TicketFactory(category=category, customer_email="someone.else@example.org")
    other_reply = MessageFactory(ticket=other_ticket, author_agent=agent)
    customer_message = MessageFactory(ticket=ticket, author_type="customer", body="And the scanner is broken too.")
    TicketLink.objects.create(low_id=min(ticket.pk, other_ticket.pk), high_id=max(ticket.pk, other_ticket.pk))
    other_file = AttachmentFactory(ticket=other_ticket, message=other_reply)
    resolved = TicketFactory(category=category, assigned_agent=agent, status="resolved", customer_email=customer_email)
    survey = SurveyInvitationFactory(ticket=resolved, agent=agent)
    rated_ticket = TicketFactory(category=category, assigned_agent=agent, status="resolved")
    unrated_ticket = TicketFactory(category=category, assigned_agent=agent, status="resolved")
    article = ArticleFactory(category=category)
    draft = ArticleFactory(category=category, status="draft", title="DRAFT-55d1 unannounced feature")
    faq = FAQFactory(category=category)
    hidden_faq = FAQFactory(category=category, published=False, question="HIDDEN-FAQ-0b2 not yet?")
    policy = SLAPolicyFactory(slack_webhook_url="https://hooks.slack.com/services/T0/B0/WEBHOOK-SECRET-3e1")
    calendar = BusinessCalendarFactory(name="Berlin office")  # an inactive policy counts by it: no deleting it
    SLAPolicyFactory(name="Office hours", priority="low", calendar=calendar, active=False)
    ticket.tags.add(TagFactory(name="billing"))
    from notifications.webhooks import webhook_create

    webhook = webhook_create(
        name="CRM", url="https://crm.example.com/hooks/WEBHOOK-URL-5d0", events=["ticket.created"],
        secret="WEBHOOK-SIGNING-SECRET-77a0c4",
    )  # fmt: skip
    delivery = NotificationFactory(
        channel=Channel.WEBHOOK, recipient=webhook.recipient, kind="ticket.created", payload={"data": {}},
        status="dead",
    )  # fmt: skip
    notification = NotificationFactory(
        channel=Channel.DASHBOARD, user=agent.user, recipient=agent.user.username, payload={"title": "NOTIFY-8c2"}
    )
    target = AgentFactory(user__username="target", specializations=[category])
    team = Team.objects.create(name="Billing", lead=agent)
    team.members.add(agent)
    email = InboundEmail.objects.create(email_id="e@example.org", content_hash="0" * 64, route="pipe",
                                        outcome="reply", ticket=ticket, size=1, raw=zlib.compress(b"x"))  # fmt: skip
    from customers.models import Customer, Organization

    organization = Organization.objects.create(name="Initech", domains=["initech.example"])
    profile = Customer.objects.create(email=customer_email, name="Cleo", organization=organization)
    Ticket.objects.filter(customer_email=customer_email).update(customer=profile)
    other_profile = Customer.objects.create(email="cleo.other@example.org")
    guessed = Ticket(pk=ticket.pk, access_key="a-guess")
    cc = TicketCC.objects.create(ticket=ticket, email="bob@example.org")
    removed_cc = TicketCC.objects.create(ticket=ticket, email="gone@example.org")
    removed_cc_token = cc_token(removed_cc)
    removed_cc.delete()
    guessed_survey = type(survey)(pk=survey.pk, key="a-guess")

    users = {
        "agent": agent.user,
        "other_agent": other_agent.user,
        "supervisor": supervisor.user,
        "admin": admin_user,
        "integration": integration_user,
    }
    return {
        "users": users,
        "integration_token": _token(integration_user),
        "ids": {
            "ticket": ticket.pk,
            # The agent's own bulk change (done): nobody else reads or resumes it.
            "bulk job": BulkJob.objects.create(user=agent.user, ticket_ids=[ticket.pk], total=1, state="done").pk,
            "reply": reply.pk,
            "customer message": customer_message.pk,
            "other ticket": other_ticket.pk,
            "other ticket's reply": other_reply.pk,
            "public file": public_file.pk,
            "internal note's file": note_file.pk,
            "other ticket's file": other_file.pk,
            "article": article.pk,
            "draft": draft.pk,
            "faq": faq.pk,
            "unpublished": hidden_faq.pk,
            "feedback": FeedbackFactory(ticket=rated_ticket, agent=agent).pk,
            "survey": survey.pk,
            "policy": policy.pk,
            "category": category.pk,
            "unused category": CategoryFactory(slug="unused").pk,
            "tag": Tag.objects.get(name="billing").pk,
            "other tag": TagFactory(name="invoicing").pk,
            "calendar": calendar.pk,
            "unused calendar": BusinessCalendarFactory(name="Unused").pk,
            "holiday": HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 25), name="Christmas").pk,
            "time rule": make_rule("status_changed", 72, [("status", "is", "pending")], [("set_priority", "low")]).pk,
            "violation": SLAViolationFactory(ticket=ticket, policy=policy).pk,
            "notification": notification.pk,
            "target": target.pk,
            "team": team.pk,
            "other_agent": other_agent.pk,
            "unrated ticket": unrated_ticket.pk,
            "email": email.pk,
            "cc": cc.pk,
            "customer": profile.pk,
            "other customer": other_profile.pk,
            "organization": organization.pk,
            "trigger": make_trigger(["ticket.created"], [], [("add_tags", "seen")], name="Seen").pk,
            "webhook": webhook.pk,
            "delivery": delivery.pk,
            "mailbox": Mailbox.objects.create(
                name="Support",
                host="127.0.0.1",
                port=closed_port,
                security="none",
                username="support",
                password_env="IMAP_SUPPORT_PASSWORD",
                category=category,
                oauth_rotated_refresh_token="MAILBOX-ROTATED-TOKEN-6a1",
            ).pk,
            "macro": make_macro("Thanks", reply="Thanks, {customer_name}!", actions=[("add_tags", "thanked")]).pk,
            "personal macro": make_macro("Agnes's own", owner=agent, reply="Done.").pk,
            "saved view": SavedView.objects.create(name="Agnes's urgent", owner=agent.user, priority="urgent").pk,
            "shared view": SavedView.objects.create(name="Everyone's", shared=True, created_by=supervisor.user).pk,
        },
        "slugs": {"article": article.slug, "draft": draft.slug},
        "tokens": {
            "customer": private_token(ticket),
            "cc link": cc_token(cc),
            "removed cc link": removed_cc_token,
            "guessed": private_token(guessed),
            "survey": survey_token(survey),
            "guessed survey": survey_token(guessed_survey),
        },
        "uidb64": urlsafe_base64_encode(str(User.objects.get(username="agent").pk).encode()),
        "secrets": {
            "note": "NOTE-7f3a",
            "note-event": "NOTE-EVENT-91c",
            "draft": "DRAFT-55d1",
            "hidden-faq": "HIDDEN-FAQ-0b2",
            "notification": "NOTIFY-8c2",
            "webhook": "WEBHOOK-SECRET-3e1",
            "webhook-url": "WEBHOOK-URL-5d0",
            "webhook-secret": "WEBHOOK-SIGNING-SECRET-77a0c4",
            "mailbox-rotated": "MAILBOX-ROTATED-TOKEN-6a1",
        },
    }


def _token(user) -> str:
    from agents import tokens

    return tokens.issue(user)[1]


def client_for(persona: str, world: dict) -> Client:
    client = Client()
    if persona in world["users"]:
        client.force_login(world["users"][persona])
    if persona == "integration":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world['integration_token']}"
    return client


def path_for(pattern: Pattern, row: Row | None, persona: str, world: dict) -> str:
    """A concrete URL for the pattern, naming the objects the row's variant is about."""
    if pattern.name is None:  # the admin's unnamed patterns: fill the route in by hand
        path = re.sub(r"<(?:\w+:)?object_id>", "1", pattern.route)
        path = re.sub(r"\(\?P<url>\.\*\)\$", "no-such-page/", path)
        return "/" + path
    ids, name, variant = world["ids"], pattern.name, row.variant if row else ""
    values: dict[str, Any] = {}
    for kwarg in pattern.kwargs:
        if kwarg == "format":
            values[kwarg] = "json"
        elif kwarg == "pk":
            resource = PK_OBJECT_BY_NAME.get(name) or PK_OBJECT.get(name.split(":")[-1].rsplit("-", 1)[0], "ticket")
            values[kwarg] = ids[resource]
            named = variant in ("draft", "unpublished", "shared view", "unused category", "unused calendar")
            if named or (variant == "personal macro" and resource == "macro"):
                values[kwarg] = ids[variant]
        elif kwarg == "attachment_id":
            values[kwarg] = ids[variant if variant.endswith("file") else "public file"]
        elif kwarg == "cc_id":
            values[kwarg] = ids["cc"]
        elif kwarg == "other":  # a linked ticket
            values[kwarg] = ids["other ticket"]
        elif kwarg == "delivery_id":
            values[kwarg] = ids["delivery"]
        elif kwarg == "message_id":
            values[kwarg] = ids[variant if variant in ids else "reply"]
        elif kwarg == "slug":
            values[kwarg] = world["slugs"][variant or "article"]
        elif kwarg == "token" and name == "survey:answer":
            values[kwarg] = world["tokens"]["survey" if persona == "customer" else "guessed survey"]
        elif kwarg == "token" and name.startswith("portal:") and variant.endswith("cc link"):
            values[kwarg] = world["tokens"][variant if persona == "customer" else "guessed"]
        elif kwarg == "token" and name.startswith("portal:"):
            values[kwarg] = world["tokens"]["customer" if persona == "customer" else "guessed"]
        elif kwarg == "token":  # password reset: a link that is not valid
            values[kwarg] = "set-password"
        elif kwarg == "provider_id":
            values[kwarg] = "sso"
        elif kwarg == "uidb64":
            values[kwarg] = world["uidb64"]
        elif kwarg in ("object_id", "id"):
            values[kwarg] = "1"
        elif kwarg == "app_label":
            values[kwarg] = "tickets"
        elif kwarg == "content_type_id":
            values[kwarg] = 1
        else:
            raise AssertionError(f"No value for <{kwarg}> of {pattern.route}: teach path_for about it.")
    path = reverse(name, kwargs=values)
    if row is not None and row.query:
        from urllib.parse import urlencode

        path += "?" + urlencode({key: ids.get(value, value) for key, value in row.query.items()})
    return path


# Routes whose pk is not what their name's resource part says: the workspace's macro routes
# are a ticket's (the macro is in the query or the body).
PK_OBJECT_BY_NAME = {"agent:macro-preview": "ticket", "agent:macro-apply": "ticket"}

# Which object a detail route's pk names, by the route name's resource part.
PK_OBJECT = {
    "ticket": "ticket",
    "agent": "target",
    "notification": "notification",
    "article": "article",
    "faq": "faq",
    "feedback": "feedback",
    "survey": "survey",
    "sla-policy": "policy",
    "time-rule": "time rule",
    "team": "team",
    "sla-violation": "violation",
    "original": "email",
    "customer": "customer",
    "organization": "organization",
    "trigger": "trigger",
    "webhook": "webhook",
    "webhook-rotate": "webhook",  # webhook-rotate-secret
    "mailbox": "mailbox",
    "mailbox-retry-sign": "mailbox",  # mailbox-retry-sign-in
    "macro": "macro",
    "saved-view": "saved view",
    "bulk": "bulk job",  # bulk-job, bulk-resume
    "category": "category",
    "tag": "tag",  # tag-detail, tag-merge
    "calendar": "calendar",
    "calendar-import": "calendar",  # calendar-import-holidays
    "holiday": "holiday",
}


def body_for(row: Row, world: dict) -> dict:
    """The row's body, with names of objects ("other_agent", "ticket") replaced by their ids."""
    body = dict(row.body or {})
    for key, value in body.items():
        named = key in ("agent", "ticket", "ticket_id", "into", "macro", "calendar")
        if isinstance(value, str) and value in world["ids"] and named:
            body[key] = world["ids"][value]
    return body


def send(client: Client, method: str, path: str, row: Row | None, world: dict):
    if method == "GET":
        return client.get(path)
    body = body_for(row, world) if row else {}
    if row is not None and row.files:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("log.txt", b"line 1\n", content_type="text/plain")
        return client.post(path, {**body, "attachments": [upload]})  # multipart, the test client's default
    if row is None or row.json:
        import json

        return client.generic(method, path, json.dumps(body), content_type="application/json")
    return client.generic(method, path, _form(body), content_type="application/x-www-form-urlencoded")


def _form(body: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(body)


def outcome(response) -> int | str:
    """The status, or LOGIN / ADMIN_LOGIN for a redirect to a sign-in page."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith("/accounts/login/"):
            return LOGIN
    return response.status_code


def check(pattern: Pattern, row: Row | None, expected: tuple, world: dict) -> list[str]:
    """Every persona's request for one row; the differences from the table, in words."""
    from django.db import connection

    method = row.method if row else "GET"
    problems = []
    for persona, wanted in zip(PERSONAS, expected, strict=True):
        path = path_for(pattern, row, persona, world)
        with transaction.atomic():
            response = send(client_for(persona, world), method, path, row, world)
            transaction.set_rollback(True)
        assert not connection.needs_rollback or connection.in_atomic_block
        got = outcome(response)
        label = f"{method} {path} ({row.variant if row and row.variant else pattern.route}) as {persona}"
        if wanted is None:
            if response.status_code >= 500:
                problems.append(f"{label}: {got}, expected no server error")
        elif got != wanted:
            problems.append(f"{label}: {got}, expected {wanted}")
        content = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
        for secret, hidden_from in row.hides.items() if row else []:
            shown = world["secrets"][secret] in content
            if persona in hidden_from and shown:
                problems.append(f"{label}: shows {secret!r} to {persona}")
            # The others do see it: proof that the secret is in the page to be hidden at all.
            if persona not in hidden_from and response.status_code == 200 and not shown:
                problems.append(f"{label}: does not show {secret!r} to {persona}")
    return problems


# --- The tests -------------------------------------------------------------------------------


def test_every_url_pattern_has_an_entry_in_the_table():
    patterns = url_patterns()
    missing = [
        f"{pattern.name or '(unnamed)'}: {pattern.route}"
        for pattern in patterns
        if not is_admin(pattern) and not rows_for(pattern)
    ]
    assert not missing, "URL patterns without a row in MATRIX (decide who may use them):\n" + "\n".join(missing)
    names = {pattern.name for pattern in patterns}
    stale = sorted({row.name for row in MATRIX} - names)
    assert not stale, f"MATRIX rows for URL names that no longer exist: {stale}"


def test_the_table_names_every_persona_for_every_row():
    for row in MATRIX:
        assert len(row.expected) == len(PERSONAS), row
        assert row.method in ("GET", "POST", "PUT", "PATCH", "DELETE"), row


APP_PATTERNS = [pattern for pattern in url_patterns() if not is_admin(pattern) and pattern.name]
ADMIN_PATTERNS = [pattern for pattern in url_patterns() if is_admin(pattern)]


@pytest.mark.parametrize("pattern", APP_PATTERNS, ids=lambda p: p.route)
def test_every_persona_gets_what_the_table_says(pattern, world):
    problems = []
    for row in rows_for(pattern):
        problems += check(pattern, row, row.expected, world)
    assert not problems, "\n".join(problems)


def test_the_admin_lets_in_only_staff(world):
    problems = []
    for pattern in ADMIN_PATTERNS:
        rows = rows_for(pattern)
        for row in rows or [None]:
            problems += check(pattern, row, row.expected if row else ADMIN_RULE, world)
    assert not problems, "\n".join(problems)
