"""Bulk changes in the queue (issue 24, point 1): the bar's form, what the queue page needs for
it, the view that makes and runs the job, and the job's progress and summary page.

The queue's rows carry checkboxes of the bar's form (`form="bulk-form"`), so the table stays
where it is and the form works without JavaScript; static/js/bulk.js adds "select all on
this page" and the offer of every ticket that matches across pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.validators import slug_unicode_re
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agents.decorators import agent_required
from agents.models import Agent, Team
from agents.roles import agent_for
from automation.macros import macros_for
from automation.models import Macro
from tickets import selectors
from tickets.bulk import KEEP, NOBODY, BulkChanges
from tickets.models import BulkResult, Category, Priority, Status
from workspace.bulk_jobs import (
    bulk_job_create,
    bulk_job_for_user,
    bulk_job_progress,
    bulk_job_resumable,
    bulk_job_run,
    runs_in_background,
)
from workspace.criteria import queue_criteria
from workspace.tasks import run_bulk_job

# "All that match" carries the queue's view and filters in fields named apart from the bar's own.
QUEUE_PREFIX = "queue-"
SUMMARY_LINES = 500  # refused (and changed) tickets listed on the summary; the counts say the rest


def queue_url(view: str, filters: dict[str, str]) -> str:
    query = {"view": view, **{key: value for key, value in filters.items() if value}}
    return f"{reverse('agent:queue')}?{urlencode(query)}"


def bulk_context(request: HttpRequest) -> dict:
    """What the queue page's bulk bar offers besides the queue's own choices: the agent's macros."""
    return {
        "bulk_macros": list(macros_for(agent_for(request.user)).select_related(None).only("id", "name")),
        "bulk_max": settings.BULK_MAX_TICKETS,
    }


def _id_choice(value: str, *, model, label: str) -> str:
    if value in (KEEP, NOBODY):
        return value
    if not (value.isdigit() and len(value) <= 9 and model.objects.filter(pk=int(value)).exists()):
        raise forms.ValidationError(_("Choose one of the %(things)s offered.") % {"things": label})
    return value


def _tags(value: str) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(tag.strip().lower() for tag in value.split(",") if tag.strip()))
    for tag in tags:
        if len(tag) > 50 or not slug_unicode_re.match(tag):
            raise forms.ValidationError(
                _("%(tag)s: use up to 50 letters, digits, hyphens and underscores.") % {"tag": repr(tag)}
            )
    return tags


