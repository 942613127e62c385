"""automation.queries against the ORM and against the engine.

A table of varied tickets (statuses, priorities, channels, teams, assignees, organisations,
tags, addresses and subjects with LIKE's wildcards in them) times a table of conditions: for
each, the tickets the pass's SQL matches are those an ORM queryset of the same meaning finds,
and those automation.engine.conditions_hold accepts. The clocks' SQL is checked against
timerules.clock_value, and the claim against its ORM equivalent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.models import Team
from agents.tests.factories import AgentFactory
from automation import queries
from automation.engine import Facts, Part, conditions_hold
from automation.models import Clock, RuleFiring
from automation.tests.factories import make_rule
from automation.timerules import clock_value
from conftest import rolled_back
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets.models import Tag, Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

FAR = timezone.now() + timedelta(days=3650)


@pytest.fixture
def tickets(db):
    """Fourteen tickets that differ in every column a condition reads."""
    general = CategoryFactory(slug="general", name="General")
    billing = CategoryFactory(slug="billing", name="Billing")
    team_billing, vault = Team.objects.create(name="Billing"), Team.objects.create(name="Vault")
    ann = AgentFactory(user__username="Ann")
    bob = AgentFactory(user__username="bob")
    globex = OrganizationFactory(name="Globex")
    member = CustomerFactory(email="cto@bigcustomer.com", organization=globex)
    loner = CustomerFactory(email="someone@example.org")
    vip, urgent, slow = (Tag.objects.create(name=name) for name in ("vip", "urgent", "slow"))
    rows = [
        dict(status="new", priority="low", channel="portal", category=general, customer_email="CTO@BigCustomer.com",
             customer=member, subject="Printer on fire", tags=[vip]),
        dict(status="open", priority="high", channel="email", category=billing, team=team_billing,
             assigned_agent=ann, customer_email="someone@example.org", customer=loner, subject="Invoice 100% wrong",
             tags=[vip, urgent]),
        dict(status="pending", priority="normal", channel="api", category=general, team=vault, assigned_agent=bob,
             customer_email="a_b@sub.example.org", subject="under_score and 50%", tags=[urgent]),
        dict(status="on_hold", priority="urgent", channel="agent", category=billing,
             customer_email="x@bigcustomer.com.evil.org", subject="Счёт не пришёл", tags=[]),
        dict(status="resolved", priority="normal", channel="email", category=general, team=team_billing,
             customer_email="ann@BIGCUSTOMER.COM", customer=member, subject="RE: printer", tags=[slow]),
        dict(status="closed", priority="high", channel="portal", category=billing, assigned_agent=ann,
             customer_email="closed@example.org", subject="Printer printer", tags=[vip]),
        dict(status="open", priority="low", channel="api", category=general,
             customer_email="back\\slash@example.org", subject="path C:\\temp\\x", tags=[vip, urgent, slow]),
        dict(status="new", priority="urgent", channel="email", category=billing, team=vault,
             customer_email="someone@Example.ORG", customer=loner, subject="СЧЁТ", tags=[]),
    ]  # fmt: skip
    made = []
    for row in rows:
        tags = row.pop("tags")
        ticket = TicketFactory(**row)
        ticket.tags.set(tags)
        made.append(ticket)
    return made


CONDITIONS = [
    ("status", "is", "open"),
    ("status", "is_not", "new"),
    ("priority", "is", "urgent"),
    ("priority", "is_not", "normal"),
    ("channel", "is", "email"),
    ("channel", "is_not", "api"),
    ("category", "is", "billing"),
    ("category", "is", "BILLING"),
    ("category", "is_not", "general"),
    ("team", "is", "billing"),
    ("team", "is_not", "Billing"),
    ("team", "is_set", ""),
    ("team", "not_set", ""),
    ("assignee", "is", "ann"),
    ("assignee", "is_not", "Ann"),
    ("assignee", "is_set", ""),
    ("assignee", "not_set", ""),
    ("organization", "is", "globex"),
    ("organization", "is_not", "Globex"),
    ("organization", "is_set", ""),
    ("organization", "not_set", ""),
    ("tags", "includes", "vip"),
    ("tags", "includes", "vip, urgent"),
    ("tags", "includes", "urgent,vip,urgent"),
    ("tags", "excludes", "vip"),
    ("tags", "excludes", "slow, urgent"),
    ("customer_email", "is", "someone@example.org"),
    ("customer_email", "is_not", "someone@example.org"),
    ("customer_email", "contains", "BIGCUSTOMER"),
    ("customer_email", "contains", "a_b"),
    ("customer_email", "contains", "_"),
    ("customer_email", "contains", "\\"),
    ("customer_email", "ends_with", "@bigcustomer.com"),
    ("customer_email", "ends_with", ".org"),
    ("customer_domain", "is", "bigcustomer.com"),
    ("customer_domain", "is_not", "BigCustomer.com"),
    ("subject", "contains", "printer"),
    ("subject", "contains", "100%"),
    ("subject", "contains", "%"),
    ("subject", "contains", "r_s"),
    ("subject", "contains", "счёт"),
    ("subject", "contains", "C:\\temp"),
    ("subject", "not_contains", "printer"),
    ("subject", "not_contains", "_"),
]


def orm_q(field: str, operator: str, value: str) -> Q:
    """The condition as the ORM says it: the meaning the SQL must have."""
    negate = operator in ("is_not", "not_contains", "excludes", "not_set")
    if field in ("status", "priority", "channel"):
        q = Q(**{f"{field}__iexact": value})
    elif field == "category":
        q = Q(category__slug__iexact=value)
    elif field in ("team", "assignee", "organization"):
        path = {"team": "team", "assignee": "assigned_agent", "organization": "customer__organization"}[field]
        name = {"team": "name", "assignee": "user__username", "organization": "name"}[field]
        if operator in ("is_set", "not_set"):
            q = Q(**{f"{path}__isnull": False})
        else:
            q = Q(**{f"{path}__{name}__iexact": value})
    elif field == "tags":
        names = {name.strip() for name in value.split(",")}
        if operator == "includes":
            having = (
                Ticket.objects.filter(pk=OuterRef("pk"), tags__name__in=names)
                .annotate(n=Count("tags", distinct=True))
                .filter(n=len(names))
            )
            return Q(Exists(having))
        q = Q(Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=names)))
    elif field == "customer_email":
        lookup = {"is": "iexact", "is_not": "iexact", "contains": "icontains", "ends_with": "iendswith"}[operator]
        q = Q(**{f"customer_email__{lookup}": value})
    elif field == "customer_domain":
        q = Q(customer_email__iendswith=f"@{value}")
    elif field == "subject":
        q = Q(subject__icontains=value)
    else:
        raise AssertionError(field)
    return ~q if negate else q


def sql_matches(conditions, *, clock=Clock.CREATED, cutoff=FAR) -> set[int]:
    scan = queries.RuleScan(1, clock, cutoff, tuple(conditions))
    with connection.cursor() as cursor:
        return {ticket for _, ticket, _ in queries.matches(cursor, [scan])}


def engine_matches(conditions, tickets) -> set[int]:
    return {
        t.pk
        for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).exclude(status="closed")
        if conditions_hold(conditions, Facts(ticket=t))
    }


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: " ".join(c))
def test_each_condition_matches_what_the_orm_and_the_engine_match(tickets, condition):
    part = Part(field=condition[0], operator=condition[1], value=condition[2])
    orm = set(Ticket.objects.exclude(status="closed").filter(orm_q(*condition)).values_list("pk", flat=True))

    assert sql_matches([part]) == orm
    assert sql_matches([part]) == engine_matches([part], tickets)


@given(chosen=st.lists(st.tuples(st.sampled_from(["all", "any"]), st.sampled_from(CONDITIONS)), min_size=1, max_size=4))
# The tickets are only read: one table for every example.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_all_and_any_groups_combine_as_the_engine_combines_them(tickets, chosen):
    parts = [Part(group=group, field=f, operator=o, value=v) for group, (f, o, v) in chosen]
    every = [orm_q(f, o, v) for group, (f, o, v) in chosen if group == "all"]
    some = [orm_q(f, o, v) for group, (f, o, v) in chosen if group == "any"]
    q = Q()
    for one in every:
        q &= one
    if some:
        either = some[0]
        for one in some[1:]:
            either |= one
        q &= either
    orm = set(Ticket.objects.exclude(status="closed").filter(q).values_list("pk", flat=True))

    assert sql_matches(parts) == orm == engine_matches(parts, tickets)


def test_closed_tickets_never_match(tickets):
    closed = {t.pk for t in tickets if t.status == "closed"}
    assert closed
    assert not sql_matches([]) & closed
    assert sql_matches([]) == {t.pk for t in tickets} - closed


def test_a_condition_the_sql_cannot_say_is_refused():
    for field, operator in [("body", "contains"), ("business_hours", "is"), ("status", "changed_to")]:
        with pytest.raises(queries.Untranslatable):
            queries.condition_sql(field, operator, "x", "p", {})


@given(
    status=st.sampled_from(["new", "open", "pending", "on_hold", "resolved"]),
    offsets=st.tuples(*[st.one_of(st.none(), st.integers(min_value=-500, max_value=500))] * 5),
)
@settings(max_examples=40, deadline=None)
def test_each_clock_is_what_clock_value_computes_and_the_cutoff_is_inclusive(status, offsets):
    with rolled_back():
        now = timezone.now()
        at = [None if o is None else now + timedelta(minutes=o) for o in offsets]
        ticket = TicketFactory(category=CategoryFactory(slug="general"), status=status)
        Ticket.objects.filter(pk=ticket.pk).update(
            status_changed_at=at[0],
            customer_message_at=at[1],
            agent_message_at=at[2],
            first_responded_at=at[3],
            resolved_at=at[4] if status != "resolved" or at[4] else now,
            updated_at=now - timedelta(minutes=7),
            created_at=now - timedelta(minutes=9),
        )
        ticket.refresh_from_db()
        for clock in Clock.values:
            value = clock_value(ticket, clock)
            scan = queries.RuleScan(1, clock, FAR)
            with connection.cursor() as cursor:
                found = {(t, stamp) for _, t, stamp in queries.matches(cursor, [scan]) if t == ticket.pk}
            assert found == ({(ticket.pk, value)} if value is not None else set()), clock
            if value is not None:
                assert sql_matches([], clock=clock, cutoff=value) >= {ticket.pk}
                assert ticket.pk not in sql_matches([], clock=clock, cutoff=value - timedelta(microseconds=1))


def test_a_ticket_fired_in_its_state_is_left_out_and_a_new_state_is_not(tickets):
    rule = make_rule("status_changed", 1)
    ticket = next(t for t in tickets if t.status == "open")
    stamp = clock_value(ticket, Clock.STATUS_CHANGED)
    RuleFiring.objects.create(rule=rule, ticket=ticket, stamp=stamp)
    scan = queries.RuleScan(rule.pk, Clock.STATUS_CHANGED, FAR)
    with connection.cursor() as cursor:
        assert ticket.pk not in {t for _, t, _ in queries.matches(cursor, [scan])}
        Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=stamp + timedelta(seconds=1))
        assert ticket.pk in {t for _, t, _ in queries.matches(cursor, [scan])}


def test_the_pass_inserts_what_matches_and_counts_per_rule(tickets):
    first, second = make_rule("created", 1), make_rule("created", 1)
    scans = [
        queries.RuleScan(first.pk, Clock.CREATED, FAR, (Part(field="priority", operator="is", value="low"),)),
        queries.RuleScan(second.pk, Clock.CREATED, FAR, (Part(field="tags", operator="includes", value="vip"),)),
    ]
    now = timezone.now()
    with connection.cursor() as cursor:
        expected = queries.matches(cursor, scans)
        counts = queries.rules_pass(cursor, scans, now)
        again = queries.rules_pass(cursor, scans, now)
    orm = {
        (rule.pk, t)
        for rule, q in ((first, Q(priority="low")), (second, Q(tags__name="vip")))
        for t in Ticket.objects.exclude(status="closed").filter(q).values_list("pk", flat=True)
    }
    inserted = set(RuleFiring.objects.values_list("rule_id", "ticket_id", "stamp"))
    assert {(r, t) for r, t, _ in inserted} == orm == {(r, t) for r, t, _ in expected}
    assert inserted == expected
    assert counts == {first.pk: 2, second.pk: 3}
    assert again == {}
    assert set(RuleFiring.objects.values_list("created_at", flat=True)) == {now}


def test_the_claim_takes_the_oldest_pending_firing_not_held_by_another(tickets):
    rule = make_rule("created", 1)
    now = timezone.now()
    firings = [
        RuleFiring.objects.create(rule=rule, ticket=t, stamp=t.created_at, created_at=now - timedelta(minutes=i))
        for i, t in enumerate(tickets[:4])
    ]
    RuleFiring.objects.filter(pk=firings[3].pk).update(applied_at=now)
    orm = list(RuleFiring.objects.filter(applied_at=None).order_by("created_at", "id").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        claimed = queries.claim_one(cursor)
        assert claimed[0] == orm[0] == firings[2].pk
        assert claimed[1:] == (rule.pk, tickets[2].pk, tickets[2].created_at)
        assert queries.claim_one(cursor, skip=[firings[2].pk])[0] == orm[1]


def test_like_patterns_match_literally():
    assert queries.like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
    assert queries.like_pattern("x", ends=False) == "%x"
