"""/api/support/categories: who may do what, filters, validation and refused deletions."""

from __future__ import annotations

import pytest

from agents.models import Team
from knowledge.tests.factories import FAQFactory
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Category
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/support/categories"


def test_agents_and_integrations_read_but_do_not_write(agent_api, integration_api, category):
    for client in (agent_api, integration_api):
        assert client.get(URL).json()["results"] == [
            {"id": category.pk, "slug": "general", "name": "General", "description": "", "team": None}
        ]
        assert client.post(URL, {"slug": "x", "name": "X"}, format="json").status_code == 403
        assert client.patch(f"{URL}/{category.pk}", {"name": "Y"}, format="json").status_code == 403
        assert client.delete(f"{URL}/{category.pk}").status_code == 403
    assert Category.objects.get().name == "General"


def test_a_supervisor_creates_and_changes_one_with_its_team(supervisor_api):
    team = Team.objects.create(name="Billing")

    created = supervisor_api.post(URL, {"slug": "refunds", "name": "Refunds", "team": team.pk}, format="json")
    assert created.status_code == 201, created.json()
    changed = supervisor_api.put(
        f"{URL}/{created.json()['id']}", {"slug": "refunds", "name": "Money back", "team": None}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    category = Category.objects.get(slug="refunds")
    assert (category.name, category.team) == ("Money back", None)


def test_filters_by_text_and_team_and_orders(agent_api, category):
    team = Team.objects.create(name="Billing")
    CategoryFactory(slug="refunds", name="Refunds", team=team)
    CategoryFactory(slug="invoices", name="Invoices", team=team, description="Bills and refunds")

    def slugs(**query) -> list[str]:
        response = agent_api.get(URL, query)
        assert response.status_code == 200, response.json()
        return [c["slug"] for c in response.json()["results"]]

    assert slugs(q="REFUND") == ["invoices", "refunds"]
    assert slugs(team=team.pk, ordering="-slug") == ["refunds", "invoices"]
    assert slugs(no_team="true") == ["general"]
    assert agent_api.get(URL, {"no_team": "maybe"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "general", "name": "Another"}, "slug"),  # taken
        ({"slug": "other", "name": "General"}, "name"),  # taken
        ({"slug": "two words", "name": "Two"}, "slug"),
        ({"slug": "ok", "name": "   "}, "name"),
        ({"slug": "ok", "name": "Ok", "team": 999999}, "team"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(supervisor_api, category, body, field):
    response = supervisor_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_category_in_use_is_not_deleted_and_the_answer_says_by_what(supervisor_api, category):
    TicketFactory(category=category)
    FAQFactory(category=category)
    SLAPolicyFactory(category=category)

    response = supervisor_api.delete(f"{URL}/{category.pk}")

    assert response.status_code == 409
    assert response.json()["used_by"] == ["tickets", "SLA policies", "FAQs"]  # in the apps' order
    assert Category.objects.filter(pk=category.pk).exists()


def test_an_unused_category_is_deleted(supervisor_api, supervisor):
    unused = CategoryFactory(slug="unused")
    supervisor.specializations.add(unused)

    assert supervisor_api.delete(f"{URL}/{unused.pk}").status_code == 204

    assert not Category.objects.filter(pk=unused.pk).exists()
    assert list(supervisor.specializations.values_list("slug", flat=True)) == ["general"]
