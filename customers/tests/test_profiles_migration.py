"""tickets/migrations/0021_customer_profiles.py, run on varied tickets and compared with what
it should make: one profile per normalized address, named after the newest ticket with a
name, in the language of the newest ticket with one, in its domain's organisation, and every
ticket joined to its profile (or to the profile holding its address as an alias)."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tickets.migrations.0021_customer_profiles")


def run_migration(batch: int) -> None:
    saved, migration.BATCH = migration.BATCH, batch
    try:
        migration.create_profiles(None, SimpleNamespace(connection=connection))
    finally:
        migration.BATCH = saved


def expected_profiles(tickets: list[dict], aliased: set[str]) -> dict[str, tuple[str, str]]:
    """address -> (name, language), as the migration should make them."""
    by_address: dict[str, list[dict]] = {}
    for ticket in tickets:
        by_address.setdefault(ticket["customer_email"].strip().lower(), []).append(ticket)
    profiles = {}
    for address, rows in by_address.items():
        if address in aliased:
            continue
        newest = sorted(rows, key=lambda t: (t["created_at"], t["id"]), reverse=True)
        name = next((t["customer_name"] for t in newest if t["customer_name"].strip()), "")
        language = next((t["language"] for t in newest if t["language"]), "")
        profiles[address] = (name, language)
    return profiles


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_migration_makes_the_profiles_it_should(category, seed):
    rng = random.Random(seed)
    acme = OrganizationFactory(name="Acme", domains=["acme.example"])
    kept = CustomerFactory(email="kept@example.org", name="Kept", aliases=["old.kept@example.org"])
    now = timezone.now()
    people = [f"person{n}@{rng.choice(['acme.example', 'example.org', 'example.net'])}" for n in range(12)]
    people.append("old.kept@example.org")
    for _ in range(80):
        address = rng.choice(people)
        TicketFactory(
            category=category,
            customer_email=rng.choice([address, address.upper(), address.capitalize()]),
            customer_name=rng.choice(["", "", "Ann", "Bob Builder", "Ça Va"]),
            language=rng.choice(["", "en", "ru"]),
            # Ties in created_at: the higher id is the newer.
            created_at=now - timedelta(minutes=rng.choice([0, 5, 10, 60, 600])),
        )
    tickets = list(Ticket.objects.values("id", "customer_email", "customer_name", "language", "created_at"))

    run_migration(batch=rng.choice([1, 7, 1000]))

    made = {c.email: (c.name, c.language) for c in Customer.objects.exclude(pk=kept.pk)}
    assert made == expected_profiles(tickets, aliased={"old.kept@example.org"})
    for customer in Customer.objects.exclude(pk=kept.pk):
        assert customer.organization_id == (acme.pk if customer.email.endswith("@acme.example") else None)
    for ticket in Ticket.objects.select_related("customer"):
        address = ticket.customer_email.lower()
        assert ticket.customer.email == ("kept@example.org" if address == "old.kept@example.org" else address)


def test_running_it_again_changes_nothing(category):
    TicketFactory(category=category, customer_email="Ann@example.org", customer_name="Ann")
    run_migration(batch=100)
    profile = Customer.objects.get()
    profile.name = "Ann Edited"
    profile.save()
    run_migration(batch=100)
    assert list(Customer.objects.values_list("email", "name")) == [("ann@example.org", "Ann Edited")]
