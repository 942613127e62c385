"""Each hand-written statement of tickets.queries against the ORM queryset saying the same
thing, on varied data (hypothesis): both must answer alike.

Hypothesis runs many examples inside one test, and so in one database transaction: every
example builds its rows in a savepoint it rolls back (`rolled_back`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.models import Agent, Team
from agents.tests.factories import AgentFactory
from conftest import rolled_back
from tickets import queries
from tickets.assignment import open_load
from tickets.models import Attachment, Ticket
from tickets.tests.factories import AttachmentFactory, CategoryFactory, MessageFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

TAG_NAMES = ["billing", "vpn", "Zahlung", "b", "a-1"]
OPEN = ["new", "open", "pending", "on_hold"]  # the statuses that count against an agent's capacity
WORDS = ["sync", "calendar", "nimbus", "mouse-7", "Nimbus-7", "refund"]


@given(
    tickets=st.lists(
        st.tuples(
            st.sets(st.sampled_from(TAG_NAMES), max_size=4),
            st.integers(min_value=0, max_value=2),  # own attachments
            st.integers(min_value=0, max_value=2),  # attachments of a message
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=25, deadline=None)
def test_a_pages_tags_and_own_attachments_are_what_prefetch_reads(tickets):
    with rolled_back():
        category = CategoryFactory(slug="general", name="General")
        for tag_names, own, on_messages in tickets:
            ticket = TicketFactory(category=category)
            ticket.tags.set([TagFactory(name=name) for name in tag_names])
            AttachmentFactory.create_batch(own, ticket=ticket)
            if on_messages:
                AttachmentFactory.create_batch(on_messages, ticket=ticket, message=MessageFactory(ticket=ticket))
        page = list(Ticket.objects.order_by("-id"))

        queries.read_lists(page, connection.alias)
        prefetched = Ticket.objects.order_by("-id").prefetch_related(
            "tags", Prefetch("attachments", Attachment.objects.filter(message__isnull=True).order_by("id"))
        )

        for plain, orm in zip(page, prefetched, strict=True):
            assert [(tag.pk, tag.name) for tag in plain.tag_list] == [
                (tag.pk, tag.name) for tag in sorted(orm.tags.all(), key=lambda tag: (tag.name, tag.pk))
            ]
            assert [vars_of(a) for a in plain.own_attachment_list] == [vars_of(a) for a in orm.attachments.all()]


def vars_of(instance) -> dict:
    return {key: value for key, value in vars(instance).items() if not key.startswith("_")}


def newest_by_definition(text: str, limit: int, hidden: frozenset[int] = frozenset()) -> list[int]:
    query = SearchQuery(text, config="english", search_type="websearch")
    matches = Ticket.objects.filter(search_vector=query).exclude(team_id__in=hidden).order_by("-created_at", "-id")
    return list(matches.values_list("pk", flat=True)[:limit])


def test_the_search_candidates_are_the_newest_matches_on_every_path(monkeypatch):
    """newest_match_ids against the ORM's filter and order, on tickets of random words and
    ages, some in teams hidden from the searcher; thresholds lowered so that a few dozen
    tickets take every path: the walk, a GIN window and every older match through the GIN
    index (the module docstring's steps)."""
    monkeypatch.setattr(queries, "DENSE_SHARE", 0.5)
    taken = set()

    @given(
        tickets=st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=90),
                st.sets(st.sampled_from(WORDS), max_size=3),
                st.sampled_from([None, 0, 1]),  # no team, team 0 or team 1
            ),
            min_size=1,
            max_size=60,
        ),
        text=st.sampled_from([*WORDS, "sync or refund", "-sync", "calendar nimbus", "the", "absent"]),
        limit=st.integers(min_value=1, max_value=12),
        margin=st.sampled_from([1.3, 0.2]),
        hide=st.sets(st.sampled_from([0, 1])),
    )
    # A sparse code among 60 days of tickets: a walk, then a GIN window (as in test_search).
    @example(
        tickets=[(day, {"Nimbus-7"} if day % 12 == 11 else {"calendar", "sync"}, None) for day in range(60)],
        text="Nimbus-7",
        limit=4,
        margin=1.3,
        hide=set(),
    )
    @settings(max_examples=80, deadline=None, derandomize=True)
    def check(tickets, text, limit, margin, hide):
        monkeypatch.setattr(queries, "MARGIN", margin)
        start = timezone.now() - timedelta(days=100)
        with rolled_back():
            category = CategoryFactory(slug="general", name="General")
            teams = [Team.objects.create(name=f"Team {n}", restricted=True) for n in (0, 1)]
            for days, words, team in tickets:
                subject = " ".join(sorted(words)) or "Nothing much"
                TicketFactory(
                    category=category,
                    subject=subject,
                    description="Nothing else to say.",
                    created_at=start + timedelta(days=days),
                    team=teams[team] if team is not None else None,
                )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tickets_ticket")
            hidden = frozenset(teams[n].pk for n in hide)
            with CaptureQueriesContext(connection) as run:
                found = queries.newest_match_ids(text, limit, hidden=hidden)

            assert found == newest_by_definition(text, limit, hidden)
        for statement in run:
            sql = statement["sql"]
            if "SELECT ARRAY(" in sql:
                taken.add("walk")
            elif "MATERIALIZED" in sql:
                taken.add("window" if "created_at >=" in sql else "all")

    check()
    assert taken == {"walk", "window", "all"}


