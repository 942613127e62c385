"""Every operation of /api/schema/ fuzzed by Schemathesis against the real application.

One test per operation (Schemathesis' pytest integration, through WSGI: no server, the
test's own database). Each generated request is sent by every kind of caller (anonymous,
agent, supervisor, integration token), and half of the requests that name objects in
their path name ones that exist, so the 200 answers are checked too, not only 404s.
Every answer must be no 5xx, a documented status code, a documented content type, and a
body that matches the documented schema.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Examples per operation and kind of generation. 47 operations x 4 callers: about a
# minute.
MAX_EXAMPLES = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

APP = get_wsgi_application()

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)


@pytest.fixture(autouse=True)
def _connections_stay_open():
    """Keep the test's database connection through each WSGI request, as Django's test client
    does: the request signals would otherwise close it in the middle of the test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, agent, other_agent, supervisor, integration_user, category, settings):
    """Objects for the path parameters to name, each twice: one with every optional part
    filled in, one with every optional part empty (nulls are where schemas go wrong); and
    the callers' tokens."""
    from datetime import timedelta

    from django.utils import timezone

    from agents import tokens
    from agents.tests.factories import AgentFactory
    from feedback.tests.factories import FeedbackFactory, SurveyInvitationFactory
    from knowledge.tests.factories import ArticleFactory, FAQFactory
    from notifications.models import Channel
    from notifications.tests.factories import NotificationFactory
    from sla.tests.factories import BusinessCalendarFactory, SLAPolicyFactory, SLAViolationFactory
    from tickets.tests.factories import AttachmentFactory, MessageFactory, TagFactory, TicketFactory

    # Rate limits have tests of their own; here they would only turn the fuzzing into 429s.
    settings.API_ANON_RATE = settings.API_USER_RATE = ""
    settings.KB_VOTE_RATE = "100000/h"
    now = timezone.now()
    policy = SLAPolicyFactory(category=category, calendar=BusinessCalendarFactory(), slack_webhook_url="")
    full = TicketFactory(
        category=category,
        assigned_agent=agent,
        status="open",
        sla_policy=policy,
        first_response_due_at=now - timedelta(hours=1),
        resolution_due_at=now + timedelta(hours=5),
        first_response_at_risk_at=now - timedelta(hours=2),
        resolution_at_risk_at=now + timedelta(hours=4),
    )
    full.tags.add(TagFactory(name="billing"))
    reply = MessageFactory(ticket=full, author_agent=agent, rating=4, rated_at=now, rating_comment="Quick")
    MessageFactory(ticket=full, internal=True, author_agent=agent)
    full_attachment = AttachmentFactory(ticket=full, message=reply)
    sparse = TicketFactory(category=category, customer_name="", status="new")
    MessageFactory(ticket=sparse, author_type="customer", author_name="")
    sparse_reply = MessageFactory(ticket=sparse, author_agent=other_agent, author_name="")  # not rated yet
    sparse_attachment = AttachmentFactory(ticket=sparse, message=None)
    resolved = TicketFactory(category=category, assigned_agent=agent, status="resolved")
    resolved_sparse = TicketFactory(category=category, assigned_agent=None, status="closed")
    survey = SurveyInvitationFactory(ticket=resolved, agent=agent)
    feedback = FeedbackFactory(
        ticket=resolved, agent=agent, survey=survey, speed=4, quality=5, friendliness=3, would_recommend=True
    )
    variants = {
        "tickets": [
            {"id": full.pk, "message_id": reply.pk, "attachment_id": full_attachment.pk},
            {"id": sparse.pk, "message_id": sparse_reply.pk, "attachment_id": sparse_attachment.pk},
        ],
        "agents": [
            {"id": AgentFactory(user__username="target", specializations=[category]).pk},
            {"id": AgentFactory(user__username="bare", specializations=[], working_hours={}).pk},
        ],
        "articles": [
            {"id": ArticleFactory(category=category, tags_text=",how-to,billing,", author=supervisor.user).pk},
            {"id": ArticleFactory(category=category, status="draft", author=None).pk},
        ],
        "faqs": [{"id": FAQFactory(category=category).pk}, {"id": FAQFactory(category=category, published=False).pk}],
        "feedback": [
            {"id": feedback.pk},
            {"id": FeedbackFactory(ticket=resolved_sparse, agent=None, comment="").pk},
        ],
        "surveys": [
            {"id": survey.pk},
            {"id": SurveyInvitationFactory(ticket=resolved_sparse, agent=None, answered_at=None).pk},
        ],
        "policies": [{"id": policy.pk}, {"id": SLAPolicyFactory(priority="high").pk}],
        "violations": [
            {"id": SLAViolationFactory(ticket=full, policy=policy).pk},
            {"id": SLAViolationFactory(ticket=sparse, policy=None, kind="resolution").pk},
        ],
        "notifications": [
            {
                "id": NotificationFactory(
                    channel=Channel.DASHBOARD,
                    user=agent.user,
                    recipient=agent.user.username,
                    payload={"title": "Breached", "url": f"/agent/tickets/{full.pk}", "ticket_id": full.pk},
                ).pk
            },
            {
                "id": NotificationFactory(
                    channel=Channel.DASHBOARD, user=agent.user, recipient=agent.user.username, payload={}
                ).pk
            },
        ],
    }
    from automation.tests.factories import make_macro

    variants["macros"] = [
        {
            "id": make_macro(
                "Refund approved",
                reply="Hi {customer_name}, refunded.",
                category=category,
                actions=[("set_status", "pending"), ("add_tags", "refund"), ("add_note", "", "", "By {agent_name}")],
            ).pk
        },
        {"id": make_macro("Bare", owner=agent).pk},
    ]
    from agents.models import Team
    from sla.tests.factories import HolidayFactory
    from tickets.tests.factories import CategoryFactory

    calendar = BusinessCalendarFactory(holiday_country="DE", holiday_subdivision="BY")
    variants["categories"] = [
        {"id": CategoryFactory(slug="refunds", description="Money back", team=Team.objects.create(name="Billing")).pk},
        {"id": CategoryFactory(slug="unused").pk},
    ]
    variants["tags"] = [{"id": full.tags.get().pk}, {"id": TagFactory(name="unused").pk}]
    variants["calendars"] = [{"id": calendar.pk}, {"id": BusinessCalendarFactory(weekdays_nine_to_five=False).pk}]
    variants["holidays"] = [
        {"id": HolidayFactory(calendar=calendar, name="Christmas").pk},
        {"id": HolidayFactory(calendar=calendar, name="").pk},
    ]
    awaiting_feedback = TicketFactory(category=category, assigned_agent=agent, status="resolved")
    # Body fields that name other objects: generated values hardly ever name existing ones.
    references = {
        "category": category.slug,
        "specializations": [category.slug],
        "ticket_id": full.pk,
        "ticket": awaiting_feedback.pk,
        "agent": agent.pk,
        "timezone": "Europe/Berlin",
        "calendar": calendar.pk,
        "working_hours": {"mon": [["09:00", "17:00"]]},
    }
    callers = {"anonymous": {}}
    for name, user in [("agent", agent.user), ("supervisor", supervisor.user), ("integration", integration_user)]:
        callers[name] = {"Authorization": f"Token {tokens.issue(user)[1]}"}
    return {"variants": variants, "references": references, "callers": callers}


