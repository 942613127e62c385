"""Issue 24, point 2: saved views on the queue page — the list and its counts fragment, saving,
renaming, choosing columns, deleting; who may do which; bad input answered with form errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Team
from tickets.models import SavedView
from tickets.saved_views import saved_view_create
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

COUNTS = "/agent/views/counts"


def make(user, name, *, shared=False, queue="open", columns=("number", "subject", "status"), **filters) -> SavedView:
    return saved_view_create(user=user, name=name, shared=shared, queue=queue, filters=filters, columns=list(columns))


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def test_the_queue_lists_the_views_without_counting_them_and_asks_the_fragment(signed_in, agent, supervisor):
    make(agent.user, "My urgent", priority="urgent")
    make(supervisor.user, "Billing desk", shared=True)

    page = signed_in.get("/agent/").content.decode()

    assert "My urgent" in page and "Billing desk" in page
    assert 'hx-get="/agent/views/counts"' in page and 'hx-trigger="load, every 60s"' in page
    assert 'aria-busy="true"' in page  # the counts come later


def test_the_fragment_counts_each_view_in_one_statement(signed_in, agent, supervisor, category):
    TicketFactory.create_batch(3, category=category, status="open", priority="urgent")
    TicketFactory(category=category, status="open", priority="low")
    make(agent.user, "Urgent", priority="urgent")
    signed_in.get(COUNTS)  # the session and the agent's profile, read once
    with CaptureQueriesContext(connection) as one_view:
        signed_in.get(COUNTS, HTTP_HX_REQUEST="true")
    make(agent.user, "Unassigned", queue="unassigned")
    make(agent.user, "All", queue="all")
    make(supervisor.user, "Low", shared=True, priority="low")

    with CaptureQueriesContext(connection) as four_views:
        response = signed_in.get(COUNTS, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    counting = 'SELECT COUNT(*) FROM (SELECT "tickets_ticket"'
    counts = [q for q in four_views.captured_queries if q["sql"].startswith(counting)]
    assert len(counts) == 4
    assert len(four_views.captured_queries) == len(one_view.captured_queries) + 3
    assert 'hx-trigger="every 60s"' in html
    for name, count in (("Urgent", 3), ("Unassigned", 4), ("All", 4), ("Low", 1)):
        assert f">{name}</a>" in html
        assert f'<span class="view-count" >{count}</span>' in html


def test_the_fragment_leaves_out_restricted_teams_tickets(signed_in, agent, other_agent, supervisor, category):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(other_agent)
    TicketFactory.create_batch(2, category=category, status="open", team=vault)
    TicketFactory(category=category, status="open")
    make(supervisor.user, "Open", shared=True)

    assert '<span class="view-count" >1</span>' in signed_in.get(COUNTS).content.decode()
    signed_in.force_login(supervisor.user)
    assert '<span class="view-count" >3</span>' in signed_in.get(COUNTS).content.decode()


def test_past_the_limit_a_count_says_plus_and_the_page_says_counts_stop(signed_in, agent, category, settings):
    settings.API_COUNT_LIMIT = 2
    TicketFactory.create_batch(3, category=category, status="open")
    make(agent.user, "Open")

    html = signed_in.get(COUNTS).content.decode()

    assert '<span class="view-count" >2+</span>' in html
    assert "Counts are exact up to 2 tickets" in html
    queue = signed_in.get("/agent/?view=open").content.decode()
    assert "more than 2 tickets" in queue


def test_saving_the_current_view_opens_it_with_its_filters_and_columns(signed_in, agent, category):
    TicketFactory(category=category, status="open", priority="urgent", subject="Server down")
    TicketFactory(category=category, status="open", priority="low", subject="Typo on page")

    response = signed_in.post(
        "/agent/views/new",
        {"name": " Urgent ones ", "view": "open", "priority": "urgent", "sort": "oldest", "columns": ["number", "sla"]},
    )

    view = SavedView.objects.get()
    assert (view.name, view.owner, view.shared, view.priority, view.sort) == (
        "Urgent ones",
        agent.user,
        False,
        "urgent",
        "oldest",
    )
    assert view.columns == ["number", "subject", "sla"]
    assert response.status_code == 302
    assert response["Location"] == f"/agent/?saved={view.pk}&view=open&priority=urgent&sort=oldest"
    page = signed_in.get(response["Location"]).content.decode()
    assert "Server down" in page and "Typo on page" not in page
    assert '<th scope="col">SLA</th>' in page and '<th scope="col">Status</th>' not in page
    assert 'aria-current="page">Urgent ones</a>' in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "view": "open"}, "name"),
        ({"name": "x" * 61, "view": "open"}, "name"),
        ({"name": "Bad", "view": "everything"}, "view"),
        ({"name": "Bad", "view": "open", "status": "lost"}, "status"),
        ({"name": "Bad", "view": "open", "assignee": "12x"}, "assignee"),
        ({"name": "Bad", "view": "open", "team": "-1"}, "team"),
        ({"name": "Bad", "view": "open", "columns": ["secret"]}, "columns"),
        ({"name": "Bad", "view": "open", "sort": "random"}, "sort"),
        ({"name": "Bad", "view": "open", "tag": "a b"}, "tag"),
        ({"name": "Bad\x00", "view": "open"}, "name"),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(signed_in, data, field):
    response = signed_in.post("/agent/views/new", data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not SavedView.objects.exists()


def test_a_name_already_taken_is_a_form_error(signed_in, agent):
    make(agent.user, "Urgent")

    response = signed_in.post("/agent/views/new", {"name": "URGENT", "view": "open"})

    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_an_agent_cannot_share_a_view(signed_in):
    response = signed_in.post("/agent/views/new", {"name": "Everyone", "view": "open", "shared": "on"})

    view = SavedView.objects.get()  # the checkbox is not theirs: the view is saved as personal
    assert (view.shared, response.status_code) == (False, 302)


def test_a_supervisor_shares_a_view(client, supervisor):
    client.force_login(supervisor.user)
    assert "Shared with every agent" in client.get("/agent/").content.decode()

    client.post("/agent/views/new", {"name": "Everyone", "view": "unassigned", "shared": "on"})

    view = SavedView.objects.get()
    assert (view.shared, view.owner, view.queue) == (True, None, "unassigned")


def test_renaming_and_choosing_columns(signed_in, agent, category):
    TicketFactory(category=category, status="open")
    view = make(agent.user, "Old name")
    assert signed_in.get(f"/agent/views/{view.pk}/edit").status_code == 200

    response = signed_in.post(
        f"/agent/views/{view.pk}/edit",
        {"name": "New name", "columns": ["subject", "category", "updated"], "position": 2},
    )

    view.refresh_from_db()
    assert (view.name, view.columns, view.position) == ("New name", ["subject", "category", "updated"], 2)
    page = signed_in.get(response["Location"]).content.decode()
    assert '<th scope="col">Category</th>' in page and '<th scope="col">Updated</th>' in page
    assert '<th scope="col">#</th>' not in page


def test_bad_edit_input_is_a_form_error(signed_in, agent):
    view = make(agent.user, "Mine")
    make(agent.user, "Other")

    for data, field in (
        ({"name": "Other", "position": 1}, "name"),
        ({"name": "Mine", "position": 1000}, "position"),
        ({"name": "Mine", "position": "first"}, "position"),
    ):
        response = signed_in.post(f"/agent/views/{view.pk}/edit", data)
        assert response.status_code == 400
        assert field in response.context["form"].errors
    view.refresh_from_db()
    assert (view.name, view.position) == ("Mine", 0)


def test_an_agent_cannot_edit_or_delete_anothers_view_nor_a_shared_one(signed_in, other_agent, supervisor):
    theirs = make(other_agent.user, "Theirs")
    shared = make(supervisor.user, "Shared", shared=True)

    assert signed_in.get(f"/agent/views/{theirs.pk}/edit").status_code == 404
    assert signed_in.post(f"/agent/views/{theirs.pk}/delete").status_code == 404
    assert signed_in.get(f"/agent/views/{shared.pk}/edit").status_code == 403
    assert signed_in.post(f"/agent/views/{shared.pk}/edit", {"name": "Mine now", "position": 0}).status_code == 403
    assert signed_in.post(f"/agent/views/{shared.pk}/delete").status_code == 403
    assert signed_in.get("/agent/views/99999999999/edit").status_code == 404
    assert SavedView.objects.count() == 2
    assert signed_in.get(f"/agent/?saved={theirs.pk}").status_code == 200  # not opened: default columns


def test_deleting_a_view(signed_in, agent):
    view = make(agent.user, "Gone soon")

    response = signed_in.post(f"/agent/views/{view.pk}/delete")

    assert response.status_code == 302 and not SavedView.objects.exists()


def test_the_pages_need_an_agent(client, integration_user):
    assert client.get(COUNTS).status_code == 302
    client.force_login(integration_user)
    assert client.get(COUNTS).status_code == 403
    assert client.post("/agent/views/new", {"name": "x", "view": "open"}).status_code == 403


def test_without_saved_views_the_page_asks_for_no_counts(signed_in):
    page = signed_in.get("/agent/").content.decode()

    assert "None yet: filter the queue, then save the view." in page
    assert "/agent/views/counts" not in page
