"""Customer profiles made on first contact, organisations claiming their domains, and the
merge of two profiles of one person (issue 22, points 4 and 5)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from agents.roles import SYSTEM, actor_for, customer_actor
from customers.models import Customer, Organization
from customers.services import (
    customer_by_address,
    customer_for_contact,
    customer_merge,
    customer_update,
    customers_mark_bouncing,
    organization_save,
)
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets import services as ticket_services
from tickets.models import EventKind, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_it_makes_one_profile_per_address_whatever_its_case():
    first = customer_for_contact(email="  Jane.Roe@Example.ORG ", name="Jane Roe", language="ru")
    again = customer_for_contact(email="jane.roe@example.org", name="Someone Else", language="en")
    assert first.pk == again.pk
    assert (again.email, again.name, again.language) == ("jane.roe@example.org", "Jane Roe", "ru")
    assert Customer.objects.count() == 1


def test_it_fills_an_empty_name_and_language_but_never_overwrites_them():
    customer = customer_for_contact(email="jane@example.org")
    customer = customer_for_contact(email="jane@example.org", name="Jane", language="xx")
    assert (customer.name, customer.language) == ("Jane", "")
    customer = customer_for_contact(email="jane@example.org", name="Not Jane", language="ru")
    customer.refresh_from_db()
    assert (customer.name, customer.language) == ("Jane", "ru")


def test_an_address_merged_into_a_profile_finds_that_profile():
    kept = CustomerFactory(email="jane@example.org", aliases=["jane.old@example.net"])
    assert customer_for_contact(email="Jane.Old@example.net").pk == kept.pk
    assert customer_by_address("jane.old@example.net").pk == kept.pk
    assert Customer.objects.count() == 1


def test_a_new_customer_joins_the_organisation_of_their_domain():
    acme = OrganizationFactory(name="Acme", domains=["acme.example", "acme.test"])
    assert customer_for_contact(email="wile@ACME.test").organization == acme
    assert customer_for_contact(email="road.runner@example.org").organization is None
    assert customer_for_contact(email="someone@sub.acme.example").organization is None  # the exact domain only


def test_an_address_no_profile_can_be_keyed_by_makes_none():
    assert customer_for_contact(email="root@localhost") is None
    assert Customer.objects.count() == 0


def test_every_channel_creates_the_profile_through_ticket_create(category):
    ticket = ticket_services.ticket_create(
        subject="Printer",
        description="It does not print at all.",
        customer_email="Jane@Example.org",
        customer_name="Jane Roe",
        category=category,
        actor=customer_actor("Jane Roe", "Jane@Example.org"),
        channel="portal",
        language="ru",
    )
    assert ticket.customer.email == "jane@example.org"
    assert ticket.customer_email == "Jane@Example.org"  # the conversation's address stays as written
    # The profile's language is used when the channel states none.
    second = ticket_services.ticket_create(
        subject="Again",
        description="Still nothing at all here.",
        customer_email="jane@example.org",
        category=category,
        actor=SYSTEM,
        channel="api",
    )
    assert second.customer_id == ticket.customer_id and second.language == "ru"


@pytest.mark.django_db(transaction=True)
def test_two_first_contacts_at_once_make_one_profile():
    """Eight threads, each its own connection, all first contacts of one address released
    together: one profile, and every caller gets it."""
    barrier = threading.Barrier(8)
    found, errors = [], []

    def contact(number: int) -> None:
        try:
            barrier.wait()
            found.append(customer_for_contact(email="race@example.org", name=f"Racer {number}").pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=contact, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(found)) == 1 and len(found) == 8
    assert Customer.objects.filter(email="race@example.org").count() == 1
    assert Customer.objects.get().name.startswith("Racer ")


def test_saving_an_organisations_domains_brings_in_its_customers_without_one():
    lone = CustomerFactory(email="a@globex.example")
    shouting = CustomerFactory(email="b@globex.example")
    elsewhere = CustomerFactory(email="c@globex.example", organization=OrganizationFactory(name="Other"))
    unrelated = CustomerFactory(email="d@example.org")
    globex = organization_save(actor=SYSTEM, name="Globex", domains=["Globex.Example", "@globex.test"])
    assert globex.domains == ["globex.example", "globex.test"]
    assert set(globex.customers.all()) == {lone, shouting}
    elsewhere.refresh_from_db()
    unrelated.refresh_from_db()
    assert elsewhere.organization.name == "Other" and unrelated.organization is None

    late = CustomerFactory(email="e@initech.example")
    organization_save(organization=globex, actor=SYSTEM, domains=["globex.example", "initech.example"])
    late.refresh_from_db()
    assert late.organization == globex


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        (["not a domain"], "is not a domain name"),
        (["localhost"], "is not a domain name"),
        (["-bad.example"], "is not a domain name"),
        (["taken.example"], "belongs to the organisation Taken already"),
    ],
)
def test_a_bad_or_taken_domain_is_refused_naming_domains(domains, message):
    OrganizationFactory(name="Taken", domains=["taken.example"])
    with pytest.raises(ValidationError) as refused:
        organization_save(actor=SYSTEM, name="New", domains=domains)
    assert message in refused.value.message_dict["domains"][0]
    assert not Organization.objects.filter(name="New").exists()


def test_an_organisation_keeps_its_own_domains_when_saved_again():
    acme = organization_save(actor=SYSTEM, name="Acme", domains=["acme.example"])
    acme = organization_save(organization=acme, actor=SYSTEM, domains=["acme.example"], vip=True)
    assert acme.vip and acme.domains == ["acme.example"]


def test_a_duplicate_name_is_refused_naming_name():
    OrganizationFactory(name="Acme")
    with pytest.raises(ValidationError) as refused:
        organization_save(actor=SYSTEM, name="Acme")
    assert "name" in refused.value.message_dict


def test_merging_moves_every_ticket_with_an_event_and_keeps_the_addresses(agent, django_assert_max_num_queries):
    target = CustomerFactory(email="jane@example.org", name="", notes="Prefers email.")
    source = CustomerFactory(
        email="jane.roe@old.example", name="Jane Roe", language="ru", aliases=["j@old.example"], notes="VIP at Acme."
    )
    moved = [TicketFactory(customer=source, customer_email=source.email) for _ in range(30)]
    kept = TicketFactory(customer=target, customer_email=target.email)
    unrelated = TicketFactory()
    with django_assert_max_num_queries(8):  # set-based: the same statements for 30 tickets or 30,000
        merged = customer_merge(source=source, target=target, actor=actor_for(agent.user))

    assert not Customer.objects.filter(pk=source.pk).exists()
    merged.refresh_from_db()
    assert merged.aliases == ["jane.roe@old.example", "j@old.example"]
    assert (merged.name, merged.language) == ("Jane Roe", "ru")
    assert merged.notes == "Prefers email.\n\nFrom jane.roe@old.example:\nVIP at Acme."
    assert set(merged.tickets.values_list("pk", flat=True)) == {t.pk for t in [*moved, kept]}
    events = TicketEvent.objects.filter(kind=EventKind.CUSTOMER)
    assert sorted(events.values_list("ticket_id", flat=True)) == sorted(t.pk for t in moved)
    event = events.first()
    assert (event.actor_name, event.actor_user, event.old_value, event.new_value) == (
        agent.name,
        agent.user,
        "jane.roe@old.example",
        "jane@example.org",
    )
    unrelated.refresh_from_db()
    assert unrelated.customer_id is None
    # Mail from the old address still finds the profile.
    assert customer_for_contact(email="J@old.example").pk == merged.pk


def test_a_profile_cannot_be_merged_into_itself():
    jane = CustomerFactory()
    with pytest.raises(ValidationError) as refused:
        customer_merge(source=jane, target=jane, actor=SYSTEM)
    assert "into" in refused.value.message_dict


def test_an_update_changes_what_agents_change_and_checks_it():
    jane = CustomerFactory(bouncing=True)
    acme = OrganizationFactory()
    jane = customer_update(customer=jane, actor=SYSTEM, name=" Jane ", organization=acme, bouncing=False)
    assert (jane.name, jane.organization, jane.bouncing) == ("Jane", acme, False)
    with pytest.raises(ValidationError) as refused:
        customer_update(customer=jane, actor=SYSTEM, language="de")
    assert "language" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        customer_update(customer=jane, actor=SYSTEM, email="other@example.org")
    assert "email" in refused.value.message_dict


def test_a_bounce_flags_the_profile_of_the_address_or_alias():
    jane = CustomerFactory(email="jane@example.org")
    john = CustomerFactory(email="john@example.org", aliases=["j.old@example.org"])
    other = CustomerFactory(email="other@example.org")
    assert customers_mark_bouncing(["JANE@example.org", "j.old@example.org", "nobody"]) == 2
    assert [c.bouncing for c in Customer.objects.filter(pk__in=[jane.pk, john.pk, other.pk]).order_by("email")] == [
        True,
        True,
        False,
    ]


def test_each_bad_domain_is_quoted_whole():
    with pytest.raises(ValidationError) as refused:
        organization_save(actor=SYSTEM, name="New", domains=["not a domain", "ok.example", " @@@ "])
    assert refused.value.message_dict["domains"] == [
        "“not a domain” is not a domain name like example.com.",
        "“@@@” is not a domain name like example.com.",
    ]
