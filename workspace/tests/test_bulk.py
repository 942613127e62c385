"""Issue 24, point 1: bulk changes in the queue — the bar, the run (in the request or as a
task), the summary with what was refused and why, macros, permissions and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Team
from agents.tests.factories import AgentFactory
from automation.tests.factories import make_macro
from tickets.models import BulkJob, BulkResult, EventKind, Message, Ticket, TicketEvent
from tickets.tests.factories import TicketFactory
from workspace.bulk_jobs import bulk_job_run
from workspace.tasks import resume_stalled_bulk_jobs, run_bulk_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def post(client, tickets=(), **fields):
    data = {"queue-view": "all", **fields}
    if tickets:
        data["ticket"] = [str(ticket.pk) for ticket in tickets]
    return client.post("/agent/bulk", data)


def outcomes(job: BulkJob) -> dict[int, tuple[str, str]]:
    return {result.ticket_id: (result.outcome, result.reason) for result in job.results.all()}


def test_the_queue_has_a_checkbox_per_row_and_the_bar(signed_in, agent):
    tickets = TicketFactory.create_batch(3, status="open")
    make_macro("Close politely", reply="Thanks!")

    page = signed_in.get("/agent/?view=all").content.decode()

    for ticket in tickets:
        assert f'name="ticket" value="{ticket.pk}" form="bulk-form" aria-label="Select ticket #{ticket.pk}"' in page
    assert 'id="bulk-form"' in page and 'action="/agent/bulk"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "Close politely" in page  # the agent's macros are offered
    assert 'id="bulk-scope-all"' not in page  # one page: nothing more to select
    assert "js/bulk.js" in page


def test_the_queue_offers_all_that_match_across_pages_with_the_count(signed_in, settings):
    TicketFactory.create_batch(27, status="open")

    page = signed_in.get("/agent/?view=all").content.decode()
    settings.BULK_MAX_TICKETS = 20
    capped = signed_in.get("/agent/?view=all").content.decode()

    assert 'name="scope" value="all"' in page and "Select all 27 tickets that match" in page
    assert 'name="scope" value="all"' not in capped
    assert "27 tickets match; at most 20 can be changed at once: narrow the filters" in capped


def test_the_queue_page_with_its_checkboxes_stays_within_its_queries(signed_in, django_assert_max_num_queries):
    """The bar costs one statement (the agent's macros), whatever the page holds; a row's
    checkbox costs none. 15 statements for the whole page when this was written."""
    TicketFactory(status="open")
    make_macro("One")
    make_macro("Two")
    with django_assert_max_num_queries(20) as one_row:
        signed_in.get("/agent/?view=all")
    TicketFactory.create_batch(24, status="open")

    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = signed_in.get("/agent/?view=all")

    assert response.content.decode().count('name="ticket"') == 25


def test_changing_the_priority_of_two_tickets_shows_the_summary(signed_in, agent):
    first, second, untouched = TicketFactory.create_batch(3, status="open")

    response = post(signed_in, [first, second], priority="high")

    job = BulkJob.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(f"/agent/bulk/{job.pk}?")
    assert (job.state, job.total, job.user) == ("done", 2, agent.user)
    assert Ticket.objects.get(pk=first.pk).priority == "high" and Ticket.objects.get(pk=second.pk).priority == "high"
    assert Ticket.objects.get(pk=untouched.pk).priority == "normal"
    event = TicketEvent.objects.get(ticket=first, kind=EventKind.PRIORITY)
    assert (event.actor_name, event.new_value) == ("Agnes Agent", "high")
    summary = signed_in.get(response["Location"]).content.decode()
    assert "<strong>2</strong> changed" in summary and "<strong>0</strong> refused" in summary
    assert "Asked: Priority: High</p>" in summary
    assert "hx-trigger" not in summary  # done: no more polling


def test_mixed_refusals_are_listed_with_their_reasons_and_the_rest_are_done(signed_in, agent):
    fine = TicketFactory(status="open")
    closed = TicketFactory(status="closed")
    new = TicketFactory(status="new", priority="urgent")
    vault = Team.objects.create(name="Vault", restricted=True)
    secret = TicketFactory(status="open", team=vault, subject="Payroll secret")

    response = post(signed_in, [fine, closed, new, secret], status="pending", priority="urgent")

    job = BulkJob.objects.get()
    results = outcomes(job)
    assert results[fine.pk][0] == "changed"
    assert results[new.pk][0] == "changed"  # new -> pending is a legal move
    refusal = "A closed ticket cannot become pending; allowed: none, the ticket is closed."
    assert results[closed.pk] == ("refused", refusal)
    assert results[secret.pk][0] == "refused" and "cannot see this ticket" in results[secret.pk][1]
    assert Ticket.objects.get(pk=secret.pk).status == "open" and not TicketEvent.objects.filter(ticket=secret).exists()
    summary = signed_in.get(response["Location"]).content.decode()
    assert "<strong>2</strong> changed" in summary and "<strong>2</strong> refused" in summary
    assert "A closed ticket cannot become pending" in summary
    assert "Payroll secret" not in summary  # a hidden ticket is not even named


def test_an_illegal_status_move_is_refused_per_ticket(signed_in):
    new = TicketFactory(status="new")
    pending = TicketFactory(status="pending")

    post(signed_in, [new, pending], status="closed")

    results = outcomes(BulkJob.objects.get())
    assert results[new.pk][0] == "refused" and results[pending.pk][0] in ("changed", "refused")
    assert Ticket.objects.get(pk=new.pk).status == "new"


def test_the_summary_is_worded_in_the_agents_language(signed_in, agent):
    agent.language = "ru"
    agent.save()
    closed = TicketFactory(status="closed")

    response = post(signed_in, [closed], priority="high")

    reason = BulkResult.objects.get().reason
    assert reason != f"Ticket #{closed.pk} is closed; it can no longer be changed." and "#" in reason
    assert reason in signed_in.get(response["Location"]).content.decode()


def test_tags_are_added_and_removed(signed_in):
    ticket = TicketFactory(status="open")
    ticket.tags.create(name="old")

    post(signed_in, [ticket], add_tags="New, vip", remove_tags="old")

    assert sorted(ticket.tags.values_list("name", flat=True)) == ["new", "vip"]


def test_a_macro_is_applied_to_each_ticket(signed_in, agent):
    tickets = TicketFactory.create_batch(2, status="open", customer_name="Jane Roe")
    macro = make_macro("Refund", reply="Hi {customer_name}, refunded.", actions=[("set_status", "pending")])

    post(signed_in, tickets, macro=str(macro.pk))

    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == "pending"
        reply = Message.objects.get(ticket=ticket)
        assert (reply.body, reply.internal, reply.author_agent) == ("Hi Jane Roe, refunded.", False, agent)
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION, new_value="macro Refund").exists()
    assert {outcome for outcome, _ in outcomes(BulkJob.objects.get()).values()} == {"changed"}


def test_a_macro_the_agent_is_not_offered_is_bad_input(signed_in, other_agent):
    ticket = TicketFactory(status="open")
    theirs = make_macro("Otto's own", owner=other_agent)

    response = post(signed_in, [ticket], macro=str(theirs.pk))

    assert response.status_code == 400 and "Choose one of the macros offered to you." in response.content.decode()
    assert not BulkJob.objects.exists()


def test_selecting_all_that_match_takes_every_page(signed_in):
    tickets = TicketFactory.create_batch(30, status="open")

    post(signed_in, scope="all", priority="high")

    job = BulkJob.objects.get()
    assert (job.total, job.state) == (30, "done")
    assert Ticket.objects.filter(priority="high").count() == 30
    assert len(tickets) == 30


def test_all_that_match_follows_the_queue_filters_not_the_bars_fields(signed_in, agent):
    mine = TicketFactory.create_batch(3, status="open", assigned_agent=agent, priority="low")
    TicketFactory.create_batch(2, status="open", assigned_agent=agent, priority="normal")
    TicketFactory.create_batch(2, status="open")

    signed_in.post(
        "/agent/bulk",
        {"queue-view": "mine", "queue-priority": "low", "scope": "all", "priority": "high", "status": "pending"},
    )

    job = BulkJob.objects.get()
    assert sorted(job.ticket_ids) == sorted(ticket.pk for ticket in mine)
    assert set(Ticket.objects.filter(pk__in=job.ticket_ids).values_list("priority", "status")) == {("high", "pending")}


def test_all_that_match_past_the_maximum_asks_to_narrow_the_filters(signed_in, settings):
    settings.BULK_MAX_TICKETS = 3
    TicketFactory.create_batch(4, status="open")

    response = post(signed_in, scope="all", priority="high")

    assert response.status_code == 400
    assert "More than 3 tickets match; narrow the filters" in response.content.decode()
    assert not BulkJob.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"priority": "high"}, "Select at least one ticket."),
        ({"ticket": ["1x"], "priority": "high"}, "not valid ticket numbers"),
        ({"ticket": ["1"]}, "Choose at least one change to make."),
        ({"ticket": ["1"], "priority": "sky-high"}, "Priority: Select a valid choice."),
        ({"ticket": ["1"], "team": "x" * 9}, "Team: Choose one of the teams offered."),
        ({"ticket": ["1"], "assignee": "999999"}, "Assignee: Choose one of the agents offered."),
        ({"ticket": ["1"], "add_tags": "no spaces allowed"}, "Add tags: &#x27;no spaces allowed&#x27;"),
        ({"ticket": ["1"], "category": "nope"}, "Category: Select a valid choice."),
        ({"ticket": ["1"], "macro": "abc"}, "Choose one of the macros offered to you."),
    ],
)
def test_bad_input_is_a_400_naming_the_problem_and_changes_nothing(signed_in, fields, message):
    response = signed_in.post("/agent/bulk", {"queue-view": "all", **fields})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Back to the queue" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_only_agents_may_make_bulk_changes(client, integration_user):
    ticket = TicketFactory(status="open")

    anonymous = client.post("/agent/bulk", {"ticket": [str(ticket.pk)], "priority": "high"})
    client.force_login(integration_user)
    integration = client.post("/agent/bulk", {"ticket": [str(ticket.pk)], "priority": "high"})

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert integration.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_the_bulk_form_needs_its_csrf_token(agent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    ticket = TicketFactory(status="open")

    response = client.post("/agent/bulk", {"ticket": [str(ticket.pk)], "priority": "high"})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_get_is_not_allowed_and_another_agents_job_is_not_found(signed_in, other_agent):
    job = BulkJob.objects.create(user=other_agent.user, ticket_ids=[1], total=1)

    assert signed_in.get("/agent/bulk").status_code == 405
    assert signed_in.get(f"/agent/bulk/{job.pk}").status_code == 404
    assert signed_in.post(f"/agent/bulk/{job.pk}/resume").status_code == 404


def test_more_than_the_inline_maximum_runs_as_a_task_with_progress(
    signed_in, settings, django_capture_on_commit_callbacks
):
    settings.BULK_INLINE_MAX = 100
    tickets = TicketFactory.create_batch(101, status="open")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(signed_in, tickets, priority="high")

    job = BulkJob.objects.get()
    assert job.state == "queued" and len(queued) == 1  # the task waits for the commit
    assert not Ticket.objects.filter(priority="high").exists()
    progress = signed_in.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert progress.startswith('<section id="bulk-job"') and 'hx-trigger="every 2s"' in progress
    assert "0 of 101 done" in progress and '<progress max="101" value="0"' in progress

    queued[0]()  # the worker (eager in the tests) runs the task

    job.refresh_from_db()
    assert (job.state, job.results.count()) == ("done", 101)
    assert Ticket.objects.filter(priority="high").count() == 101
    summary = signed_in.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in summary and "<strong>101</strong> changed" in summary


def test_a_run_cut_short_is_resumed_and_skips_the_tickets_done(agent):
    tickets = TicketFactory.create_batch(5, status="open")
    job = BulkJob.objects.create(
        user=agent.user, changes={"priority": "high"}, ticket_ids=[t.pk for t in tickets], total=5
    )

    assert bulk_job_run(job_id=job.pk, limit=2) is True  # a batch, then the worker was lost
    job.refresh_from_db()
    assert (job.state, job.results.count()) == ("running", 2)
    first_events = TicketEvent.objects.filter(ticket=tickets[0]).count()

    run_bulk_job(job.pk)  # run again: the rest only
    run_bulk_job(job.pk)  # and once more: nothing left to do

    job.refresh_from_db()
    assert (job.state, job.results.count()) == ("done", 5)
    assert TicketEvent.objects.filter(ticket=tickets[0]).count() == first_events  # not changed twice
    assert job.finished_at is not None


def test_a_stalled_job_offers_to_resume(signed_in, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(status="open")
    job = BulkJob.objects.create(
        user=agent.user,
        changes={"priority": "high"},
        ticket_ids=[ticket.pk],
        total=1,
        state="running",
        started_at=timezone.now() - timedelta(minutes=30),
    )

    page = signed_in.get(f"/agent/bulk/{job.pk}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resumed = signed_in.post(f"/agent/bulk/{job.pk}/resume")

    assert "may have stopped" in page and "Resume" in page
    assert resumed.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_an_agent_deleted_since_refuses_the_remaining_tickets(agent):
    gone = AgentFactory()
    ticket = TicketFactory(status="open")
    job = BulkJob.objects.create(user=agent.user, changes={"assignee": str(gone.pk)}, ticket_ids=[ticket.pk], total=1)
    gone.delete()

    bulk_job_run(job_id=job.pk)

    assert outcomes(job) == {ticket.pk: ("refused", "The agent chosen no longer exists.")}


def test_beat_resumes_a_job_whose_worker_was_lost_and_leaves_a_moving_one(agent):
    lost, moving = TicketFactory(status="open"), TicketFactory(status="open")
    long_ago = timezone.now() - timedelta(minutes=30)
    stuck = BulkJob.objects.create(
        user=agent.user, changes={"priority": "high"}, ticket_ids=[lost.pk], total=1, created_at=long_ago
    )
    fresh = BulkJob.objects.create(user=agent.user, changes={"priority": "high"}, ticket_ids=[moving.pk], total=1)

    assert resume_stalled_bulk_jobs() == 1

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.state, fresh.state) == ("done", "queued")
    assert Ticket.objects.get(pk=lost.pk).priority == "high" and Ticket.objects.get(pk=moving.pk).priority == "normal"


def test_the_bar_offers_all_that_match_when_the_queue_count_is_capped(rf, agent):
    """A queue counted up to a cap (a paginator with `exact` false) shows "more than N": the
    bar offers them all without a number, and the server counts again (up to the maximum)."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    request = rf.get("/agent/")
    request.user = agent.user
    capped = SimpleNamespace(paginator=SimpleNamespace(count=1000, exact=False))
    context = {"page": capped, "rows": [1] * 25, "bulk_max": 10000, "view": "open", "filters": {}}

    html = render_to_string("tickets/agent/_bulk_bar.html", context, request=request)

    assert 'data-count="more than 1000"' in html
    assert "Select all tickets that match (more than 1000; at most 10000 at once)" in html
    assert "Select all 1000 tickets" not in html
