"""The email channel and customer profiles: a ticket opened by email makes the profile, a
reply from an address merged into the profile is the customer's, and a bounce flags it."""

from __future__ import annotations

import pytest
from django.core import mail

from agents.roles import SYSTEM
from customers.models import Customer
from customers.services import customer_merge
from customers.tests.factories import CustomerFactory
from mail.ingest import ingest
from mail.models import Outcome
from mail.tests import corpus
from mail.tests.corpus import CUSTOMER, Sent
from notifications.delivery import notifications_deliver_due
from tickets.models import AuthorType
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

OLD_ADDRESS = "carla.old@customer.example"


@pytest.fixture(autouse=True)
def _mail_settings(settings, db):
    settings.SUPPORT_EMAIL = corpus.SUPPORT
    CategoryFactory(slug="general", name="General")


def opened():
    row = ingest(corpus.plain_request(), route="pipe")
    assert row.outcome == Outcome.TICKET, row.reason
    before = len(mail.outbox)
    notifications_deliver_due()
    [ack] = mail.outbox[before:]
    return row.ticket, Sent.of(ack)


def test_an_email_ticket_makes_the_profile():
    ticket, _sent = opened()
    assert ticket.customer.email == CUSTOMER.lower()
    assert ticket.customer.name == corpus.CUSTOMER_NAME


def test_a_reply_from_an_address_merged_into_the_profile_is_the_customers():
    ticket, _sent = opened()
    old = CustomerFactory(email=OLD_ADDRESS)
    customer_merge(source=old, target=ticket.customer, actor=SYSTEM)

    row = ingest(corpus.subject_tag_reply(ticket.pk, sender=f"Carla <{OLD_ADDRESS}>"), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    assert row.message.author_type == AuthorType.CUSTOMER and not row.message.internal


def test_a_reply_from_a_stranger_naming_the_ticket_opens_a_ticket_of_their_own():
    ticket, _sent = opened()
    row = ingest(corpus.subject_tag_reply(ticket.pk, sender="Mallory <mallory@elsewhere.example>"), route="pipe")
    assert row.outcome == Outcome.TICKET and row.ticket != ticket


def test_a_bounce_flags_the_profile_as_bouncing():
    ticket, sent = opened()
    row = ingest(corpus.dsn_bounce(sent), route="pipe")
    assert row.outcome == Outcome.BOUNCE
    assert Customer.objects.get(pk=ticket.customer_id).bouncing
