"""Saved views on the queue page: the list of an agent's views and the shared ones with their
counts (an htmx fragment, refreshed every minute, so the queue renders without waiting for
them), saving the current filters as a view, and a page to rename one, choose its columns,
move, share or delete it. The rules and the counting are tickets.saved_views'."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.decorators import agent_required
from agents.roles import is_supervisor
from tickets import saved_views as service
from tickets.models import (
    DEFAULT_QUEUE_COLUMNS,
    QUEUE_COLUMNS,
    SAVED_VIEW_NAME_MAX,
    SAVED_VIEW_POSITION_MAX,
    SAVED_VIEW_QUEUES,
    SAVED_VIEW_SORTS,
    Priority,
    SavedView,
    Status,
)

COLUMN_LABELS = {
    "number": "#",
    "subject": gettext_lazy("Subject"),
    "customer": gettext_lazy("Customer"),
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "age": gettext_lazy("Age"),
    "sla": gettext_lazy("SLA"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "updated": pgettext_lazy("queue column", "Updated"),
}
COLUMN_CHOICES = [(key, COLUMN_LABELS[key]) for key in QUEUE_COLUMNS]
HIDDEN = forms.HiddenInput


def _name_field() -> forms.CharField:
    return forms.CharField(label=gettext_lazy("Name"), max_length=SAVED_VIEW_NAME_MAX, strip=True)


def _columns_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=gettext_lazy("Columns"),
        choices=COLUMN_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The subject is always shown: it opens the ticket."),
        required=False,
    )


def _shared_field() -> forms.BooleanField:
    return forms.BooleanField(label=gettext_lazy("Shared with every agent"), required=False)


class SavedViewForm(forms.Form):
    """Save the queue's current view: its filters come as the queue URL names them."""

    name = _name_field()
    shared = _shared_field()
    columns = _columns_field()
    # The filters, as the queue URL names them, carried over from the queue (hidden).
    view = forms.ChoiceField(choices=[(key, key) for key in SAVED_VIEW_QUEUES], initial="open", widget=HIDDEN)
    status = forms.ChoiceField(choices=[("", ""), *Status.choices], required=False, widget=HIDDEN)
    priority = forms.ChoiceField(choices=[("", ""), *Priority.choices], required=False, widget=HIDDEN)
    category = forms.SlugField(max_length=50, required=False, widget=HIDDEN)
    assignee = forms.CharField(max_length=9, required=False, validators=[RegexValidator(r"^[0-9]*$")], widget=HIDDEN)
    team = forms.CharField(max_length=9, required=False, validators=[RegexValidator(r"^([0-9]*|none)$")], widget=HIDDEN)
    tag = forms.SlugField(max_length=50, required=False, allow_unicode=True, widget=HIDDEN)
    q = forms.CharField(max_length=200, required=False, widget=HIDDEN)
    sort = forms.ChoiceField(
        choices=[("", ""), *[(key, key) for key in SAVED_VIEW_SORTS]], required=False, widget=HIDDEN
    )

    def __init__(self, *args, supervisor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not supervisor:
            del self.fields["shared"]

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data
        values = {field: data.get(field) or "" for field in service.FILTER_FIELDS if field != "search"}
        return {**values, "search": data.get("q") or ""}


class SavedViewEditForm(forms.Form):
    name = _name_field()
    columns = _columns_field()
    position = forms.IntegerField(
        label=gettext_lazy("Position in the list"),
        min_value=0,
        max_value=SAVED_VIEW_POSITION_MAX,
        help_text=gettext_lazy("Lower numbers come first."),
    )
    shared = _shared_field()

    def __init__(self, *args, supervisor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not supervisor:
            del self.fields["shared"]


def _refused(form: forms.Form, refused: ValidationError | PermissionDenied) -> None:
    if isinstance(refused, PermissionDenied):
        form.add_error("shared" if "shared" in form.fields else None, str(refused))
    else:
        form.add_error(None, refused)


@dataclass(frozen=True)
class ListedView:
    """A saved view as the queue page lists it."""

    view: SavedView
    url: str
    count: str | None  # "1,234" / "1,000+"; None until the counts are loaded
    editable: bool  # the person may rename it, choose its columns, delete it


def _url(view: SavedView) -> str:
    return f"{reverse('agent:queue')}?{urlencode({'saved': view.pk, **view.query()})}"


def _count_label(count: int, exact: bool, estimated: bool = False) -> str:
    label = number_format(count, force_grouping=True)
    if estimated:  # the planner's estimate (tickets.saved_views: counting ran past its budget)
        return f"≈\u202f{label}"
    return label if exact else f"{label}+"


def queue_context(request: HttpRequest, *, view: str, filters: dict[str, str]) -> dict:
    """What the queue page shows of saved views: the list (without counts: the fragment
    brings them), the one opened (?saved=) and its columns, the form that saves the current
    filters. One statement: the list (the opened view is in it)."""
    user = request.user
    listed = list(service.saved_views_for(user))
    chosen = request.GET.get("saved", "")
    current = next((item for item in listed if str(item.pk) == chosen), None)
    columns = list(current.columns) if current else list(DEFAULT_QUEUE_COLUMNS)
    return {
        "saved_views": [ListedView(item, _url(item), None, service.may_change(user, item)) for item in listed],
        "saved_view": current,
        "saved_views_counted": False,
        "columns": columns,
        "column_choices": COLUMN_CHOICES,
        "may_share_views": is_supervisor(request.user),
        "saved_view_name_max": SAVED_VIEW_NAME_MAX,
        "count_limit": _count_label(settings.API_COUNT_LIMIT, True),
    }


@require_GET
@agent_required
def saved_view_counts(request: HttpRequest) -> HttpResponse:
    """The list of saved views with their counts (the fragment the queue page refreshes)."""
    user = request.user
    counted = service.saved_view_counts(user)
    context = {
        "saved_views": [
            ListedView(
                c.view, _url(c.view), _count_label(c.count, c.exact, c.estimated), service.may_change(user, c.view)
            )
            for c in counted
        ],
        "saved_view": next((c.view for c in counted if str(c.view.pk) == request.GET.get("current")), None),
        "saved_views_counted": True,
        "count_limit": _count_label(settings.API_COUNT_LIMIT, True),
    }
    return render(request, "tickets/agent/_saved_views.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def saved_view_new(request: HttpRequest) -> HttpResponse:
    """Save the current view (POST from the queue page); GET (and a refused POST) is the
    form as a page of its own."""
    supervisor = is_supervisor(request.user)
    if request.method == "GET":
        initial = {key: value for key, value in request.GET.items() if key in SavedViewForm.base_fields}
        form = SavedViewForm(initial={"columns": list(DEFAULT_QUEUE_COLUMNS), **initial}, supervisor=supervisor)
        return render(request, "tickets/agent/saved_view_new.html", {"form": form})
    form = SavedViewForm(request.POST, supervisor=supervisor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            view = service.saved_view_create(
                user=request.user,
                name=data["name"],
                shared=data.get("shared", False),
                queue=data["view"],
                filters=form.filters(),
                columns=data["columns"],
            )
        except (ValidationError, PermissionDenied) as refused:
            _refused(form, refused)
        else:
            messages.success(request, _("Saved view “%(name)s” created.") % {"name": view.name})
            return redirect(_url(view))
    return render(request, "tickets/agent/saved_view_new.html", {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
@agent_required
def saved_view_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a saved view, choose its columns, move it in the list, share it (supervisors)."""
    view = service.saved_view_for_user(request.user, pk)
    if not service.may_change(request.user, view):
        raise PermissionDenied(_("Only supervisors and admins may change a shared view."))
    supervisor = is_supervisor(request.user)
    status = 200
    if request.method == "POST":
        form = SavedViewEditForm(request.POST, supervisor=supervisor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.saved_view_update(
                    user=request.user,
                    view=view,
                    name=data["name"],
                    columns=data["columns"],
                    position=data["position"],
                    shared=data.get("shared") if supervisor else None,
                )
            except (ValidationError, PermissionDenied) as refused:
                _refused(form, refused)
            else:
                messages.success(request, _("Saved view “%(name)s” changed.") % {"name": view.name})
                return redirect(_url(view))
        status = 400
        view.refresh_from_db()
    else:
        initial = {"name": view.name, "columns": view.columns, "position": view.position, "shared": view.shared}
        form = SavedViewEditForm(initial=initial, supervisor=supervisor)
    return render(request, "tickets/agent/saved_view_edit.html", {"view": view, "form": form}, status=status)


@require_POST
@agent_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = service.saved_view_for_user(request.user, pk)
    service.saved_view_delete(user=request.user, view=view)
    messages.success(request, _("Saved view “%(name)s” deleted.") % {"name": view.name})
    return redirect("agent:queue")
