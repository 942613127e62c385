from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from agents.models import WEEKDAYS, Agent, AgentRole, AgentStatus

ALWAYS = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class AgentFactory(factory.django.DjangoModelFactory):
    """An available agent who works around the clock, specialised in `specializations`."""

    class Meta:
        model = Agent
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda a: a.user.email)
    role = AgentRole.AGENT
    timezone = "UTC"
    working_hours = factory.LazyFunction(lambda: {day: list(ranges) for day, ranges in ALWAYS.items()})
    max_tickets = 10
    status = AgentStatus.AVAILABLE

    @factory.post_generation
    def specializations(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            from tickets.tests.factories import CategoryFactory

            extracted = [CategoryFactory(slug="general", name="General")]
        self.specializations.set(extracted)

    @factory.post_generation
    def staff_access(self, create, extracted, **kwargs):
        """Supervisors and admins get Django admin access, as agents.services gives it."""
        if create:
            from agents.services import sync_staff_flag

            sync_staff_flag(self)
