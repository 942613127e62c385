"""What the ticket filters' reach into django-filter (core.api.ReusedFormFilterSet,
core.api.ModelChoiceFilter) must keep: one request's filters never leak into the next, and
the shared category queryset is read afresh by every request."""

from __future__ import annotations

import pytest

from tickets.filters import TicketFilter
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db


def ids(api, query: str) -> set[int]:
    response = api.get(f"/api/support/tickets?{query}")
    assert response.status_code == 200, response.json()
    return {ticket["id"] for ticket in response.json()["results"]}


def test_each_request_filters_by_its_own_values_and_sees_new_categories(agent_api, category):
    first = TicketFactory(category=category, priority="high")
    assert ids(agent_api, f"category={category.slug}") == {first.pk}

    later = CategoryFactory(slug="created-later", name="Created later")  # after the form class was built
    second = TicketFactory(category=later, priority="low")

    assert ids(agent_api, "category=created-later") == {second.pk}
    assert ids(agent_api, "priority=high") == {first.pk}
    assert ids(agent_api, "") == {first.pk, second.pk}


def test_the_form_class_is_built_once_and_filters_are_copies():
    one, two = TicketFilter({"priority": "high"}, queryset=Ticket.objects.all()), TicketFilter({})
    assert type(one.form) is type(two.form)
    assert one.filters["priority"] is not two.filters["priority"]
    assert one.filters["category"].queryset is two.filters["category"].queryset
    assert one.form.fields["category"] is not two.form.fields["category"]