def existing_objects(world: dict, path: str, variant: int) -> dict[str, int]:
    """Path parameters naming existing objects: the resource is the last word before the
    first `{` of the path."""
    resource = path.split("{", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    variants = world["variants"].get(resource)
    return variants[variant] if variants else {}


@schema.parametrize()
@schema.given(variant=st.sampled_from([None, 0, 1]))
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # CI replays the same examples every run (a red build means a change broke something);
    # elsewhere every run draws new ones and may find what CI's never reach.
    derandomize=bool(os.environ.get("CI")),
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, variant, world):
    """`variant` None sends the request as generated (its path naming objects that mostly do
    not exist); 0 and 1 name the full and the sparse object of the resource in the path, and
    existing objects in the body's reference fields."""
    if variant is not None and case.path_parameters:
        named = existing_objects(world, case.path, variant)
        case.path_parameters.update({key: value for key, value in named.items() if key in case.path_parameters})
    if variant is not None and isinstance(case.body, dict):
        case.body.update({key: value for key, value in world["references"].items() if key in case.body})
    for headers in world["callers"].values():
        case.call_and_validate(headers=headers, checks=CHECKS)


# --- What the fuzzing found, pinned down -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/support/feedback/?created_before=2026-01-01T00:00:00-19:44",
        "/api/support/sla/violations/?detected_after=2026-01-01T00:00:00%2B23:59",
        "/api/support/tickets/?created_after=0067-03-02T21:06:51-19:44",
        "/api/support/feedback/summary/?start=2026-01-01T00:00:00-21:33",
        "/api/support/sla/compliance/?start=2026-01-01T00:00:00-21:33",
    ],
)
def test_it_takes_utc_offsets_postgresql_does_not(agent_api, url):
    """Python parses offsets up to ±23:59, PostgreSQL stores up to ±15:59: the API converts to
    UTC first (a 500 on PostgreSQL before)."""
    assert agent_api.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/support/feedback/?created_before=0001-01-01T00:00:00%2B05:00",
        "/api/support/sla/compliance/?start=0001-01-01T00:00:00%2B05:00",
    ],
)
def test_it_refuses_a_moment_before_year_1_in_utc(agent_api, url):
    response = agent_api.get(url)

    assert response.status_code == 400, response.content


def test_it_refuses_a_nul_character_in_a_slug_that_names_an_object(supervisor_api, category):
    from agents.models import Agent

    response = supervisor_api.post(
        "/api/support/agents/",
        {"name": "Nul", "email": "nul@example.com", "specializations": ["gene\x00ral"]},
        format="json",
    )

    assert response.status_code == 400
    assert "specializations" in response.json()
    assert not Agent.objects.filter(email="nul@example.com").exists()


@pytest.mark.parametrize(
    "path", ["messages.json", "history.json", "assign.json", "messages/1/rate.json", "attachments/1.json"]
)
def test_format_suffixes_are_not_routes(agent_api, path):
    """DRF handed `.json` to @action methods as an argument they do not take: a 500."""
    response = agent_api.get(f"/api/support/tickets/1/{path}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_partial_update_answers_with_every_field_of_an_article(supervisor_api, category):
    from knowledge.tests.factories import ArticleFactory

    article = ArticleFactory(category=category, author=None)

    response = supervisor_api.patch(f"/api/support/articles/{article.pk}/", {"title": "A better title"}, format="json")

    assert response.status_code == 200
    assert response.json()["author"] is None


def test_a_notification_without_a_ticket_is_documented_as_such(agent_api, agent):
    from notifications.models import Channel
    from notifications.tests.factories import NotificationFactory

    NotificationFactory(channel=Channel.DASHBOARD, user=agent.user, recipient="agent", payload={"title": "Hello"})

    response = agent_api.get("/api/support/notifications/")

    assert response.json()["results"][0]["ticket_id"] is None
    document = agent_api.get("/api/schema/?format=json").json()
    assert document["components"]["schemas"]["Notification"]["properties"]["ticket_id"]["nullable"] is True
