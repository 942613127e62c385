"""Feedback summaries, computed in SQL: a fixed number of queries whatever the number of agents.

CSAT is the share of overall ratings of 4 or 5; recommend % is the share of "yes" among the
customers who answered that question. Each agent's reply quality is the average rating
customers gave that agent's public replies (tickets' message ratings) in the period.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from feedback.models import Feedback
from tickets.models import Message


class Figures(TypedDict):
    count: int
    csat_percent: float | None
    average_overall: float | None
    average_speed: float | None
    average_quality: float | None
    average_friendliness: float | None
    recommend_percent: float | None


class AgentFigures(Figures):
    agent: int | None
    agent_name: str | None
    reply_quality_average: float | None
    replies_rated: int


class Summary(Figures):
    start: datetime
    end: datetime
    agents: list[AgentFigures]


AGGREGATES = {
    "count": Count("id"),
    "satisfied": Count("id", filter=Q(overall__gte=4)),
    "recommend_yes": Count("id", filter=Q(would_recommend=True)),
    "recommend_answered": Count("would_recommend"),
    "average_overall": Avg("overall"),
    "average_speed": Avg("speed"),
    "average_quality": Avg("quality"),
    "average_friendliness": Avg("friendliness"),
}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _figures(row: dict) -> Figures:
    return {
        "count": row["count"],
        "csat_percent": _percent(row["satisfied"], row["count"]),
        "average_overall": _round(row["average_overall"]),
        "average_speed": _round(row["average_speed"]),
        "average_quality": _round(row["average_quality"]),
        "average_friendliness": _round(row["average_friendliness"]),
        "recommend_percent": _percent(row["recommend_yes"], row["recommend_answered"]),
    }


def feedback_summary(
    *, start: datetime, end: datetime, agent: int | None = None, category: str | None = None
) -> Summary:
    feedback: QuerySet[Feedback] = Feedback.objects.filter(created_at__gte=start, created_at__lt=end)
    ratings = Message.objects.filter(
        rating__isnull=False, rated_at__gte=start, rated_at__lt=end, author_agent__isnull=False
    )
    if agent:
        feedback = feedback.filter(agent_id=agent)
        ratings = ratings.filter(author_agent_id=agent)
    if category:
        feedback = feedback.filter(ticket__category__slug=category)
        ratings = ratings.filter(ticket__category__slug=category)

    overall = feedback.aggregate(**AGGREGATES)
    per_agent = feedback.order_by().values("agent", "agent__name").annotate(**AGGREGATES)
    replies = {
        row["author_agent"]: row
        for row in ratings.order_by().values("author_agent").annotate(average=Avg("rating"), rated=Count("id"))
    }
    agents: list[AgentFigures] = []
    for row in sorted(per_agent, key=lambda r: (r["agent__name"] is None, r["agent__name"] or "")):
        reply = replies.get(row["agent"], {})
        agents.append(
            {
                "agent": row["agent"],
                "agent_name": row["agent__name"],
                **_figures(row),
                "reply_quality_average": _round(reply.get("average")),
                "replies_rated": reply.get("rated", 0),
            }
        )
    return {"start": start, "end": end, **_figures(overall), "agents": agents}


class WeeklyCsat(TypedDict):
    week: date
    count: int
    csat_percent: float | None


def csat_by_week(
    *, start: datetime, end: datetime, agent: int | None = None, category: str | None = None, team: int | None = None
) -> list[WeeklyCsat]:
    """CSAT per week (weeks start on Monday). One query."""
    feedback = Feedback.objects.filter(created_at__gte=start, created_at__lt=end)
    if agent:
        feedback = feedback.filter(agent_id=agent)
    if category:
        feedback = feedback.filter(ticket__category__slug=category)
    if team:
        feedback = feedback.filter(ticket__team_id=team)
    rows = (
        feedback.annotate(week=TruncWeek("created_at"))
        .order_by()
        .values("week")
        .annotate(count=Count("id"), satisfied=Count("id", filter=Q(overall__gte=4)))
        .order_by("week")
    )
    return [
        {
            "week": row["week"].date() if isinstance(row["week"], datetime) else row["week"],
            "count": row["count"],
            "csat_percent": _percent(row["satisfied"], row["count"]),
        }
        for row in rows
    ]
