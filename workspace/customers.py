"""The workspace's customer and organisation pages: a profile with all of its tickets the
agent may see (tickets.selectors.tickets_for_user), an organisation with its people and
tickets; agents edit and merge profiles, supervisors and admins edit organisations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents.decorators import agent_required
from agents.roles import actor_for, is_supervisor
from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Customer, Organization
from tickets import selectors
from tickets.models import ACTIVE_STATUSES
from workspace.customer_forms import CustomerForm, MergeForm, OrganizationForm

PAGE_SIZE = 25


def _clean(request: HttpRequest, key: str) -> str:
    return request.GET.get(key, "").replace("\x00", "").strip()[:200]


def _tickets_page(request: HttpRequest, tickets):
    """A page of `tickets` (newest first) and their open and total counts, in two statements
    besides the page's own."""
    counts = tickets.order_by().aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=ACTIVE_STATUSES)))
    page = Paginator(tickets.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return page, counts


@require_GET
@agent_required
def customer_list(request: HttpRequest) -> HttpResponse:
    query = _clean(request, "q")
    customers = customer_selectors.customers_search(customer_selectors.customers_list(), query)
    if request.GET.get("bouncing") == "1":
        customers = customers.filter(bouncing=True)
    organization = _clean(request, "organization")
    if organization.isdigit() and len(organization) <= 18:
        customers = customers.filter(organization_id=int(organization))
    page = Paginator(customer_selectors.by_name(customers), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    bouncing = request.GET.get("bouncing") == "1"
    context = {
        "page": page,
        "q": query,
        "bouncing": bouncing,
        "organization": organization.isdigit(),
        "querystring": params.urlencode(),
    }
    return render(request, "customers/agent/customer_list.html", context)


def _customer_context(request: HttpRequest, customer: Customer, **forms) -> dict:
    tickets = selectors.tickets_for_user(request.user).filter(customer=customer)
    page, counts = _tickets_page(request, tickets)
    return {
        "customer": customer,
        "page": page,
        "counts": counts,
        "form": forms.get("form") or CustomerForm.for_customer(customer),
        "merge_form": forms.get("merge_form") or MergeForm(prefix="merge"),
    }


@require_GET
@agent_required
def customer_page(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(customer_selectors.customers_list(), pk=pk)
    return render(request, "customers/agent/customer.html", _customer_context(request, customer))


@require_POST
@agent_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(customer_selectors.customers_list(), pk=pk)
    form = CustomerForm.for_customer(customer, request.POST)
    if form.is_valid():
        try:
            customer_services.customer_update(customer=customer, actor=actor_for(request.user), **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("agent:customer", pk=customer.pk)
    context = _customer_context(request, customer, form=form)
    return render(request, "customers/agent/customer.html", context, status=400)


@require_POST
@agent_required
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(customer_selectors.customers_list(), pk=pk)
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid():
        target = customer_services.customer_by_address(form.cleaned_data["into"])
        if target is None:
            form.add_error("into", _("No customer has this address."))
        else:
            try:
                merged = customer_services.customer_merge(source=source, target=target, actor=actor_for(request.user))
            except ValidationError as refused:
                form.add_error("into", refused.message_dict.get("into", refused.messages))
            else:
                messages.success(request, _("%(source)s was merged into this profile.") % {"source": source.email})
                return redirect("agent:customer", pk=merged.pk)
    form.data = form.data.copy()  # shown again unticked: the next try is confirmed afresh
    form.data.pop(form.add_prefix("confirm"), None)
    context = _customer_context(request, source, merge_form=form)
    return render(request, "customers/agent/customer.html", context, status=400)


# --- Organisations ----------------------------------------------------------------------


def _supervisor(request: HttpRequest) -> None:
    if not is_supervisor(request.user):
        raise PermissionDenied(_("Only supervisors and admins can change organisations."))


@require_GET
@agent_required
def organization_list(request: HttpRequest) -> HttpResponse:
    query = _clean(request, "q")
    organizations = customer_selectors.organizations_search(customer_selectors.organizations_list(), query)
    page = Paginator(organizations.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "q": query,
        "querystring": params.urlencode(),
        "supervisor": is_supervisor(request.user),
        "form": OrganizationForm.for_organization(None),
    }
    return render(request, "customers/agent/organization_list.html", context)


@require_POST
@agent_required
def organization_new(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    form = OrganizationForm.for_organization(None, request.POST)
    if form.is_valid():
        try:
            organization = customer_services.organization_save(actor=actor_for(request.user), **form.changes())
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("Organisation created."))
            return redirect("agent:organization", pk=organization.pk)
    organizations = customer_selectors.organizations_list().order_by("name")
    context = {
        "page": Paginator(organizations, PAGE_SIZE).get_page(1),
        "q": "",
        "querystring": "",
        "supervisor": True,
        "form": form,
    }
    return render(request, "customers/agent/organization_list.html", context, status=400)


def _add_errors(form, refused: ValidationError) -> None:
    for field, errors in refused.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _organization_context(request: HttpRequest, organization: Organization, form=None) -> dict:
    tickets = selectors.tickets_for_user(request.user).filter(customer__organization=organization)
    page, counts = _tickets_page(request, tickets)
    customers = customer_selectors.by_name(organization.customers.all())
    return {
        "organization": organization,
        "customers": customers[:50],
        "customers_count": customers.count(),
        "page": page,
        "counts": counts,
        "supervisor": is_supervisor(request.user),
        "form": form or OrganizationForm.for_organization(organization),
    }


@require_GET
@agent_required
def organization_page(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    return render(request, "customers/agent/organization.html", _organization_context(request, organization))


@require_POST
@agent_required
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    organization = get_object_or_404(Organization, pk=pk)
    form = OrganizationForm.for_organization(organization, request.POST)
    if form.is_valid():
        try:
            customer_services.organization_save(
                organization=organization, actor=actor_for(request.user), **form.changes()
            )
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("agent:organization", pk=organization.pk)
    context = _organization_context(request, organization, form=form)
    return render(request, "customers/agent/organization.html", context, status=400)


@require_POST
@agent_required
def organization_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    organization = get_object_or_404(Organization, pk=pk)
    customer_services.organization_delete(organization=organization, actor=actor_for(request.user))
    messages.success(request, _("Organisation %(name)s deleted; its customers stay.") % {"name": organization.name})
    return redirect("agent:organizations")
