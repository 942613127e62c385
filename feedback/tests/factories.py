from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from feedback.models import Feedback, SurveyInvitation
from tickets.tests.factories import TicketFactory


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    ticket = factory.SubFactory(TicketFactory, status="resolved")
    agent = factory.LazyAttribute(lambda s: s.ticket.assigned_agent)
    customer_email = factory.LazyAttribute(lambda s: s.ticket.customer_email)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda s: s.created_at + timedelta(days=14))


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    ticket = factory.SubFactory(TicketFactory, status="resolved")
    agent = factory.LazyAttribute(lambda f: f.ticket.assigned_agent)
    customer_email = factory.LazyAttribute(lambda f: f.ticket.customer_email)
    overall = 5
