"""Issue 24, point 8: the dashboard's charts — axes, values, a table, and the open queue's age
profile counted in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Team
from core.charts import AXIS, HEIGHT, LEFT, TOP, VALUE_OFFSET, bar_chart, stacked_chart
from tickets.models import Ticket
from tickets.selectors import tickets_for_user
from tickets.tests.factories import TicketFactory
from workspace.dashboard import age_profile

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_chart_has_a_y_axis_values_above_few_bars_and_none_above_many():
    few = bar_chart("Open", [("New", 4), ("Open", 2), ("Pending", 0)])
    many = bar_chart("Days", [(str(day), day) for day in range(30)])

    assert [tick.text for tick in few.ticks] == ["0", "2", "4"]
    assert [round(tick.y) for tick in few.ticks] == [TOP + HEIGHT, TOP + HEIGHT // 2, TOP]
    assert [bar.text for bar in few.valued_bars] == ["4", "2", "0"]
    assert many.valued_bars == [] and len(many.labelled_bars) == 2


def test_a_count_axis_has_whole_numbers_where_they_belong():
    odd = bar_chart("Open", [("New", 9), ("Open", 7)])
    one = bar_chart("Open", [("New", 1), ("Open", 0)])

    assert [tick.text for tick in odd.ticks] == ["0", "4", "9"]  # not 4.5 tickets
    assert round(odd.ticks[1].y) == round(TOP + HEIGHT - HEIGHT * 4 / 9)
    assert [tick.text for tick in one.ticks] == ["0", "1"]


def test_no_label_can_sit_on_a_bar():
    chart = bar_chart("Compliance", [("a", 100), ("b", 50), ("c", None)], unit="%", maximum=100)

    for bar in chart.bars:
        assert bar.x >= LEFT  # the tick labels end left of the plot
        assert bar.y >= TOP  # the tallest bar leaves TOP for its value label
        assert bar.value_y == bar.y - VALUE_OFFSET
    assert chart.label_y > chart.baseline and chart.height - chart.baseline == AXIS
    assert [tick.text for tick in chart.ticks] == ["0%", "50%", "100%"]
    assert chart.rows[2] == ("c", [], "no data")


def test_names_too_long_for_their_bars_go_on_two_lines_and_short_names_replace_long_labels():
    short = bar_chart("Age", [("<1 h", 1), ("1–4 h", 2)])
    long = bar_chart("Status", [("Pending (waiting)", 1), ("On hold (waiting)", 2), ("New", 3), ("Open", 4)])
    named = bar_chart("Status", [("Pending (waiting on customer)", 1)], short_labels=["Pending"])

    assert not short.staggered and {label.y for label in short.axis_labels} == {short.label_y}
    long_names = [f"A rather long name {n}" for n in range(4)]
    crowded = bar_chart("Crowded", [(name, 1) for name in long_names])
    assert crowded.staggered and crowded.height == short.height + AXIS
    assert [label.y for label in crowded.axis_labels] == [crowded.label_y, crowded.label_y + AXIS] * 2
    assert [label.text for label in long.axis_labels][:2] == ["Pending", "On hold"]
    assert named.axis_labels[0].text == "Pending" and named.rows[0][0] == "Pending (waiting on customer)"


def test_a_stacked_chart_stacks_its_series_and_tabulates_them():
    chart = stacked_chart("Age", ["Low", "High"], [("<1 h", [1, 3]), (">7 d", [0, 2])])

    first = chart.bars[0]
    assert first.value == 4 and first.text == "4"
    assert [segment.height for segment in first.segments] == [HEIGHT / 4, HEIGHT * 3 / 4]
    assert first.segments[1].y == TOP  # the top of the tallest stack
    assert chart.rows == [("<1 h", ["1", "3"], "4"), (">7 d", ["0", "2"], "2")]


@time_machine.travel(NOW, tick=False)
def test_the_age_profile_counts_open_tickets_by_age_and_priority_in_one_statement(supervisor, category):
    def opened(age: timedelta, priority: str = "normal", status: str = "open", **fields) -> Ticket:
        return TicketFactory(category=category, priority=priority, status=status, created_at=NOW - age, **fields)

    opened(timedelta(minutes=5), "urgent")
    opened(timedelta(minutes=59))
    opened(timedelta(hours=2), "high")
    opened(timedelta(hours=5), "low")
    opened(timedelta(days=2))
    opened(timedelta(days=5))
    opened(timedelta(days=30), "urgent", status="pending")
    opened(timedelta(days=30), status="resolved")  # not open: not counted
    opened(timedelta(days=30), status="closed")

    open_tickets = tickets_for_user(supervisor.user).filter(status__in=("new", "open", "pending"))
    with CaptureQueriesContext(connection) as queries:
        profile = age_profile(open_tickets, now=NOW)

    assert len(queries) == 1
    # low, normal, high, urgent
    assert profile == [
        ("<1 h", [0, 1, 0, 1]),
        ("1–4 h", [0, 0, 1, 0]),
        ("4–24 h", [1, 0, 0, 0]),
        ("1–3 d", [0, 1, 0, 0]),
        ("3–7 d", [0, 1, 0, 0]),
        (">7 d", [0, 0, 0, 1]),
    ]


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_draws_the_age_profile_and_it_obeys_the_teams_visibility(client, agent, category):
    from agents.tests.factories import AgentFactory

    supervisor = AgentFactory(user__username="sup", role="supervisor")
    vault = Team.objects.create(name="Vault", restricted=True)
    TicketFactory(category=category, status="open", created_at=NOW - timedelta(days=9), team=vault)
    TicketFactory(category=category, status="open", priority="high", created_at=NOW - timedelta(minutes=3))
    client.force_login(supervisor.user)

    response = client.get("/agent/dashboard")

    age = response.context["charts"]["age"]
    assert [bar.value for bar in age.bars] == [1, 0, 0, 0, 0, 1]  # supervisors see every team
    # The figures are of the tickets the reader may see: an agent outside the team, none of its.
    outsider = age_profile(tickets_for_user(agent.user).filter(status="open"), now=NOW)
    assert [sum(figures) for _label, figures in outsider] == [1, 0, 0, 0, 0, 0]
    page = response.content.decode()
    assert "Open tickets by age and priority" in page
    assert "<title>&lt;1 h, High: 1</title>" in page
    assert '<th scope="row">&gt;7 d</th><td>0</td><td>1</td><td>0</td><td>0</td><td>1</td>' in page
