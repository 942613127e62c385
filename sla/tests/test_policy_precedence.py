"""Which SLA policy applies to a ticket (issue 22, point 3): the most specific active one.

A policy matches a ticket when its priority is the ticket's and each of its category, team,
organisation and channel is empty or the ticket's. Of the matching policies the one naming
the most of the four wins; a tie goes to the one naming the organisation, then the team,
then the category, then the channel; then to the oldest. docs/features.md, "Which policy
applies", has the table that PRECEDENCE below is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Team
from agents.roles import SYSTEM
from customers.models import Customer, Organization
from sla.services import policy_for_ticket
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket
from tickets.services import apply_sla
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

SCOPES = ("organization", "team", "category", "channel")

# Every set of scopes a policy may name, from the one that wins over all below it to the
# one that loses to all above it.
PRECEDENCE = [
    {"organization", "team", "category", "channel"},
    {"organization", "team", "category"},
    {"organization", "team", "channel"},
    {"organization", "category", "channel"},
    {"team", "category", "channel"},
    {"organization", "team"},
    {"organization", "category"},
    {"organization", "channel"},
    {"team", "category"},
    {"team", "channel"},
    {"category", "channel"},
    {"organization"},
    {"team"},
    {"category"},
    {"channel"},
    set(),
]


@dataclass
class World:
    """A ticket's possible facts (`ours`) and others a policy may name instead (`theirs`)."""

    ours: dict
    theirs: dict
    customer_without_organization: Customer


@pytest.fixture
def world(category) -> World:
    organization, other_organization = (Organization.objects.create(name=name) for name in ("Acme", "Globex"))
    return World(
        ours={
            "organization": organization,
            "team": Team.objects.create(name="Billing"),
            "category": category,
            "channel": Ticket.Channel.EMAIL,
            "customer": Customer.objects.create(email="ann@acme.example", organization=organization),
        },
        theirs={
            "organization": other_organization,
            "team": Team.objects.create(name="Technical"),
            "category": CategoryFactory(slug="billing", name="Billing"),
            "channel": Ticket.Channel.PORTAL,
        },
        customer_without_organization=Customer.objects.create(email="bob@example.org"),
    )


def ticket_of(world: World, **facts) -> Ticket:
    """A normal-priority ticket with all of `world.ours` unless `facts` say otherwise."""
    fields = {name: world.ours[name] for name in ("team", "category", "channel", "customer")}
    fields.update(facts)
    return TicketFactory(priority="normal", **fields)


def policy_naming(world: World, scopes, *, theirs=(), **fields):
    """A policy naming the ticket's value of each scope in `scopes` (another value for those in
    `theirs`), named after them: "organization+team", or "any" for none."""
    named = {scope: world.ours[scope] for scope in scopes}
    named.update({scope: world.theirs[scope] for scope in theirs})
    name = "+".join(scope for scope in SCOPES if scope in named) or "any"
    return SLAPolicyFactory(name=fields.pop("name", name), **named, **fields)


@pytest.mark.parametrize(
    ("winner", "loser"),
    [(PRECEDENCE[high], PRECEDENCE[low]) for high, low in itertools.combinations(range(len(PRECEDENCE)), 2)],
    ids=lambda scopes: "+".join(scope for scope in SCOPES if scope in scopes) or "any",
)
def test_of_two_matching_policies_the_more_specific_one_applies(world, winner, loser):
    # The loser is the older: age decides only between equals.
    policy_naming(world, loser)
    expected = policy_naming(world, winner)

    assert policy_for_ticket(ticket_of(world)) == expected


def test_every_matching_policy_in_turn_applies_as_those_above_it_go(world):
    policies = [policy_naming(world, scopes) for scopes in reversed(PRECEDENCE)]  # the least specific is oldest
    ticket = ticket_of(world)

    for expected in reversed(policies):
        assert policy_for_ticket(ticket) == expected
        expected.active = False
        expected.save()
    assert policy_for_ticket(ticket) is None


