from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sla.models import BusinessCalendar

pytestmark = pytest.mark.django_db


def test_it_imports_a_year_of_holidays_once(capsys):
    calendar = BusinessCalendar.objects.create(name="New York office", timezone="America/New_York")

    call_command("import_holidays", "New York office", "US", "2027")
    call_command("import_holidays", "New York office", "US", "2027")

    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("0 holidays added")
    assert calendar.holidays.filter(date="2027-07-05").exists()  # Independence Day observed (4 July is a Sunday)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["Nowhere", "US", "2027"], "No business calendar"), (["Office", "XX", "2027"], "knows no country")],
)
def test_it_explains_what_is_wrong(args, message):
    BusinessCalendar.objects.create(name="Office")

    with pytest.raises(CommandError, match=message):
        call_command("import_holidays", *args)
