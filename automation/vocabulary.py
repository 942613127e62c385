"""What conditions and actions may say, and the check every one passes on save.

`condition_errors` and `action_errors` answer a list of messages for one part (empty: it is
fine); admin forms and API serializers put them under the part they name. Values are the
words people use: a status or priority code, a category's slug, a team's or organisation's
name, an agent's username, tag names separated by commas. A renamed team or category no
longer matches a condition naming the old one: the check refuses a name that does not exist
when the rule is saved, not later.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.models import Agent, Team
from automation.models import ActionKind, Field, Operator
from automation.placeholders import check as check_placeholders
from customers.models import Organization
from notifications.models import Webhook
from tickets.models import Category, Channel, Priority, Status

Op = Operator
CHANGES = (Op.CHANGED, Op.CHANGED_FROM, Op.CHANGED_TO)

# The operators each field takes.
OPERATORS: dict[str, tuple[str, ...]] = {
    Field.STATUS: (Op.IS, Op.IS_NOT, *CHANGES),
    Field.PRIORITY: (Op.IS, Op.IS_NOT, *CHANGES),
    Field.CATEGORY: (Op.IS, Op.IS_NOT, *CHANGES),
    Field.TEAM: (Op.IS, Op.IS_NOT, Op.IS_SET, Op.NOT_SET, *CHANGES),
    Field.CHANNEL: (Op.IS, Op.IS_NOT),
    Field.TAGS: (Op.INCLUDES, Op.EXCLUDES),
    Field.CUSTOMER_EMAIL: (Op.IS, Op.IS_NOT, Op.CONTAINS, Op.ENDS_WITH),
    Field.CUSTOMER_DOMAIN: (Op.IS, Op.IS_NOT),
    Field.ORGANIZATION: (Op.IS, Op.IS_NOT, Op.IS_SET, Op.NOT_SET),
    Field.SUBJECT: (Op.CONTAINS, Op.NOT_CONTAINS),
    Field.BODY: (Op.CONTAINS, Op.NOT_CONTAINS),
    Field.BUSINESS_HOURS: (Op.IS,),
    Field.ASSIGNEE: (Op.IS, Op.IS_NOT, Op.IS_SET, Op.NOT_SET, Op.CHANGED),
}
NO_VALUE = (Op.IS_SET, Op.NOT_SET, Op.CHANGED)
YES, NO = "yes", "no"


def _one_of(value: str, allowed) -> list[str]:
    if value in allowed:
        return []
    return [_("“%(value)s” is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(allowed)}]


def _value_errors(field: str, value: str) -> list[str]:
    """Whether `value` names something that exists, for `field`."""
    if field == Field.STATUS:
        return _one_of(value, Status.values)
    if field == Field.PRIORITY:
        return _one_of(value, Priority.values)
    if field == Field.CHANNEL:
        return _one_of(value, Channel.values)
    if field == Field.CATEGORY:
        if not Category.objects.filter(slug=value).exists():
            return [_("No category has the slug “%(value)s”.") % {"value": value}]
    elif field == Field.TEAM:
        if not Team.objects.filter(name__iexact=value).exists():
            return [_("No team is named “%(value)s”.") % {"value": value}]
    elif field == Field.ORGANIZATION:
        if not Organization.objects.filter(name__iexact=value).exists():
            return [_("No organisation is named “%(value)s”.") % {"value": value}]
    elif field == Field.ASSIGNEE:
        if not Agent.objects.filter(user__username__iexact=value).exists():
            return [_("No agent has the username “%(value)s”.") % {"value": value}]
    elif field == Field.BUSINESS_HOURS:
        return _one_of(value, (YES, NO))
    elif field == Field.TAGS:
        return tag_errors(value)
    return []


def condition_errors(field: str, operator: str, value: str) -> dict[str, list[str]]:
    """Errors by the part they concern ("field", "operator", "value")."""
    if field not in Field.values:
        return {"field": _one_of(field, Field.values)}
    allowed = OPERATORS[field]
    if operator not in allowed:
        return {
            "operator": [
                _("“%(operator)s” does not apply to %(field)s; use one of: %(allowed)s.")
                % {"operator": operator, "field": field, "allowed": ", ".join(allowed)}
            ]
        }
    value = (value or "").strip()
    if operator in NO_VALUE:
        return {"value": [_("Leave the value empty for “%(operator)s”.") % {"operator": operator}]} if value else {}
    if not value:
        return {"value": [_("Enter a value.")]}
    if operator in (Op.CONTAINS, Op.NOT_CONTAINS, Op.ENDS_WITH) or field in (
        Field.CUSTOMER_EMAIL,
        Field.CUSTOMER_DOMAIN,
    ):
        return {}
    errors = _value_errors(field, value)
    return {"value": errors} if errors else {}


def tag_names(value: str) -> list[str]:
    return [name.strip().lower() for name in (value or "").split(",") if name.strip()]


def tag_errors(value: str) -> list[str]:
    names = tag_names(value)
    if not names:
        return [_("Enter one or more tags, separated by commas.")]
    bad = [name for name in names if slugify(name, allow_unicode=True) != name or len(name) > 50]
    if bad:
        return [_("Tags are single words of letters, digits, - and _: %(bad)s.") % {"bad": ", ".join(bad)}]
    return []


NOTIFY_WHO = ("assignee", "team", "followers")


def webhook_exists(pk: int) -> bool:
    return Webhook.objects.filter(pk=pk).exists()


def action_errors(
    kind: str, value: str, subject: str, body: str, *, webhook_exists=webhook_exists
) -> dict[str, list[str]]:
    """Errors by the part they concern ("kind", "value", "subject", "body")."""
    K = ActionKind
    if kind not in K.values:
        return {"kind": _one_of(kind, K.values)}
    value = (value or "").strip()
    errors: dict[str, list[str]] = {}

    def need(part: str, text: str) -> None:
        if not (text or "").strip():
            errors.setdefault(part, []).append(_("Enter a text."))
        elif (problem := check_placeholders(text)) is not None:
            errors.setdefault(part, []).append(problem)

    if kind == K.SET_STATUS:
        problems = _one_of(value, Status.values)
    elif kind == K.SET_PRIORITY:
        problems = _one_of(value, Priority.values)
    elif kind == K.SET_CATEGORY:
        problems = _value_errors(Field.CATEGORY, value)
    elif kind == K.SET_TEAM:  # empty: no team
        problems = _value_errors(Field.TEAM, value) if value else []
    elif kind == K.SET_ASSIGNEE:  # empty: nobody
        problems = _value_errors(Field.ASSIGNEE, value) if value else []
    elif kind in (K.ADD_TAGS, K.REMOVE_TAGS):
        problems = tag_errors(value)
    elif kind == K.EMAIL_ADDRESS:
        try:
            validate_email(value)
            problems = []
        except ValidationError:
            problems = [_("Enter an email address like name@example.com.")]
    elif kind == K.CALL_WEBHOOK:
        if not value.isdigit() or (webhook_exists is not None and not webhook_exists(int(value))):
            problems = [_("Enter the number of an existing webhook.")]
        else:
            problems = []
    elif kind == K.NOTIFY:
        known = (
            value in NOTIFY_WHO or get_user_model().objects.filter(username__iexact=value, agent__isnull=False).exists()
        )
        problems = [] if known else [_("Notify assignee, team, followers, or an agent's username.")]
    else:
        problems = []
    if problems:
        errors["value"] = problems
    if kind in (K.EMAIL_CUSTOMER, K.EMAIL_ASSIGNEE, K.EMAIL_TEAM, K.EMAIL_ADDRESS):
        need("subject", subject)
        need("body", body)
    elif kind in (K.ADD_NOTE, K.NOTIFY):
        need("body", body)
    return errors


def flatten(prefix: str, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """`{"value": [...]}` of part 2 of `conditions` as `{"conditions[2].value": [...]}`."""
    return {f"{prefix}.{part}": messages for part, messages in errors.items()}


# --- time rules ---------------------------------------------------------------------------

# What a time rule's conditions may say: what its pass (automation.queries) asks of the
# tickets table in SQL, for every candidate ticket at once. Business hours (the pass's
# moment, not the ticket's), the message text (no message is at hand) and the "changed"
# operators (a pass sees no change) are for triggers only.
TIME_RULE_OPERATORS: dict[str, tuple[str, ...]] = {
    field: tuple(op for op in operators if op not in CHANGES)
    for field, operators in OPERATORS.items()
    if field not in (Field.BODY, Field.BUSINESS_HOURS)
}
TIME_RULE_FIELDS = tuple(TIME_RULE_OPERATORS)


def time_rule_condition_errors(field: str, operator: str, value: str) -> dict[str, list[str]]:
    """condition_errors, and what a time rule cannot check (a trigger's condition)."""
    if field in Field.values and field not in TIME_RULE_OPERATORS:
        return {
            "field": [
                _("“%(field)s” is a trigger's condition; a time rule can check: %(allowed)s.")
                % {"field": field, "allowed": ", ".join(TIME_RULE_FIELDS)}
            ]
        }
    if field in TIME_RULE_OPERATORS and operator in OPERATORS[field] and operator not in TIME_RULE_OPERATORS[field]:
        return {
            "operator": [
                _("“%(operator)s” is a trigger's operator; for %(field)s a time rule can use: %(allowed)s.")
                % {"operator": operator, "field": field, "allowed": ", ".join(TIME_RULE_OPERATORS[field])}
            ]
        }
    return condition_errors(field, operator, value)


def time_rule_errors(*, business_hours: bool, calendar) -> dict[str, list[str]]:
    """The rule's own fields: business hours are counted in a calendar."""
    if business_hours and calendar is None:
        return {"calendar": [_("Choose the business calendar whose hours count.")]}
    return {}