# (case, the ticket's facts, the policies (oldest first): (scopes named as the ticket's,
# scopes named otherwise, other fields), the policy that applies)
CASES = [
    ("no policy at all", {}, [], None),
    ("only an unscoped policy", {}, [(set(), set(), {})], "any"),
    ("another team's policy does not apply", {}, [({"category"}, {"team"}, {}), (set(), set(), {})], "any"),
    ("another organisation's policy does not apply", {}, [(set(), {"organization"}, {})], None),
    (
        "another category's policy does not apply",
        {},
        [({"team"}, {"category"}, {}), ({"channel"}, set(), {})],
        "channel",
    ),
    (
        "another channel's policy does not apply",
        {},
        [({"organization"}, {"channel"}, {}), ({"team"}, set(), {})],
        "team",
    ),
    (
        "an inactive policy does not apply",
        {},
        [({"organization"}, set(), {"active": False}), (set(), set(), {})],
        "any",
    ),
    ("another priority's policy does not apply", {}, [({"organization"}, set(), {"priority": "high"})], None),
    (
        "a ticket without a customer profile has no organisation",
        {"customer": None},
        [({"organization"}, set(), {}), ({"channel"}, set(), {})],
        "channel",
    ),
    (
        "a customer outside any organisation has none",
        {"customer": "without organisation"},
        [({"organization", "team"}, set(), {}), ({"team"}, set(), {})],
        "team",
    ),
    (
        "a ticket in no team matches no team's policy",
        {"team": None},
        [({"team", "category", "channel"}, set(), {}), ({"category"}, set(), {})],
        "category",
    ),
    (
        "between equals the oldest applies",
        {},
        [({"team"}, set(), {"name": "older"}), ({"team"}, set(), {"name": "newer"})],
        "older",
    ),
    (
        "one scope more wins however important the others",
        {},
        [({"organization"}, set(), {}), ({"category", "channel"}, set(), {})],
        "category+channel",
    ),
    (
        "as many scopes: the organisation wins",
        {},
        [
            ({"team", "category", "channel"}, set(), {}),
            ({"organization", "channel"}, set(), {"name": "o+ch"}),
            ({"organization", "category", "channel"}, set(), {}),
        ],
        "organization+category+channel",
    ),
    ("as many scopes: the team beats the category", {}, [({"category"}, set(), {}), ({"team"}, set(), {})], "team"),
    (
        "as many scopes: the category beats the channel",
        {},
        [({"channel"}, set(), {}), ({"category"}, set(), {})],
        "category",
    ),
]


@pytest.mark.parametrize(("case", "facts", "policies", "expected"), CASES, ids=[case[0] for case in CASES])
def test_which_policy_applies(world, case, facts, policies, expected):
    if facts.get("customer") == "without organisation":
        facts = {**facts, "customer": world.customer_without_organization}
    for scopes, theirs, fields in policies:
        policy_naming(world, scopes, theirs=theirs, **fields)

    policy = policy_for_ticket(ticket_of(world, **facts))

    assert (policy.name if policy else None) == expected


def test_tickets_differing_only_by_team_get_their_teams_policies(world):
    policy_naming(world, set(), name="everyone")
    billing = policy_naming(world, {"team"}, name="billing")
    technical = policy_naming(world, set(), theirs={"team"}, name="technical")

    assert policy_for_ticket(ticket_of(world)) == billing
    assert policy_for_ticket(ticket_of(world, team=world.theirs["team"])) == technical
    assert policy_for_ticket(ticket_of(world, team=None)).name == "everyone"
    assert policy_for_ticket(ticket_of(world)) == billing  # each kept under its own key


@pytest.mark.parametrize("scope", ["organization", "team", "category", "channel"])
def test_tickets_differing_by_one_scope_are_kept_apart(world, scope):
    ours = policy_naming(world, {scope})
    theirs = policy_naming(world, set(), theirs={scope}, name="theirs")
    differing = (
        {"customer": Customer.objects.create(email="eve@globex.example", organization=world.theirs[scope])}
        if scope == "organization"
        else {scope: world.theirs[scope]}
    )

    assert policy_for_ticket(ticket_of(world)) == ours
    assert policy_for_ticket(ticket_of(world, **differing)) == theirs


def test_a_key_whose_policy_was_read_under_another_key_costs_one_query(world):
    from sla.tests.factories import BusinessCalendarFactory

    policy_naming(world, set(), calendar=BusinessCalendarFactory())
    first, second = ticket_of(world), ticket_of(world, team=world.theirs["team"])
    policy_for_ticket(first)  # policy, hours, holidays

    with CaptureQueriesContext(connection) as queries:
        policy = policy_for_ticket(second)
    assert len(queries) == 1  # the policy; its calendar's schedule was built already
    assert policy.calendar.schedule().weekly[0] == ((540, 1020),)


@pytest.mark.parametrize("change", ["team", "customer", "channel", "category", "priority"])
def test_a_change_of_what_picks_the_policy_picks_it_again(world, change):
    ours = policy_naming(world, set(SCOPES), name="ours")
    SLAPolicyFactory(name="high", priority="high")
    ticket = ticket_of(world)
    apply_sla(ticket=ticket, actor=SYSTEM)
    assert Ticket.objects.get(pk=ticket.pk).sla_policy == ours
    any_policy = policy_naming(world, set(), name="any")

    if change == "customer":
        ticket.customer = world.customer_without_organization
    elif change == "priority":
        ticket.priority = "high"
    else:
        setattr(ticket, change, world.theirs[change])
    ticket.save()
    apply_sla(ticket=ticket, actor=SYSTEM)

    assert Ticket.objects.get(pk=ticket.pk).sla_policy.name == ("high" if change == "priority" else any_policy.name)
    assert ticket.events.filter(kind="due_times").count() == 2
