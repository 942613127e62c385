"""Automation: triggers (on events), time rules (set-based scans) and macros (applied by agents).

All three share one vocabulary (automation.vocabulary): conditions are rows of (group,
field, operator, value), actions rows of (kind, value, subject, body), so that admin edits
them as forms and the API as lists, and each is checked on save by the same rules.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tickets.models import BODY_MAX, Ticket


class Event(models.TextChoices):
    """What a trigger listens for."""

    TICKET_CREATED = "ticket.created", pgettext_lazy("automation event", "Ticket created")
    TICKET_UPDATED = "ticket.updated", pgettext_lazy("automation event", "Ticket updated")
    CUSTOMER_MESSAGE = "message.customer", pgettext_lazy("automation event", "Message from the customer")
    AGENT_MESSAGE = "message.agent", pgettext_lazy("automation event", "Reply from an agent")
    NOTE = "message.note", pgettext_lazy("automation event", "Internal note")
    SLA_WARNING = "sla.warning", pgettext_lazy("automation event", "SLA warning")
    SLA_VIOLATION = "sla.violation", pgettext_lazy("automation event", "SLA violation")
    FEEDBACK = "feedback.received", pgettext_lazy("automation event", "Feedback received")


class Group(models.TextChoices):
    ALL = "all", pgettext_lazy("automation conditions", "All of")
    ANY = "any", pgettext_lazy("automation conditions", "Any of")


class Field(models.TextChoices):
    STATUS = "status", pgettext_lazy("automation condition", "Status")
    PRIORITY = "priority", pgettext_lazy("automation condition", "Priority")
    CATEGORY = "category", pgettext_lazy("automation condition", "Category")
    TEAM = "team", pgettext_lazy("automation condition", "Team")
    CHANNEL = "channel", pgettext_lazy("automation condition", "Channel")
    TAGS = "tags", pgettext_lazy("automation condition", "Tags")
    CUSTOMER_EMAIL = "customer_email", pgettext_lazy("automation condition", "Customer email")
    CUSTOMER_DOMAIN = "customer_domain", pgettext_lazy("automation condition", "Customer email domain")
    ORGANIZATION = "organization", pgettext_lazy("automation condition", "Organisation")
    SUBJECT = "subject", pgettext_lazy("automation condition", "Subject")
    BODY = "body", pgettext_lazy("automation condition", "Message text")
    BUSINESS_HOURS = "business_hours", pgettext_lazy("automation condition", "Within business hours")
    ASSIGNEE = "assignee", pgettext_lazy("automation condition", "Assignee")


class Operator(models.TextChoices):
    IS = "is", pgettext_lazy("automation operator", "is")
    IS_NOT = "is_not", pgettext_lazy("automation operator", "is not")
    CONTAINS = "contains", pgettext_lazy("automation operator", "contains")
    NOT_CONTAINS = "not_contains", pgettext_lazy("automation operator", "does not contain")
    ENDS_WITH = "ends_with", pgettext_lazy("automation operator", "ends with")
    INCLUDES = "includes", pgettext_lazy("automation operator", "includes")
    EXCLUDES = "excludes", pgettext_lazy("automation operator", "does not include")
    IS_SET = "is_set", pgettext_lazy("automation operator", "is set")
    NOT_SET = "not_set", pgettext_lazy("automation operator", "is not set")
    CHANGED = "changed", pgettext_lazy("automation operator", "changed")
    CHANGED_FROM = "changed_from", pgettext_lazy("automation operator", "changed from")
    CHANGED_TO = "changed_to", pgettext_lazy("automation operator", "changed to")


class ActionKind(models.TextChoices):
    SET_STATUS = "set_status", pgettext_lazy("automation action", "Set status")
    SET_PRIORITY = "set_priority", pgettext_lazy("automation action", "Set priority")
    SET_CATEGORY = "set_category", pgettext_lazy("automation action", "Set category")
    SET_TEAM = "set_team", pgettext_lazy("automation action", "Set team")
    SET_ASSIGNEE = "set_assignee", pgettext_lazy("automation action", "Set assignee")
    ADD_TAGS = "add_tags", pgettext_lazy("automation action", "Add tags")
    REMOVE_TAGS = "remove_tags", pgettext_lazy("automation action", "Remove tags")
    ADD_NOTE = "add_note", pgettext_lazy("automation action", "Add an internal note")
    EMAIL_CUSTOMER = "email_customer", pgettext_lazy("automation action", "Email the customer")
    EMAIL_ASSIGNEE = "email_assignee", pgettext_lazy("automation action", "Email the assignee")
    EMAIL_TEAM = "email_team", pgettext_lazy("automation action", "Email the team")
    EMAIL_ADDRESS = "email_address", pgettext_lazy("automation action", "Email an address")
    CALL_WEBHOOK = "call_webhook", pgettext_lazy("automation action", "Call a webhook")
    NOTIFY = "notify", pgettext_lazy("automation action", "Notify in the app")


class Condition(models.Model):
    group = models.CharField(_("group"), max_length=3, choices=Group.choices, default=Group.ALL)
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    operator = models.CharField(_("operator"), max_length=20, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        # The vocabulary checks a row on save (API and admin); the database refuses what is no
        # word of it at all, however the row was written.
        constraints = [
            models.CheckConstraint(condition=Q(group__in=Group.values), name="%(class)s_group_known"),
            models.CheckConstraint(condition=Q(field__in=Field.values), name="%(class)s_field_known"),
            models.CheckConstraint(condition=Q(operator__in=Operator.values), name="%(class)s_operator_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}".strip()

    def as_dict(self) -> dict[str, str]:
        return {"group": self.group, "field": self.field, "operator": self.operator, "value": self.value}


class Action(models.Model):
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    value = models.CharField(
        _("value"),
        max_length=255,
        blank=True,
        help_text=_(
            "A status, a priority, a category's slug, a team's name, an agent's username, tags "
            "separated by commas, an email address, a webhook's number, or who to notify "
            "(assignee, team, followers or a username)."
        ),
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True, max_length=BODY_MAX)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [models.CheckConstraint(condition=Q(kind__in=ActionKind.values), name="%(class)s_kind_known")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}" if self.value else str(self.get_kind_display())

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "subject": self.subject, "body": self.body}


class Trigger(models.Model):
    """Conditions checked when one of `events` happens to a ticket; actions when they hold."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    events = ArrayField(
        models.CharField(max_length=20, choices=Event.choices),
        verbose_name=_("events"),
        help_text=_("The trigger is checked when one of these happens."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Triggers run in this order."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="trigger_name_not_empty"),
            models.CheckConstraint(
                condition=Q(events__contained_by=Event.values) & ~Q(events=[]), name="trigger_events_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TriggerCondition(Condition):
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="conditions")

    class Meta(Condition.Meta):
        abstract = False


class TriggerAction(Action):
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="actions")

    class Meta(Action.Meta):
        abstract = False


