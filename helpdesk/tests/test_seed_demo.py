from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent
from tickets.models import Category, SavedView


@pytest.mark.django_db
def test_it_is_idempotent_and_prints_working_admin_credentials(client, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")
    first = (Agent.objects.count(), Category.objects.count(), SavedView.objects.count())
    call_command("seed_demo")

    assert (Agent.objects.count(), Category.objects.count(), SavedView.objects.count()) == first
    # Saved views of the queue: two shared ones every agent sees, and one agent's own.
    assert SavedView.objects.filter(shared=True).count() == 2
    assert SavedView.objects.get(name="My billing tickets").owner.username == "dana"
    assert first[0] >= 3
    assert all(agent.specializations.exists() for agent in Agent.objects.all())
    output = capsys.readouterr().out
    assert "user: admin  password: admin" in output
    signed_in = client.post("/accounts/login/?next=/admin/", {"login": "admin", "password": "admin"})
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_to_run_on_a_production_configuration(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is false"):
        call_command("seed_demo")
    assert not Agent.objects.exists()


@pytest.mark.django_db
def test_the_demo_customers_belong_to_a_vip_organisation(settings, client):
    from customers.models import Customer, Organization

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")

    ltd = Organization.objects.get(name="Customers Ltd")
    assert ltd.vip and Organization.objects.count() == 2
    assert Customer.objects.filter(organization=ltd).count() >= 5
    client.force_login(Agent.objects.get(user__username="alice").user)
    page = client.get(f"/agent/organizations/{ltd.pk}/").content.decode()
    assert "Customers Ltd" in page and "VIP" in page
