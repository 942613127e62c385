from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MIN_TICKETS = 1
MAX_TICKETS = 50
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
# Deliberately loose: the form and serializer use Django's full EmailValidator; the
# database only refuses what is plainly not an address.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# The same rule for forms and serializers, so an address the database would refuse is a
# field error, not a failed write.
validate_email_shape = RegexValidator(EMAIL_SHAPE, _("Enter an address with a domain, like name@example.com."))


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezone_names():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name such as 'Europe/Berlin'.") % {"value": repr(value)}
        )


def validate_working_hours(value: Any) -> None:
    """Weekly hours: {"mon": [["09:00", "17:00"]], ...}; days absent or empty are days off."""
    if not isinstance(value, dict):
        raise ValidationError(_('Working hours must be an object such as {"mon": [["09:00", "17:00"]]}.'))
    for day, ranges in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(
                _("%(day)s is not a weekday; use one of %(days)s.") % {"day": repr(day), "days": ", ".join(WEEKDAYS)}
            )
        if not isinstance(ranges, list):
            raise ValidationError(_("%(day)s: expected a list of [start, end] pairs.") % {"day": day})
        previous_end = ""
        for pair in sorted(ranges, key=lambda p: str(p[0]) if isinstance(p, list | tuple) and p else ""):
            if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
                raise ValidationError(
                    _("%(day)s: each range is a pair of times like ['09:00', '17:00'].") % {"day": day}
                )
            start, end = pair
            if not (_HH_MM.match(start) and _HH_MM.match(end)):
                raise ValidationError(_("%(day)s: times are HH:MM between 00:00 and 24:00.") % {"day": day})
            if start >= end:
                raise ValidationError(
                    _("%(day)s: %(start)s-%(end)s ends before it starts.") % {"day": day, "start": start, "end": end}
                )
            if start < previous_end:
                raise ValidationError(_("%(day)s: ranges overlap.") % {"day": day})
            previous_end = end


def default_working_hours() -> dict[str, list[list[str]]]:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


class AgentStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("agent status", "Available")
    BUSY = "busy", pgettext_lazy("agent status", "Busy")
    AWAY = "away", pgettext_lazy("agent status", "Away")
    OFFLINE = "offline", pgettext_lazy("agent status", "Offline")


class AgentRole(models.TextChoices):
    AGENT = "agent", pgettext_lazy("role", "Agent")
    SUPERVISOR = "supervisor", pgettext_lazy("role", "Supervisor")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


# The languages a person may read the helpdesk in (settings.LANGUAGES; each in its own words).
LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский")]


class Agent(models.Model):
    Status = AgentStatus
    Role = AgentRole

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=255)
    email = models.EmailField(_("email"), max_length=254, unique=True, validators=[validate_email_shape])
    role = models.CharField(_("role"), max_length=20, choices=AgentRole.choices, default=AgentRole.AGENT)
    specializations = models.ManyToManyField(
        "tickets.Category", related_name="agents", verbose_name=_("specializations")
    )
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC", validators=[validate_timezone])
    working_hours = models.JSONField(
        _("working hours"),
        default=default_working_hours,
        validators=[validate_working_hours],
        help_text=_(
            'In the agent\'s time zone, e.g. {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], '
            '"tue": [["09:00", "17:00"]]}; days left out are days off.'
        ),
    )
    max_tickets = models.PositiveSmallIntegerField(
        _("max tickets"), default=10, validators=[MinValueValidator(MIN_TICKETS), MaxValueValidator(MAX_TICKETS)]
    )
    status = models.CharField(_("status"), max_length=20, choices=AgentStatus.choices, default=AgentStatus.AVAILABLE)
    # When the agent last received a ticket: ties in load go to whoever waited longest.
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    # The language of the agent's workspace, emails and in-app notices; empty: the browser's
    # (pages) and the site's (emails).
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=LANGUAGE_CHOICES,
        help_text=_("The workspace, emails and notifications in this language; empty: the browser's."),
    )
    # Email, besides the in-app notice, about changes to tickets the agent follows and notes
    # that mention them.
    follow_by_email = models.BooleanField(
        _("email me about followed tickets"),
        default=False,
        help_text=_("Followed tickets' changes and mentions also by email, not only in the workspace."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_tickets__gte=MIN_TICKETS, max_tickets__lte=MAX_TICKETS),
                name="agent_max_tickets_1_50",
            ),
            models.CheckConstraint(condition=Q(status__in=AgentStatus.values), name="agent_status_valid"),
            models.CheckConstraint(condition=Q(role__in=AgentRole.values), name="agent_role_valid"),
            models.CheckConstraint(
                condition=Q(language__in=["", *dict(LANGUAGE_CHOICES)]), name="agent_language_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="agent_name_not_empty"),
            models.CheckConstraint(condition=Q(email__regex=EMAIL_SHAPE), name="agent_email_shape"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reading_language(self) -> str:
        """The language to write to this agent in: theirs, else the site's."""
        return self.language or settings.LANGUAGE_CODE

    def is_working_at(self, moment: datetime) -> bool:
        """Whether `moment` falls inside this agent's weekly hours, in the agent's own zone."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        now = local.strftime("%H:%M")
        ranges = (self.working_hours or {}).get(WEEKDAYS[local.weekday()], [])
        return any(start <= now < end for start, end in ranges)


def category_model() -> type[models.Model]:
    """The ticket category model, reached through Agent.specializations: agents sits below
    tickets in the layers and names its model only by the relation's "tickets.Category"."""
    return Agent._meta.get_field("specializations").related_model


class Team(models.Model):
    """A group of agents with its own queue: the categories (and mailboxes) routed to it put
    their tickets in it, and auto-assignment picks among its members.

    A restricted team's tickets are seen only by its members, supervisors and admins
    (tickets.visibility). Its calendar is an SLA business calendar, named by the relation's
    "sla.BusinessCalendar" as `Agent.specializations` names categories: agents sits below sla.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    members = models.ManyToManyField(Agent, blank=True, related_name="teams", verbose_name=_("members"))
    lead = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("lead")
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        verbose_name=_("business hours"),
        help_text=_("When the team works: auto-assignment waits outside these hours. Empty: members' own hours."),
    )
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Only members, supervisors and admins see this team's tickets."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="team_name_not_empty")]

    def __str__(self) -> str:
        return self.name