class Clock(models.TextChoices):
    """What a time rule counts hours from."""

    CREATED = "created", pgettext_lazy("time rule clock", "Creation")
    UPDATED = "updated", pgettext_lazy("time rule clock", "Last update")
    STATUS_CHANGED = "status_changed", pgettext_lazy("time rule clock", "Last status change")
    CUSTOMER_MESSAGE = "customer_message", pgettext_lazy("time rule clock", "The customer's last message")
    AGENT_MESSAGE = "agent_message", pgettext_lazy("time rule clock", "An agent's last reply")


class TimeRule(models.Model):
    """Actions for tickets whose `clock` has run `hours` (business or calendar) and whose
    conditions hold; checked by a beat task, set-based, at most once per ticket per state."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    clock = models.CharField(_("hours since"), max_length=20, choices=Clock.choices)
    hours = models.PositiveIntegerField(_("hours"))
    business_hours = models.BooleanField(
        _("business hours"), default=False, help_text=_("Count only the hours of the business calendar.")
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business calendar"),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="time_rule_name_not_empty"),
            models.CheckConstraint(condition=Q(hours__gte=1), name="time_rule_hours_positive"),
            models.CheckConstraint(condition=Q(clock__in=Clock.values), name="time_rule_clock_known"),
        ]

    def __str__(self) -> str:
        return self.name


class TimeRuleCondition(Condition):
    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="conditions")

    class Meta(Condition.Meta):
        abstract = False


class TimeRuleAction(Action):
    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="actions")

    class Meta(Action.Meta):
        abstract = False


class RuleFiring(models.Model):
    """A time rule matched a ticket in one state (`stamp`: the moment its clock counts from).
    Unique, so a rule fires once per ticket per state however many passes run; `applied_at`
    is set in the transaction that carried out its actions."""

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    stamp = models.DateTimeField(_("state"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("time rule firing")
        verbose_name_plural = _("time rule firings")
        constraints = [models.UniqueConstraint(fields=["rule", "ticket", "stamp"], name="rule_firing_once")]
        indexes = [
            models.Index(fields=["created_at", "id"], name="rule_firing_pending_idx", condition=Q(applied_at=None)),
            models.Index(fields=["ticket"], name="rule_firing_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.ticket_id} ({self.stamp:%Y-%m-%d %H:%M})"


class Macro(models.Model):
    """A bundle of actions and an optional reply that an agent applies to a ticket in one step.

    Shared (no owner) or personal (an agent's own); a shared macro may be offered to one
    team's members only. Saved replies became macros that carry only a text."""

    name = models.CharField(_("name"), max_length=120)
    reply = models.TextField(
        _("reply"),
        blank=True,
        max_length=BODY_MAX,
        help_text=_("Sent as a public reply when the macro is applied; placeholders like {customer_name}."),
    )
    owner = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("owner"),
        help_text=_("Empty: shared."),
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("team"),
        help_text=_("Shared with this team's members only; empty: with everyone."),
    )
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Offered first for tickets of this category."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="macro_name_not_empty"),
            models.CheckConstraint(condition=Q(owner=None) | Q(team=None), name="macro_personal_or_team"),
            models.UniqueConstraint(fields=["name"], condition=Q(owner=None), name="macro_shared_name_unique"),
            models.UniqueConstraint(fields=["owner", "name"], name="macro_personal_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class MacroAction(Action):
    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="actions")

    class Meta(Action.Meta):
        abstract = False
