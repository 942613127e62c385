"""The supervisor dashboard: SLA, load and satisfaction at a glance.

Over the last 30 days: SLA compliance per day of creation (sla.compliance, the API's
compliance report) and breaches per day of detection. Now: open tickets by status and by
priority, and each agent's open tickets against their capacity (tickets.assignment's open
load), and the open queue's age profile (`age_profile`: open tickets by age and priority).
Over the last 12 weeks: CSAT per week (feedback.summary). Each figure is one grouped
query; the page draws them as bar charts (core.charts). `?team=` narrows every figure to one
team's tickets (and the load table to its members, with each one's open tickets of that
team beside all their open tickets, which their capacity counts).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from agents.decorators import supervisor_required
from agents.models import Agent, Team
from core.charts import bar_chart, stacked_chart
from feedback.summary import csat_by_week
from sla.compliance import compliance_by_day
from sla.models import SLAViolation
from tickets.assignment import open_load
from tickets.assignment import open_tickets as open_tickets_of
from tickets.models import ACTIVE_STATUSES, PRIORITY_RANK, STATUS_WORDS, Priority, Status
from tickets.queries import count_up_to
from tickets.selectors import tickets_for_user
from tickets.visibility import of_visible_tickets

DAYS = 30
# The open queue's age buckets: (label, the youngest age, the oldest age excluded). The labels'
# ranges take an en dash, as ranges do in print (RUF001).
AGE_BUCKETS = [
    # Translators: the age of open tickets on the dashboard's age profile: under an hour.
    (pgettext_lazy("ticket age", "<1 h"), timedelta(0), timedelta(hours=1)),
    (pgettext_lazy("ticket age", "1–4 h"), timedelta(hours=1), timedelta(hours=4)),  # noqa: RUF001
    (pgettext_lazy("ticket age", "4–24 h"), timedelta(hours=4), timedelta(days=1)),  # noqa: RUF001
    (pgettext_lazy("ticket age", "1–3 d"), timedelta(days=1), timedelta(days=3)),  # noqa: RUF001
    (pgettext_lazy("ticket age", "3–7 d"), timedelta(days=3), timedelta(days=7)),  # noqa: RUF001
    (pgettext_lazy("ticket age", ">7 d"), timedelta(days=7), None),
]
AGE_PROFILE_TITLE = gettext_lazy("Open tickets by age and priority")


def age_profile(open_tickets: QuerySet, *, now) -> list[tuple[str, list[int]]]:
    """Each age bucket's label and its open tickets of each priority (low to urgent), counted
    in one statement: a filtered count per bucket and priority. Age is the time since the
    ticket was created; a ticket created "in the future" (a clock skew) counts as the youngest."""
    priorities = sorted(Priority, key=lambda p: PRIORITY_RANK[p])
    counts = {}
    for index, (_label, youngest, oldest) in enumerate(AGE_BUCKETS):
        age = Q(created_at__lte=now - youngest) if index else Q()
        if oldest is not None:
            age &= Q(created_at__gt=now - oldest)
        for priority in priorities:
            counts[f"age{index}_{priority.value}"] = Count("id", filter=age & Q(priority=priority.value))
    figures = open_tickets.aggregate(**counts)
    return [
        (str(label), [figures[f"age{index}_{priority.value}"] for priority in priorities])
        for index, (label, _youngest, _oldest) in enumerate(AGE_BUCKETS)
    ]


@require_GET
@supervisor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    start = now - timedelta(days=DAYS)
    days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    teams = list(Team.objects.order_by("name").only("id", "name"))
    chosen = request.GET.get("team", "")
    team = next((t for t in teams if str(t.pk) == chosen), None)  # anything else: every team
    team_id = team.pk if team is not None else None

    compliance = {row["day"]: row for row in compliance_by_day(start=start, end=now, team=team_id, now=now)}
    # Counts of the tickets the reader may see (tickets.visibility): supervisors and admins,
    # who alone open this page today, see every team's.
    violations = of_visible_tickets(SLAViolation.objects.filter(detected_at__gte=start), request.user)
    open_tickets = tickets_for_user(request.user).filter(status__in=ACTIVE_STATUSES).order_by()
    load = Agent.objects.annotate(open=open_load()).order_by("name")
    if team is not None:
        violations = violations.filter(ticket__team=team)
        open_tickets = open_tickets.filter(team=team)
        # Each member's open tickets of this team, beside all their open tickets (what their
        # capacity and the load meter count).
        load = load.filter(teams=team).annotate(
            team_open=count_up_to(open_tickets_of(OuterRef("pk")).filter(team=team).values("pk"))
        )
    breaches = {
        row["day"]: row["count"]
        for row in violations.annotate(day=TruncDate("detected_at"))
        .order_by()
        .values("day")
        .annotate(count=Count("id"))
    }
    by_status = dict(open_tickets.values_list("status").annotate(count=Count("id")))
    by_priority = dict(open_tickets.values_list("priority").annotate(count=Count("id")))
    ages = age_profile(open_tickets, now=now)
    weeks = csat_by_week(start=now - timedelta(weeks=12), end=now, team=team_id)

    def day_label(day) -> str:
        # In the reader's language (month names translated), "05 Mar" in English.
        return date_format(day, "d M")

    labels = {status: str(label) for status, label in Status.choices}
    day_heading, week_heading = _("Day"), _("Week")
    charts = {
        "compliance": bar_chart(
            _("SLA compliance per day (tickets created that day)"),
            [(day_label(d), compliance[d]["compliance_percent"] if d in compliance else None) for d in days],
            unit="%",
            maximum=100,
            group=day_heading,
        ),
        "breaches": bar_chart(
            _("SLA breaches per day"), [(day_label(d), breaches.get(d, 0)) for d in days], group=day_heading
        ),
        "status": bar_chart(
            _("Open tickets by status"),
            [(labels[s], by_status.get(s, 0)) for s in ACTIVE_STATUSES],
            # Under the bars, the status's word ("pending"), the table and the titles its label.
            short_labels=[capfirst(str(STATUS_WORDS[s])) for s in ACTIVE_STATUSES],
        ),
        "priority": bar_chart(
            _("Open tickets by priority"),
            [(str(p.label), by_priority.get(p.value, 0)) for p in sorted(Priority, key=lambda p: PRIORITY_RANK[p])],
        ),
        "age": stacked_chart(
            str(AGE_PROFILE_TITLE),
            [str(p.label) for p in sorted(Priority, key=lambda p: PRIORITY_RANK[p])],
            ages,
            group=_("Age"),
        ),
        "csat": bar_chart(
            _("CSAT per week (share of 4-5 ratings)"),
            # Translators: a week on the CSAT chart, "w/c" (week commencing) and the date its Monday falls on.
            [(_("w/c %(date)s") % {"date": day_label(row["week"])}, row["csat_percent"]) for row in weeks],
            unit="%",
            maximum=100,
            group=week_heading,
        ),
    }
    context = {
        "charts": charts,
        "load": [
            (
                agent,
                agent.open,
                agent.max_tickets,
                min(100, round(100 * agent.open / agent.max_tickets)),
                getattr(agent, "team_open", None),
            )
            for agent in load
        ],
        "teams": teams,
        "team": team,
        "open_total": sum(by_status.values()),
        "breaches_total": sum(breaches.values()),
    }
    return render(request, "helpdesk/dashboard.html", context)
