"""The limits of SPEC.md hold in the database itself, even for writes that skip validation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agents.models import Agent, validate_timezone, validate_working_hours


def make_agent(**fields) -> Agent:
    user = get_user_model().objects.create(username=fields.get("email", "a@example.com"))
    values = {"name": "Ada", "email": "a@example.com", **fields}
    return Agent.objects.create(user=user, **values)


@pytest.mark.django_db
@pytest.mark.parametrize("max_tickets", [1, 50])
def test_capacity_at_the_bounds_is_stored(max_tickets):
    assert make_agent(max_tickets=max_tickets).max_tickets == max_tickets


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"max_tickets": 0},
        {"max_tickets": 51},
        {"status": "sleeping"},
        {"name": ""},
        {"email": "not-an-email"},
    ],
)
def test_the_database_refuses_values_outside_the_limits(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_agent(**fields)


@pytest.mark.django_db
def test_email_is_unique():
    make_agent(email="same@example.com")
    other = get_user_model().objects.create(username="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(user=other, name="B", email="same@example.com")


def test_timezone_must_be_an_iana_name():
    validate_timezone("Europe/Berlin")
    with pytest.raises(ValidationError, match="IANA"):
        validate_timezone("Mars/Olympus")


@pytest.mark.parametrize(
    "hours",
    [
        [],
        {"moonday": [["09:00", "17:00"]]},
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]},
        {"mon": [["9am", "5pm"]]},
        {"mon": [["09:00"]]},
    ],
)
def test_malformed_working_hours_are_refused(hours):
    with pytest.raises(ValidationError):
        validate_working_hours(hours)


def test_split_shifts_and_days_off_are_fine():
    validate_working_hours({"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [], "sun": [["00:00", "24:00"]]})
