"""sla.queries against the ORM, and the SLA check's shortcut (may_record) against the scan's
own statement, on varied tickets (hypothesis). Every example builds its rows in a savepoint
it rolls back: hypothesis runs its examples inside one test's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import rolled_back
from sla.models import SLAViolation
from sla.queries import violations_of
from sla.scan import may_record, sla_scan
from sla.tests.factories import SLAPolicyFactory, SLAViolationFactory, SLAWarningFactory
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

KINDS = ["first_response", "resolution"]
STATUSES = ["new", "open", "pending", "on_hold", "resolved", "closed"]
# Minutes from now: past, this very minute, future; None for no due time.
OFFSETS = st.one_of(st.none(), st.integers(min_value=-600, max_value=600))


@given(
    violations=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(min_value=-50, max_value=50), st.booleans()),
        max_size=2,
        unique_by=lambda violation: violation[0],
    ),
    own_policy=st.booleans(),
)
@settings(max_examples=25, deadline=None)
def test_the_checks_violations_read_is_what_the_queryset_reads(violations, own_policy):
    with rolled_back():
        policy, other = SLAPolicyFactory(), SLAPolicyFactory()
        ticket = TicketFactory(category=CategoryFactory(slug="general"), sla_policy=policy if own_policy else None)
        now = timezone.now()
        for kind, minutes, by_own in violations:
            SLAViolationFactory(
                ticket=ticket, kind=kind, due_at=now + timedelta(minutes=minutes), policy=policy if by_own else other
            )
        SLAViolationFactory(ticket=TicketFactory(category=ticket.category), policy=other)  # someone else's

        plain = violations_of(ticket)
        orm = list(SLAViolation.objects.filter(ticket=ticket).select_related("policy").order_by("due_at", "id"))

        assert [(v.pk, v.kind, v.due_at, v.policy_id, v.scan_id) for v in plain] == [
            (v.pk, v.kind, v.due_at, v.policy_id, v.scan_id) for v in orm
        ]
        assert [(v.policy.pk, v.policy.name) for v in plain] == [(v.policy.pk, v.policy.name) for v in orm]


@given(
    status=st.sampled_from(STATUSES),
    responded=st.booleans(),
    first_due=OFFSETS,
    first_risk_before=st.integers(min_value=0, max_value=300),
    resolution_due=OFFSETS,
    resolution_risk_before=st.integers(min_value=0, max_value=300),
    recorded=st.sets(st.sampled_from(KINDS)),
    warned=st.sets(st.sampled_from(KINDS)),
)
@settings(max_examples=120, deadline=None)
def test_may_record_never_says_nothing_new_when_the_scan_finds_something(
    status, responded, first_due, first_risk_before, resolution_due, resolution_risk_before, recorded, warned
):
    now = timezone.now().replace(second=0, microsecond=0)

    def at(minutes):
        return None if minutes is None else now + timedelta(minutes=minutes)

    with rolled_back():
        ticket = TicketFactory(
            category=CategoryFactory(slug="general"),
            sla_policy=SLAPolicyFactory(),
            status=status,
            first_responded_at=now - timedelta(hours=1) if responded else None,
            first_response_due_at=at(first_due),
            first_response_at_risk_at=at(None if first_due is None else first_due - first_risk_before),
            resolution_due_at=at(resolution_due),
            resolution_at_risk_at=at(None if resolution_due is None else resolution_due - resolution_risk_before),
        )
        for kind in recorded:
            SLAViolationFactory(ticket=ticket, kind=kind)
        for kind in warned:
            SLAWarningFactory(ticket=ticket, kind=kind)

        shortcut = may_record(ticket, now, recorded=set(recorded))
        with rolled_back():  # what the scan itself would record
            result = sla_scan(now=now, ticket_id=ticket.pk)

    if result.violations or result.warnings:
        assert shortcut
