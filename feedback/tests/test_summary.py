"""Acceptance 4: summary figures equal the hand-computed ones; constant queries per agent count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.tests.factories import AgentFactory
from feedback.tests.factories import FeedbackFactory
from tickets.tests.factories import CategoryFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

IN_PERIOD = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PERIOD = {"start": "2026-11-01", "end": "2026-12-01"}


def give(agent, overall, speed=None, quality=None, friendliness=None, recommend=None, *, category=None, when=IN_PERIOD):
    ticket = TicketFactory(assigned_agent=agent, status="resolved", **({"category": category} if category else {}))
    return FeedbackFactory(
        ticket=ticket,
        agent=agent,
        overall=overall,
        speed=speed,
        quality=quality,
        friendliness=friendliness,
        would_recommend=recommend,
        created_at=when,
    )


@pytest.fixture
def crafted(category):
    ann = AgentFactory(name="Ann", specializations=[category])
    bob = AgentFactory(name="Bob", specializations=[category])
    give(ann, 5, 5, 4, 5, True)
    give(ann, 4, 3, 4, None, True)
    give(ann, 2, 1, 2, 3, False)
    give(bob, 3, 4, None, 4, None)
    give(bob, 5, 5, 5, 5, True)
    give(None, 1, 1, 1, 1, False)  # a ticket nobody was assigned to
    give(ann, 1, 1, 1, 1, False, when=IN_PERIOD - timedelta(days=30))  # before the period
    for rating in (5, 4, 3):  # Ann's rated replies; one rated outside the period
        MessageFactory(author_agent=ann, author_type="agent", rating=rating, rated_at=IN_PERIOD)
    MessageFactory(author_agent=ann, author_type="agent", rating=1, rated_at=IN_PERIOD - timedelta(days=40))
    MessageFactory(author_agent=bob, author_type="agent", rating=2, rated_at=IN_PERIOD)
    return ann, bob


def summary(api, **params):
    response = api.get("/api/support/feedback/summary", {**PERIOD, **params})
    assert response.status_code == 200, response.json()
    return response.json()


def test_overall_figures(agent_api, crafted):
    body = summary(agent_api)

    # overall ratings 5, 4, 2, 3, 5, 1: four... satisfied (>= 4) are 5, 4, 5 -> 3 of 6
    assert body["count"] == 6
    assert body["csat_percent"] == 50.0
    assert body["average_overall"] == 3.33  # 20 / 6
    assert body["average_speed"] == 3.17  # (5 + 3 + 1 + 4 + 5 + 1) / 6 = 19 / 6
    assert body["average_quality"] == 3.2  # (4 + 4 + 2 + 5 + 1) / 5
    assert body["average_friendliness"] == 3.6  # (5 + 3 + 4 + 5 + 1) / 5
    assert body["recommend_percent"] == 60.0  # yes 3 of 5 answered


def test_per_agent_figures(agent_api, crafted):
    ann, _ = crafted
    rows = {row["agent_name"]: row for row in summary(agent_api)["agents"]}

    assert list(rows) == ["Ann", "Bob", None]
    assert rows["Ann"] == {
        "agent": ann.pk,
        "agent_name": "Ann",
        "count": 3,
        "csat_percent": 66.7,
        "average_overall": 3.67,
        "average_speed": 3.0,
        "average_quality": 3.33,
        "average_friendliness": 4.0,
        "recommend_percent": 66.7,
        "reply_quality_average": 4.0,  # 5, 4, 3 in the period
        "replies_rated": 3,
    }
    assert rows["Bob"]["csat_percent"] == 50.0
    assert rows["Bob"]["average_overall"] == 4.0
    assert rows["Bob"]["recommend_percent"] == 100.0  # one yes of one answered
    assert (rows["Bob"]["reply_quality_average"], rows["Bob"]["replies_rated"]) == (2.0, 1)
    assert rows[None]["count"] == 1


def test_filters(agent_api, crafted):
    ann, _ = crafted
    billing = CategoryFactory(slug="billing")
    give(ann, 5, category=billing)

    assert summary(agent_api, agent=ann.pk)["count"] == 4
    assert summary(agent_api, category="billing")["count"] == 1
    assert summary(agent_api, start="2026-10-01")["count"] == 8


def test_the_summary_costs_the_same_for_2_and_20_agents(agent_api, category):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            summary(agent_api)
        return len(queries)

    for _ in range(2):
        give(AgentFactory(specializations=[category]), 4)
    few = measure()
    for _ in range(18):
        agent = AgentFactory(specializations=[category])
        give(agent, 3)
        MessageFactory(author_agent=agent, author_type="agent", rating=4, rated_at=IN_PERIOD)
    many = measure()

    assert few == many


@pytest.mark.parametrize(
    ("params", "field"), [({"start": "soon"}, "start"), ({"end": "2026-10-01"}, "end"), ({"agent": "x"}, "agent")]
)
def test_bad_parameters_answer_400(agent_api, category, params, field):
    response = agent_api.get("/api/support/feedback/summary", {**PERIOD, **params})

    assert response.status_code == 400
    assert field in response.json()


def test_the_summary_carries_weekly_csat_as_the_dashboard_draws_it(agent_api, crafted):
    [week] = summary(agent_api)["by_week"]

    assert week == {"week": "2026-11-09", "count": 6, "csat_percent": 50.0}
