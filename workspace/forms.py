from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.core.validators import slug_unicode_re as unicode_slug_re
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.models import Team
from tickets.forms import MultipleFileField
from tickets.models import BODY_MAX, Category, Priority, Ticket
from tickets.state_machine import allowed_targets


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 7}),
        validators=[MaxLengthValidator(BODY_MAX)],
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (only agents see it)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"))


class TicketChangeForm(forms.Form):
    """Status, priority, category, team and tags. Only the statuses the ticket may move to are
    offered. A new category leaves the team as it is (routing is on creation only)."""

    status = forms.ChoiceField(label=gettext_lazy("Status"))
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), to_field_name="slug", empty_label=None
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.only("id", "name"),
        required=False,
        empty_label=gettext_lazy("No team"),
        help_text=gettext_lazy("An assignee outside the new team is unassigned."),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False, help_text=gettext_lazy("Comma-separated"), max_length=500
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "category": ticket.category.slug,
                "team": ticket.team_id,
                "tags": ", ".join(ticket.tag_names()),
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        labels = dict(Ticket.Status.choices)
        # Translators: the ticket's present status among those it may move to.
        choices = [(ticket.status, _("%(status)s (current)") % {"status": labels[ticket.status]})]
        choices += [(status, labels[status]) for status in allowed_targets(ticket.status)]
        self.fields["status"].choices = choices

    def clean_tags(self) -> list[str]:
        tags = [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
        for tag in tags:
            if len(tag) > 50 or not unicode_slug_re.match(tag):
                raise forms.ValidationError(
                    _("%(tag)s: use up to 50 letters, digits, hyphens and underscores.") % {"tag": repr(tag)}
                )
        return tags

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "priority": data["priority"],
            "category": data["category"],
            "team": data["team"],
            "tags": data["tags"],
        }


class AssignForm(forms.Form):
    """Agents at capacity are shown but cannot be chosen, except by supervisors (override)."""

    def __init__(self, *args, agents, ticket: Ticket, supervisor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = [
            {
                "id": agent.pk,
                "label": f"{agent.name} ({agent.load}/{agent.max_tickets})",
                "full": agent.load >= agent.max_tickets and agent.pk != ticket.assigned_agent_id,
                "selected": agent.pk == ticket.assigned_agent_id,
            }
            for agent in agents
        ]
        self.supervisor = supervisor
