"""agents.queries against the ORM: the token lookup reads what AuthToken.objects.select_related
reads, for varied users (with or without an agent profile, active or not, any role) and
tokens (valid, expired, without expiry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import tokens
from agents.models import Agent
from agents.queries import token_user_agent
from agents.tests.factories import AgentFactory, UserFactory
from agents.tokens import AuthToken
from conftest import rolled_back

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@given(
    people=st.lists(
        st.tuples(
            st.sampled_from([None, "agent", "supervisor", "admin"]),
            st.booleans(),
            st.sampled_from([None, 0, 30, -1]),  # no token, no expiry, valid 30 days, expired
        ),
        min_size=1,
        max_size=5,
    ),
    pick=st.integers(min_value=0, max_value=4),
)
@settings(max_examples=30, deadline=None)
def test_the_token_lookup_reads_what_the_queryset_reads(people, pick):
    with rolled_back():
        keys = []
        for role, active, days in people:
            user = UserFactory(is_active=active)
            if role is not None:
                AgentFactory(user=user, role=role)
            if days is not None:
                row, key = tokens.issue(user, days=max(days, 0))
                if days < 0:
                    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
                keys.append(key)
        keys.append("no-such-key")
        key = keys[pick % len(keys)]
        now = timezone.now()

        found = token_user_agent(tokens.digest(key), now)
        orm = (
            AuthToken.objects.select_related("user")
            .filter(Q(expiry__isnull=True) | Q(expiry__gt=now), digest=tokens.digest(key))
            .first()
        )

        if orm is None:
            assert found is None
            return
        token, user, agent = found
        orm_agent = Agent.objects.filter(user=orm.user).first()
        assert fields(token) == fields(orm)
        assert fields(user) == fields(orm.user)
        assert (agent and fields(agent)) == (orm_agent and fields(orm_agent))
        assert token.user is user and (agent is None or agent.user is user)