@given(
    agents=st.lists(
        st.tuples(
            st.lists(st.sampled_from(["new", "open", "pending", "on_hold", "resolved", "closed"]), max_size=8),
            st.integers(min_value=1, max_value=6),  # max_tickets
        ),
        min_size=1,
        max_size=4,
    ),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
)
@settings(max_examples=40, deadline=None)
def test_an_agents_open_load_up_to_a_cap_is_the_orm_count_of_open_tickets_capped(agents, cap):
    with rolled_back():
        category = CategoryFactory(slug="general", name="General")
        for statuses, max_tickets in agents:
            agent = AgentFactory(max_tickets=max_tickets)
            for status in statuses:
                TicketFactory(category=category, assigned_agent=agent, status=status)
        TicketFactory(category=category, status="open")  # nobody's

        loads = dict(Agent.objects.annotate(load=open_load(up_to=cap)).values_list("pk", "load"))

        for agent in Agent.objects.all():
            count = Ticket.objects.filter(assigned_agent=agent, status__in=OPEN).count()
            assert loads[agent.pk] == (count if cap is None else min(count, cap))


@given(
    tickets=st.integers(min_value=0, max_value=6),
    picks=st.lists(st.integers(min_value=-2, max_value=8), max_size=8),
)
@settings(max_examples=25, deadline=None)
def test_is_any_of_selects_what_an_in_lookup_selects(tickets, picks):
    with rolled_back():
        category = CategoryFactory(slug="general", name="General")
        made = [TicketFactory(category=category).pk for _ in range(tickets)]
        ids = [made[pick] if 0 <= pick < len(made) else 10**9 + pick for pick in picks]  # unknown ids too

        found = Ticket.objects.filter(queries.IsAnyOf(F("pk"), ids)).order_by("pk")

        assert list(found.values_list("pk", flat=True)) == list(
            Ticket.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
        )


# Names whose order differs between code points and a language's collation ("Zahlung" sorts
# before "a-1" by code point): the history must order them as Python's sorted() does.
MERGE_TAG_NAMES = ["billing", "invoices", "vpn", "Zahlung", "a-1", "ärger"]


def merged_by_the_orm(source, target) -> dict[int, tuple[str, str, list[str]]]:
    """What merging `source` into `target` does, said with the ORM: for each ticket tagged
    `source`, (old names, new names, its tags after), names as ticket_update writes them."""
    expected = {}
    for ticket in Ticket.objects.filter(tags=source).prefetch_related("tags"):
        old = sorted(tag.name for tag in ticket.tags.all())
        new = sorted({target.name if name == source.name else name for name in old})
        expected[ticket.pk] = (", ".join(old), ", ".join(new), new)
    return expected


@given(
    tickets=st.lists(st.sets(st.sampled_from(MERGE_TAG_NAMES), max_size=4), min_size=1, max_size=8),
    source=st.sampled_from(MERGE_TAG_NAMES),
    target=st.sampled_from(MERGE_TAG_NAMES),
)
@settings(max_examples=30, deadline=None)
def test_merging_a_tag_does_what_the_orm_says(tickets, source, target):
    from tickets.models import Tag, TicketEvent

    if source == target:
        return
    with rolled_back():
        category = CategoryFactory(slug="general", name="General")
        tags = {name: TagFactory(name=name) for name in MERGE_TAG_NAMES}
        for names in tickets:
            TicketFactory(category=category).tags.set([tags[name] for name in names])
        expected = merged_by_the_orm(tags[source], tags[target])
        untouched = {
            t.pk: sorted(t.tags.values_list("name", flat=True)) for t in Ticket.objects.exclude(pk__in=expected)
        }
        now = timezone.now()

        moved = queries.merge_tag_links(
            source=tags[source],
            target=tags[target],
            kind="tags",
            actor_type="agent",
            actor_user_id=None,
            actor_name="Sue",
            now=now,
        )

        assert moved == len(expected)
        assert not Tag.objects.get(pk=tags[source].pk).tickets.exists()
        for ticket_id, (old, new, after) in expected.items():
            ticket = Ticket.objects.get(pk=ticket_id)
            assert sorted(ticket.tags.values_list("name", flat=True)) == after
            assert ticket.updated_at == now
            event = TicketEvent.objects.get(ticket_id=ticket_id)
            assert (event.kind, event.old_value, event.new_value, event.actor_name) == ("tags", old, new, "Sue")
        for ticket_id, names in untouched.items():
            assert sorted(Ticket.objects.get(pk=ticket_id).tags.values_list("name", flat=True)) == names
        assert not TicketEvent.objects.exclude(ticket_id__in=expected).exists()
