"""Acceptance 5: ticket search on PostgreSQL full text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import queries as ticket_search
from tickets.models import Ticket
from tickets.queries import newest_match_ids
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def create(api, subject: str, description: str = "Nothing special to report here.") -> int:
    response = api.post(
        "/api/support/tickets",
        {
            "subject": subject,
            "description": description,
            "customer_email": "c@example.org",
            "category": "general",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def search(api, text: str) -> list[int]:
    response = api.get("/api/support/tickets", {"search": text})
    assert response.status_code == 200
    return [ticket["id"] for ticket in response.json()["results"]]


@pytest.fixture
def general(db):
    return CategoryFactory(slug="general")


def test_a_word_only_in_a_reply_finds_its_ticket(agent_api, general):
    target = create(agent_api, "Printer trouble")
    create(agent_api, "Other printer trouble")
    agent_api.post(f"/api/support/tickets/{target}/messages", {"body": "Try reinstalling the spooler."}, format="json")

    assert search(agent_api, "spooler") == [target]


def test_every_word_must_match(agent_api, general):
    both = create(agent_api, "Invoice missing", "The March invoice never arrived by email.")
    create(agent_api, "Invoice question", "How do I read the invoice?")

    assert search(agent_api, "invoice march") == [both]


def test_words_in_internal_notes_are_not_searched(agent_api, general):
    ticket = create(agent_api, "Login problem")
    agent_api.post(
        f"/api/support/tickets/{ticket}/messages",
        {"body": "Customer seems to be a reseller", "internal": True},
        format="json",
    )

    assert search(agent_api, "reseller") == []


def test_search_combines_with_filters(agent_api, general):
    urgent = create(agent_api, "Refund request")
    create(agent_api, "Refund question")
    agent_api.patch(f"/api/support/tickets/{urgent}", {"priority": "urgent"}, format="json")

    response = agent_api.get("/api/support/tickets", {"search": "refund", "priority": "urgent"})

    assert [t["id"] for t in response.json()["results"]] == [urgent]


def test_a_stemmed_form_matches_on_postgres_only(agent_api, general):
    ticket = create(agent_api, "Asking for a refund", "I was charged twice and want my money back.")

    found = search(agent_api, "refunds")

    # The english configuration stems "refunds" to "refund".
    assert found == [ticket]


def test_results_are_ranked_subject_first_on_postgres(agent_api, general):
    in_reply = create(agent_api, "Question about my account")
    agent_api.post(f"/api/support/tickets/{in_reply}/messages", {"body": "About the refund: done."}, format="json")
    in_description = create(agent_api, "Money back", "I would like a refund for order 1234.")
    in_subject = create(agent_api, "Refund for order 5678")

    found = search(agent_api, "refund")

    # Subject (A) ranks over description (B) over replies (C).
    assert found == [in_subject, in_description, in_reply]
    assert Ticket.objects.count() == 3


def test_the_vector_follows_subject_changes_on_postgres(agent_api, general):
    ticket = create(agent_api, "Printer trouble")
    agent_api.patch(f"/api/support/tickets/{ticket}", {"subject": "Scanner trouble"}, format="json")

    assert search(agent_api, "scanner") == [ticket]
    assert search(agent_api, "printer") == []


def test_letter_case_does_not_matter_in_any_alphabet(agent_api, general):
    ticket = create(agent_api, "Не работает Оплата", "Оплата картой не проходит с утра.")

    assert search(agent_api, "оплата") == [ticket]
    assert search(agent_api, "ОПЛАТА") == [ticket]


def test_a_common_word_ranks_only_the_newest_matches_on_postgres(agent_api, general, settings):
    settings.TICKET_SEARCH_CANDIDATES = 2
    oldest = create(agent_api, "Refund for order 1")
    newer = create(agent_api, "Refund for order 2")
    newest = create(agent_api, "Money back", "Please refund order 3.")

    found = search(agent_api, "refund")

    # Only the 2 newest matches are ranked: the oldest is not listed.
    assert sorted(found) == [newer, newest]
    assert oldest not in found


# --- the newest matches, however they are found ---------------------------------


@pytest.fixture
def sixty_days(general):
    """A ticket a day for 60 days, two of them created in the same second. Every ticket says
    "sync"; every 12th (the newest among them) says "Nimbus-7"; others hold both words of it apart ("Nimbus mouse-7"),
    which the GIN index cannot tell from the phrase. Analyzed, so created_at has a histogram."""
    from tickets.tests.factories import TicketFactory

    start = timezone.now() - timedelta(days=61)
    for day in range(60):
        if day % 12 == 11:
            text = "Nimbus-7 will not sync"
        elif day % 5 == 1:
            text = "Nimbus mouse-7 does not sync"
        else:
            text = "Calendar sync is late"
        TicketFactory(subject=text, description="Nothing else to say.", created_at=start + timedelta(days=day))
    TicketFactory(subject="Nimbus-7 sync again", description="Same second.", created_at=start + timedelta(days=47))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")


def newest_by_definition(text: str, limit: int) -> list[int]:
    query = SearchQuery(text, config="english", search_type="websearch")
    matches = Ticket.objects.filter(search_vector=query).order_by("-created_at", "-id")
    return list(matches.values_list("pk", flat=True)[:limit])


@pytest.mark.parametrize("text", ["sync", "Nimbus-7", "nimbus", "-nimbus", "calendar or mouse", "the", "absent"])
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_the_candidates_are_the_newest_matches_newest_first(sixty_days, text, limit):
    assert newest_match_ids(text, limit) == newest_by_definition(text, limit)


@pytest.mark.parametrize("margin", [1.3, 0.2, 0.01])
def test_sparse_matches_come_from_a_window_of_the_gin_index_however_it_is_sized(sixty_days, monkeypatch, margin):
    # On 60 tickets every share is dense; these thresholds make "Nimbus-7" (1 in 12) sparse.
    # A margin far too small makes the window too short: more windows, then every older
    # match through the GIN index, still the same tickets.
    monkeypatch.setattr(ticket_search, "DENSE_SHARE", 0.5)
    monkeypatch.setattr(ticket_search, "MARGIN", margin)

    with CaptureQueriesContext(connection) as queries:
        found = newest_match_ids("Nimbus-7", 4)

    assert found == newest_by_definition("Nimbus-7", 4)
    assert len(found) == 4
    assert any("MATERIALIZED" in query["sql"] and "created_at >=" in query["sql"] for query in queries)


def test_without_statistics_every_older_match_comes_from_the_gin_index(sixty_days, monkeypatch):
    monkeypatch.setattr(ticket_search, "DENSE_SHARE", 0.5)
    monkeypatch.setattr(ticket_search, "_window_start", lambda *args: None)

    with CaptureQueriesContext(connection) as queries:
        found = newest_match_ids("Nimbus-7", 3)

    assert found == newest_by_definition("Nimbus-7", 3)
    assert not any("created_at >=" in query["sql"] for query in queries)


def test_a_word_absent_from_the_newest_tickets_comes_from_a_window_not_every_match(sixty_days):
    # The walk reads the 2 newest tickets (days 59 and 58): no "mouse" there, so no share to
    # size a window by. The next window spans UNSEEN_GROWTH times the tickets read (20, back
    # to about day 39), which holds days 56, 51, 46 and 41; every older match through the
    # GIN index (a common word's every match, sorted) is not needed.
    with CaptureQueriesContext(connection) as queries:
        found = newest_match_ids("mouse", 1)

    assert found == newest_by_definition("mouse", 1)
    gin = [query["sql"] for query in queries if "MATERIALIZED" in query["sql"]]
    assert len(gin) == 1
    assert "created_at >=" in gin[0]


def test_search_statements_are_never_prepared_but_others_are(sixty_days):
    # A prepared statement may get one generic plan for every word; which plan is right
    # depends on the word. Other statements are still prepared (server-side binding).
    for _ in range(8):
        newest_match_ids("Nimbus-7", 3)
        newest_match_ids("calendar", 3)
        list(Ticket.objects.filter(pk=1).values_list("pk"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not [statement for statement in prepared if "search_vector @@" in statement]
    assert [statement for statement in prepared if '"tickets_ticket"."id" = $1' in statement]


def test_dense_matches_are_walked_newest_first_without_the_gin_index(sixty_days):
    with CaptureQueriesContext(connection) as queries:
        found = newest_match_ids("sync", 7)

    assert found == newest_by_definition("sync", 7)
    assert len(queries) == 1
    assert "MATERIALIZED" not in queries[0]["sql"]


def test_the_page_and_its_count_read_the_candidates_found_once(agent_api, sixty_days, settings):
    settings.TICKET_SEARCH_CANDIDATES = 5

    with CaptureQueriesContext(connection) as queries:
        response = agent_api.get("/api/support/tickets", {"search": "sync", "page_size": 2})

    body = response.json()
    assert [t["id"] for t in body["results"]] == newest_by_definition("sync", 2)
    assert body["count"] == 5
    assert sum("websearch_to_tsquery" in query["sql"] and "ts_rank" not in query["sql"] for query in queries) == 1


# --- code pairs: "Nimbus-7" asks the GIN index for the pair, not for each common word ------


@pytest.mark.parametrize(
    ("tsquery", "pairs"),
    [
        ("'nimbus' <-> '-7'", "'nimbus -7'"),
        ("'nimbus' <-> '-7' & 'crash'", "'nimbus -7' & 'crash'"),
        ("'crash' & 'atla' <-> '-12' & 'nimbus' <-> '-7'", "'crash' & 'atla -12' & 'nimbus -7'"),
        ("'error' <-> '-404' <-> 'page'", "'error' <-> '-404' <-> 'page' & 'error -404'"),
        ("'nimbus' <-> '-7' & 'nimbus' <-> '-7'", "'nimbus -7'"),
        ("'o''brien' <-> '-3'", "'o''brien -3'"),
        # Not every match holds the phrase: under an OR or a NOT.
        ("'nimbus' <-> '-7' | 'printer'", ""),
        ("!( 'nimbus' <-> '-7' ) & 'sync'", ""),
        ("( 'nimbus' <-> '-7' | 'atla' <-> '-12' ) & 'sync'", ""),
        # Not a word then a signed number.
        ("'2024' <-> '-05' <-> '-01'", ""),
        ("'nimbus' <-> '7'", ""),
        ("'-3' <-> '-7'", ""),
        ("'nimbus' <2> '-7'", ""),
        ("'sync'", ""),
        ("", ""),
    ],
)
def test_the_codes_every_match_holds_are_asked_for_as_pairs(tsquery, pairs):
    assert ticket_search.code_query(tsquery) == pairs


def test_a_vector_carries_the_pairs_of_its_codes(general):
    from tickets.tests.factories import TicketFactory

    ticket = TicketFactory(subject="Nimbus-7 and error-404", description="Since 2024-05-01, nimbus -8 too.")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM unnest((SELECT search_vector FROM tickets_ticket WHERE id = %s)) "
            "WHERE strpos(lexeme, ' ') > 0 ORDER BY lexeme",
            [ticket.pk],
        )
        assert [row[0] for row in cursor.fetchall()] == ["error -404", "nimbus -7", "nimbus -8"]


@pytest.mark.parametrize(
    "text",
    ["Nimbus-7", "Nimbus-7 sync", "sync Nimbus-7", "nimbus-7 or calendar", "-Nimbus-7 sync", '"Nimbus-7 will"'],
)
def test_a_code_finds_exactly_the_tickets_holding_its_phrase(sixty_days, text):
    from tickets.tests.factories import TicketFactory

    TicketFactory(subject="Nimbus -7 once more", description="Nothing else to say.")  # the same phrase

    with CaptureQueriesContext(connection) as queries:
        found = newest_match_ids(text, 100)

    assert found == newest_by_definition(text, 100)
    asks_for_the_pair = any("'nimbus -7'" in str(query["sql"]) for query in queries)
    assert asks_for_the_pair == (text in {"Nimbus-7", "Nimbus-7 sync", "sync Nimbus-7", '"Nimbus-7 will"'})
