"""Issue 24, point 2: saved views — the rules the database keeps, who may change which view,
and counts that obey restricted teams and stop at the API's limit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import Http404

from agents.models import Team
from tickets import saved_views as service
from tickets.models import QUEUE_COLUMNS, SAVED_VIEW_QUEUES, SAVED_VIEW_SORTS, SavedView
from tickets.selectors import QUEUE_SORTS, QUEUE_VIEWS
from tickets.tests.factories import TagFactory, TicketFactory

pytestmark = pytest.mark.django_db


def make(user, name="Mine", *, shared=False, queue="open", columns=None, **filters) -> SavedView:
    return service.saved_view_create(
        user=user, name=name, shared=shared, queue=queue, filters=filters, columns=columns or list(QUEUE_COLUMNS)
    )


def violates(**fields) -> None:
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        SavedView.objects.create(**fields)


def test_its_choices_are_the_queues_own():
    assert set(SAVED_VIEW_QUEUES) == set(QUEUE_VIEWS)
    assert set(SAVED_VIEW_SORTS) == {*QUEUE_SORTS, "priority"}


def test_the_database_refuses_what_no_form_would_save(agent):
    user = agent.user
    violates(name="", owner=user)
    violates(name="x" * 61, owner=user)
    violates(name=" padded", owner=user)
    violates(name="Nobody's", owner=None, shared=False)
    violates(name="Owned and shared", owner=user, shared=True)
    violates(name="Bad queue", owner=user, queue="everything")
    violates(name="Bad status", owner=user, status="lost")
    violates(name="Bad priority", owner=user, priority="whenever")
    violates(name="Bad sort", owner=user, sort="random")
    violates(name="Bad assignee", owner=user, assignee="1; drop")
    violates(name="Bad team", owner=user, team="some")
    violates(name="Unknown column", owner=user, columns=["subject", "secret"])
    violates(name="No subject", owner=user, columns=["number", "status"])
    violates(name="Far down", owner=user, position=1000)
    SavedView.objects.create(name="Mine", owner=user)
    violates(name="MINE", owner=user)  # names are unique per owner, whatever their case


def test_names_are_unique_per_owner_and_among_shared_views(agent, other_agent, supervisor):
    make(agent.user, "Urgent")
    make(other_agent.user, "Urgent")  # another agent's list
    make(supervisor.user, "Urgent", shared=True)  # the shared list
    with pytest.raises(ValidationError) as refused:
        make(agent.user, "urgent")
    assert "already exists" in str(refused.value.message_dict["name"])
    with pytest.raises(ValidationError):
        make(supervisor.user, "URGENT", shared=True)


def test_an_agent_cannot_share_a_view_and_a_supervisor_can(agent, supervisor):
    with pytest.raises(PermissionDenied):
        make(agent.user, "For everyone", shared=True)

    view = make(supervisor.user, "For everyone", shared=True)

    assert (view.shared, view.owner, view.created_by) == (True, None, supervisor.user)
    assert list(service.saved_views_for(agent.user)) == [view]


def test_an_agent_sees_and_changes_only_their_own_and_cannot_change_a_shared_one(agent, other_agent, supervisor):
    theirs = make(other_agent.user, "Theirs")
    shared = make(supervisor.user, "Shared", shared=True)
    mine = make(agent.user, "Mine")

    assert list(service.saved_views_for(agent.user)) == [shared, mine]
    with pytest.raises(Http404):
        service.saved_view_for_user(agent.user, theirs.pk)
    with pytest.raises(PermissionDenied):
        service.saved_view_update(user=agent.user, view=theirs, name="Stolen", columns=["subject"], position=0)
    with pytest.raises(PermissionDenied):
        service.saved_view_update(user=agent.user, view=shared, name="Renamed", columns=["subject"], position=0)
    with pytest.raises(PermissionDenied):
        service.saved_view_delete(user=agent.user, view=shared)
    with pytest.raises(PermissionDenied):
        service.saved_view_update(user=agent.user, view=mine, name="Mine", columns=["subject"], position=0, shared=True)

    service.saved_view_update(user=supervisor.user, view=shared, name="Renamed", columns=["subject"], position=3)
    shared.refresh_from_db()
    assert (shared.name, shared.columns, shared.position) == ("Renamed", ["subject"], 3)


def test_the_subject_is_always_a_column_and_columns_keep_the_tables_order(agent):
    view = make(agent.user, columns=["sla", "number", "status"])

    assert view.columns == ["number", "subject", "status", "sla"]


def test_a_person_keeps_at_most_thirty_views(agent):
    for n in range(service.PERSONAL_VIEWS_MAX):
        make(agent.user, f"View {n}")
    with pytest.raises(ValidationError):
        make(agent.user, "One too many")


def test_its_query_opens_it_in_the_queue(agent):
    view = make(agent.user, queue="unassigned", priority="urgent", tag="vip", search="refund", sort="oldest")

    assert view.query() == {"view": "unassigned", "priority": "urgent", "tag": "vip", "q": "refund", "sort": "oldest"}


def test_counts_are_what_the_queue_lists_and_leave_out_hidden_teams(agent, other_agent, supervisor, category):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(other_agent)
    TicketFactory.create_batch(2, category=category, priority="urgent", status="open")
    TicketFactory(category=category, priority="urgent", status="open", team=vault)
    TicketFactory(category=category, priority="urgent", status="closed")
    TicketFactory(category=category, priority="low", status="open")
    urgent = make(supervisor.user, "Urgent", shared=True, priority="urgent")

    counts = {user: service.count_view(user, urgent) for user in (agent.user, other_agent.user, supervisor.user)}

    assert counts[agent.user].count == 2  # the vault's ticket is hidden from them
    assert counts[other_agent.user].count == 3  # a member
    assert counts[supervisor.user].count == 3
    assert all(count.exact for count in counts.values())


def test_counts_of_a_tag_a_team_an_assignee_and_a_search(agent, category):
    team = Team.objects.create(name="Billing")
    tag = TagFactory(name="refund")
    tagged = TicketFactory(category=category, status="open", subject="Refund for order 12")
    tagged.tags.add(tag)
    TicketFactory(category=category, status="open", team=team, assigned_agent=agent)
    TicketFactory(category=category, status="new", subject="Another refund please")
    user = agent.user

    assert service.count_view(user, make(user, "Tag", tag="refund")).count == 1
    assert service.count_view(user, make(user, "Team", team=str(team.pk))).count == 1
    assert service.count_view(user, make(user, "No team", team="none")).count == 2
    assert service.count_view(user, make(user, "Mine", queue="mine")).count == 1
    assert service.count_view(user, make(user, "Search", search="refund")).count == 2
    assert service.count_view(user, make(user, "Number", search=f"#{tagged.pk}")).count == 1


def test_counts_stop_at_the_limit_and_say_so(agent, category, settings):
    settings.API_COUNT_LIMIT = 2
    TicketFactory.create_batch(3, category=category, status="open", subject="Printer jam")
    user = agent.user

    everything = service.count_view(user, make(user, "Open"))
    assert (everything.count, everything.exact) == (2, False)
    settings.API_COUNT_LIMIT = 3
    assert (service.count_view(user, make(user, "Open 2")).count, service.count_view(user, make(user, "O3")).exact) == (
        3,
        True,
    )
    settings.TICKET_SEARCH_CANDIDATES = 2  # a search reaches the 2 newest matches only: maybe more
    search = service.count_view(user, make(user, "Printers", search="printer"))
    assert (search.count, search.exact) == (2, False)


@pytest.mark.parametrize(
    "filters",
    [
        {"queue": "mine"},
        {"queue": "teams"},
        {"queue": "unassigned", "priority": "urgent"},
        {"queue": "sla"},
        {"queue": "all", "tag": "refund"},
        {"queue": "open", "team": "none", "sort": "priority"},
        {"queue": "open", "search": "refund"},
    ],
)
def test_a_count_is_the_length_of_the_queue_it_opens(agent, category, filters):
    from tickets.selectors import tickets_for_queue

    team = Team.objects.create(name="Billing")
    team.members.add(agent)
    tag = TagFactory(name="refund")
    kinds = [("open", "urgent"), ("new", "low"), ("closed", "urgent"), ("pending", "high")]
    for n, (status, priority) in enumerate(kinds):
        ticket = TicketFactory(
            category=category,
            status=status,
            priority=priority,
            subject=f"Refund request {n}",
            team=team if n % 2 else None,
            assigned_agent=agent if n < 2 else None,
        )
        ticket.tags.add(tag)
    view = SavedView(name="x", **filters)

    listed = tickets_for_queue(user=agent.user, view=view.queue, filters={**view.query(), "q": view.search})

    assert service.count_view(agent.user, view).count == len(listed)


@pytest.mark.django_db(transaction=True)
def test_a_count_past_its_time_budget_is_the_planners_estimate_and_the_next_count_goes_on(agent, settings):
    """PostgreSQL cancels a count that runs past SAVED_VIEW_COUNT_BUDGET_MS (here: one kept
    waiting by another transaction's lock on the tickets); the view shows the planner's
    estimate, and the next view in the same refresh is counted exactly."""
    import threading
    import time

    from django.db import connections

    settings.SAVED_VIEW_COUNT_BUDGET_MS = 50
    TicketFactory.create_batch(3, priority="urgent", status="open")
    make(agent.user, "Urgent", priority="urgent")
    make(agent.user, "Low", priority="low")
    locked, release = threading.Event(), 0.6

    def hold_the_lock() -> None:
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute("LOCK TABLE tickets_ticket IN ACCESS EXCLUSIVE MODE")
            locked.set()
            time.sleep(release)
        connections["default"].close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    counted = service.saved_view_counts(agent.user)
    waited = time.monotonic() - started
    holder.join()

    urgent, low = sorted(counted, key=lambda c: c.view.name, reverse=True)
    assert (urgent.view.name, urgent.estimated, urgent.exact) == ("Urgent", True, False)
    assert urgent.count >= 0  # the planner's guess: planning waited for the lock, reading did not
    assert waited >= release / 2
    assert (low.view.name, low.estimated, low.exact, low.count) == ("Low", False, True, 0)
    # Without the lock, the same view is counted exactly.
    again = service.count_view(agent.user, urgent.view)
    assert (again.count, again.exact, again.estimated) == (3, True, False)
