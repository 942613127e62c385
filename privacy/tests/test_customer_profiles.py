"""Export and erasure take in the customer's profile (issue 22): its notes and other
addresses are exported, and erasing by any address of the person leaves nothing of it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from agents.roles import SYSTEM, customer_actor
from customers.models import Customer
from customers.services import customer_merge, customer_update
from privacy.services import customer_erase, customer_export
from privacy.tests.test_privacy import holding
from tickets import services

pytestmark = pytest.mark.django_db


def ticket_from(email: str, name: str, category):
    return services.ticket_create(
        subject="Lost parcel",
        description=f"This is {name}, my parcel is lost.",
        customer_email=email,
        customer_name=name,
        category=category,
        actor=customer_actor(name, email),
        channel="portal",
    )


def test_erasing_by_an_old_address_erases_the_merged_profile_and_all_its_tickets(category):
    kept = ticket_from("vesna.quorra@example.org", "Vesna Quorra", category).customer
    old = ticket_from("vq@old-mail.example", "Vesna Q", category).customer
    merged = customer_merge(source=old, target=kept, actor=SYSTEM)
    customer_update(customer=merged, actor=SYSTEM, notes="Vesna Quorra prefers phone calls.")
    other = ticket_from("someone@example.net", "Otto Someone", category)

    data = json.loads(zipfile.ZipFile(io.BytesIO(customer_export("VQ@old-mail.example"))).read("data.json"))
    assert data["profile"]["other_addresses"] == ["vq@old-mail.example"]
    assert data["profile"]["notes"] == "Vesna Quorra prefers phone calls."
    assert len(data["tickets"]) == 2

    counts = customer_erase("vq@old-mail.example")

    assert counts["profiles"] == 1 and counts["tickets"] == 2
    assert holding("vesna.quorra@example.org", "old-mail.example", "Quorra") == []
    assert Customer.objects.filter(pk=other.customer_id).exists()
