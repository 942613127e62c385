"""agents.queries against the ORM: the token lookup reads what Token.objects.select_related
reads, for varied users (with or without an agent profile, active or not, any role)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from agents.models import Agent
from agents.queries import token_user_agent
from agents.tests.factories import AgentFactory, UserFactory
from conftest import rolled_back

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@given(
    people=st.lists(
        st.tuples(st.sampled_from([None, "agent", "supervisor", "admin"]), st.booleans(), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    pick=st.integers(min_value=0, max_value=4),
)
@settings(max_examples=30, deadline=None)
def test_the_token_lookup_reads_what_the_queryset_reads(people, pick):
    with rolled_back():
        keys = []
        for role, active, has_token in people:
            user = UserFactory(is_active=active)
            if role is not None:
                AgentFactory(user=user, role=role)
            if has_token:
                keys.append(Token.objects.create(user=user).key)
        keys.append("no-such-key")
        key = keys[pick % len(keys)]

        found = token_user_agent(key)
        orm = Token.objects.select_related("user").filter(key=key).first()

        if orm is None:
            assert found is None
            return
        token, user, agent = found
        orm_agent = Agent.objects.filter(user=orm.user).first()
        assert fields(token) == fields(orm)
        assert fields(user) == fields(orm.user)
        assert (agent and fields(agent)) == (orm_agent and fields(orm_agent))
        assert token.user is user and (agent is None or agent.user is user)
