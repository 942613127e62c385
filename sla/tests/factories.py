from __future__ import annotations

import uuid
from datetime import time

import factory
from django.utils import timezone

from sla.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy, SLAViolation, SLAWarning
from tickets.tests.factories import TicketFactory


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Office {n}")
    timezone = "Europe/Berlin"

    @factory.post_generation
    def weekdays_nine_to_five(self, create, extracted, **kwargs):
        """Monday-Friday 09:00-17:00 unless `weekdays_nine_to_five=False`."""
        if create and extracted is not False:
            for weekday in range(5):
                BusinessHours.objects.create(calendar=self, weekday=weekday, start=time(9), end=time(17))


class BusinessHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessHours

    calendar = factory.SubFactory(BusinessCalendarFactory, weekdays_nine_to_five=False)
    weekday = 0
    start = time(9)
    end = time(17)


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = factory.Faker("date_this_year")
    name = "Holiday"


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    """A 24/7 policy for normal tickets of any category unless told otherwise."""

    class Meta:
        model = SLAPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = "normal"
    category = None
    first_response_hours = 4
    resolution_hours = 24
    calendar = None
    at_risk_percent = 80


class SLAViolationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAViolation

    ticket = factory.SubFactory(TicketFactory)
    kind = "first_response"
    due_at = factory.LazyFunction(timezone.now)
    detected_at = factory.LazyFunction(timezone.now)
    scan_id = factory.LazyFunction(uuid.uuid4)


class SLAWarningFactory(SLAViolationFactory):
    class Meta:
        model = SLAWarning