class BulkForm(forms.Form):
    """The bar: which tickets (those ticked, or all that match the queue's filters) and what
    to change; a field left empty is not changed."""

    scope = forms.ChoiceField(
        label=gettext_lazy("Tickets"),
        required=False,
        choices=[("", gettext_lazy("Those selected")), ("all", gettext_lazy("All that match"))],
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[("", ""), *Status.choices])
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False, choices=[("", ""), *Priority.choices])
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), required=False, queryset=Category.objects.all(), to_field_name="slug"
    )
    team = forms.CharField(label=gettext_lazy("Team"), required=False, max_length=9)
    assignee = forms.CharField(label=gettext_lazy("Assignee"), required=False, max_length=9)
    add_tags = forms.CharField(label=gettext_lazy("Add tags"), required=False, max_length=500)
    remove_tags = forms.CharField(label=gettext_lazy("Remove tags"), required=False, max_length=500)
    macro = forms.CharField(label=gettext_lazy("Macro"), required=False, max_length=18)

    def __init__(self, *args, user, view: str, filters: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.view, self.filters = user, view, filters

    def clean_team(self) -> str:
        return _id_choice(self.cleaned_data["team"], model=Team, label=_("teams"))

    def clean_assignee(self) -> str:
        return _id_choice(self.cleaned_data["assignee"], model=Agent, label=_("agents"))

    def clean_add_tags(self) -> tuple[str, ...]:
        return _tags(self.cleaned_data["add_tags"])

    def clean_remove_tags(self) -> tuple[str, ...]:
        return _tags(self.cleaned_data["remove_tags"])

    def clean_macro(self):
        value = self.cleaned_data["macro"]
        if not value:
            return None
        macro = macros_for(agent_for(self.user)).filter(pk=int(value)).first() if value.isdigit() else None
        if macro is None:
            raise forms.ValidationError(_("Choose one of the macros offered to you."))
        return macro

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        changes = self.changes()
        if changes.is_empty() and data.get("macro") is None:
            raise forms.ValidationError(_("Choose at least one change to make."))
        data["ticket_ids"] = self._ticket_ids()
        return data

    def _ticket_ids(self) -> list[int]:
        limit = settings.BULK_MAX_TICKETS
        if self.cleaned_data.get("scope") == "all":
            tickets = selectors.tickets_for_queue(user=self.user, view=self.view, filters=self.filters)
            ids = list(tickets.values_list("pk", flat=True)[: limit + 1])
            if len(ids) > limit:
                self.add_error(
                    "scope",
                    _("More than %(limit)d tickets match; narrow the filters to change them at once.")
                    % {"limit": limit},
                )
            elif not ids:
                self.add_error("scope", _("No ticket matches the filters."))
            return ids
        chosen = self.data.getlist("ticket") if hasattr(self.data, "getlist") else []
        if not chosen:
            self.add_error(None, _("Select at least one ticket."))
        elif len(chosen) > limit:
            self.add_error(None, _("At most %(limit)d tickets can be changed at once.") % {"limit": limit})
        elif not all(value.isdigit() and len(value) <= 18 for value in chosen):
            self.add_error(None, _("The tickets selected are not valid ticket numbers."))
        else:
            return [int(value) for value in chosen]
        return []

    def changes(self) -> BulkChanges:
        data = self.cleaned_data
        category = data.get("category")
        return BulkChanges(
            status=data.get("status") or KEEP,
            priority=data.get("priority") or KEEP,
            category=category.slug if category is not None else KEEP,
            team=data.get("team") or KEEP,
            assignee=data.get("assignee") or KEEP,
            add_tags=data.get("add_tags") or (),
            remove_tags=data.get("remove_tags") or (),
        )


@require_POST
@agent_required
def bulk_apply_view(request: HttpRequest) -> HttpResponse:
    """Make the bulk change: run in the request up to BULK_INLINE_MAX tickets, else queued
    as one task; either way on to its page (the summary, or the progress until then)."""
    view, filters = queue_criteria(request.POST, request.user, prefix=QUEUE_PREFIX)
    form = BulkForm(request.POST, user=request.user, view=view, filters=filters)
    if not form.is_valid():
        context = {"form": form, "back": queue_url(view, filters)}
        return render(request, "tickets/agent/bulk_invalid.html", context, status=400)
    job = bulk_job_create(
        user=request.user,
        changes=form.changes(),
        macro=form.cleaned_data["macro"],
        ticket_ids=form.cleaned_data["ticket_ids"],
    )
    if runs_in_background(job):
        # The task reads the committed job: one sent before the commit could miss it.
        transaction.on_commit(lambda: run_bulk_job.delay(job.pk))
    else:
        bulk_job_run(job_id=job.pk)
    back = urlencode({"view": view, **{key: value for key, value in filters.items() if value}})
    return redirect(f"{reverse('agent:bulk-job', args=[job.pk])}?{back}")


def asked(job) -> list[str]:
    """What the job was asked to do, in words: "Priority: High", "Team: No team"..."""
    changes = BulkChanges.from_json(job.changes)
    said: list[tuple[str, str]] = []
    if changes.status:
        said.append((_("Status"), Status(changes.status).label))
    if changes.priority:
        said.append((_("Priority"), Priority(changes.priority).label))
    if changes.category:
        category = Category.objects.filter(slug=changes.category).first()
        said.append((_("Category"), category.name if category else changes.category))
    if changes.team:
        team = Team.objects.filter(pk=int(changes.team)).first() if changes.team != NOBODY else None
        said.append((_("Team"), team.name if team else _("No team")))
    if changes.assignee:
        agent = Agent.objects.filter(pk=int(changes.assignee)).first() if changes.assignee != NOBODY else None
        said.append((_("Assignee"), agent.name if agent else _("Nobody (unassign)")))
    if changes.add_tags:
        said.append((_("Add tags"), ", ".join(changes.add_tags)))
    if changes.remove_tags:
        said.append((_("Remove tags"), ", ".join(changes.remove_tags)))
    if job.changes.get("macro"):
        name = Macro.objects.filter(pk=job.changes["macro"]).values_list("name", flat=True).first()
        said.append((_("Macro"), name or "—"))
    return [_("%(field)s: %(value)s") % {"field": field, "value": value} for field, value in said]


@require_GET
@agent_required
def bulk_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A bulk change's progress (polled by htmx until it is done), then its summary."""
    job = bulk_job_for_user(request.user, pk)
    view, filters = queue_criteria(request.GET, request.user)
    progress = bulk_job_progress(job)
    results = []
    if job.state == job.State.DONE:
        results = list(
            job.results.exclude(outcome=BulkResult.Outcome.UNCHANGED).order_by("outcome", "id")[:SUMMARY_LINES]
        )
        # Subjects of the tickets the agent may still see; the others are listed by number only.
        subjects = dict(
            selectors.tickets_for_user(request.user)
            .filter(pk__in=[result.ticket_id for result in results])
            .values_list("pk", "subject")
        )
        for result in results:
            result.subject = subjects.get(result.ticket_id)
    context = {
        "job": job,
        "asked": asked(job),
        "progress": progress,
        "percent": round(100 * progress["done"] / job.total) if job.total else 100,
        "refused": [result for result in results if result.outcome == BulkResult.Outcome.REFUSED],
        "changed": [result for result in results if result.outcome == BulkResult.Outcome.CHANGED],
        "back": queue_url(view, filters),
        "querystring": request.GET.urlencode(),
        "resumable": bulk_job_resumable(job),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "tickets/agent/_bulk_job.html", context)
    return render(request, "tickets/agent/bulk_job.html", context)


@require_POST
@agent_required
def bulk_job_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue again a job whose worker was lost (it skips the tickets already done)."""
    job = bulk_job_for_user(request.user, pk)
    if bulk_job_resumable(job):
        transaction.on_commit(lambda: run_bulk_job.delay(job.pk))
    return redirect(f"{reverse('agent:bulk-job', args=[job.pk])}?{request.GET.urlencode()}")
