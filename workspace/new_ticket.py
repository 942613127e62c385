"""Tickets by phone: an agent opens a ticket for a customer who called or came to the desk,
choosing an existing customer profile (a type-ahead over customers; a plain search without
JavaScript) or entering a new one. Created through tickets.services, so due times,
triggers and history apply as for every other channel."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from agents.decorators import agent_required
from agents.models import Agent, Team, validate_email_shape
from agents.roles import actor_for, agent_for
from customers import selectors as customer_selectors
from customers.models import Customer
from tickets.assignment import AssignmentError, open_load
from tickets.models import DESCRIPTION_MAX, DESCRIPTION_MIN, SUBJECT_MAX, Category, Channel, Priority
from tickets.services import ticket_open_for_customer
from tickets.visibility import hidden_team_ids, may_see_team

# How many profiles the customer search offers: a name typed on the phone narrows it fast.
CHOICES_SHOWN = 8
NEW_CUSTOMER = "new"
ROUTED_TEAM = ""  # the team field's "the category's team"
NO_TEAM = "none"
ME = "me"


class NewTicketForm(forms.Form):
    """The ticket an agent opens for a customer. `customer` is a profile's id or "new" (then
    the name and address below are the customer's; the profile is made, or found by the
    address, by ticket_create)."""

    customer = forms.CharField(required=False)
    customer_name = forms.CharField(label=gettext_lazy("Name"), max_length=255, required=False)
    customer_email = forms.EmailField(
        label=gettext_lazy("Email"), max_length=254, required=False, validators=[validate_email_shape]
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("How the customer reached us"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX)
    description = forms.CharField(
        label=gettext_lazy("What the customer said"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=DESCRIPTION_MIN,
        max_length=DESCRIPTION_MAX,
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), to_field_name="slug", empty_label=None
    )
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    acknowledge = forms.BooleanField(
        label=gettext_lazy("Email the customer an acknowledgement with the ticket's private link"),
        required=False,
        initial=False,
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields, as the legends do
        super().__init__(*args, **kwargs)
        self.user = user
        hidden = hidden_team_ids(user)
        teams = Team.objects.order_by("name").only("id", "name")
        self.teams = {team.pk: team for team in teams if team.pk not in hidden}
        self.fields["team"].choices = [
            (ROUTED_TEAM, pgettext_lazy("new ticket's team", "The category's team")),
            (NO_TEAM, pgettext_lazy("new ticket's team", "No team")),
            *((str(pk), team.name) for pk, team in self.teams.items()),
        ]
        me = agent_for(user)
        agents = Agent.objects.annotate(load=open_load()).order_by("name").only("id", "name", "max_tickets")
        self.agents = {agent.pk: agent for agent in agents}
        choices = [(ME, pgettext_lazy("new ticket's assignee", "Me"))] if me is not None else []
        choices.append(("", pgettext_lazy("new ticket's assignee", "Nobody")))
        choices += [
            (str(agent.pk), f"{agent.name} ({agent.load}/{agent.max_tickets})")
            for agent in self.agents.values()
            if me is None or agent.pk != me.pk
        ]
        self.fields["assignee"].choices = choices
        self.fields["assignee"].initial = ME if me is not None else ""

    def clean_customer(self) -> Customer | None:
        chosen = self.cleaned_data["customer"].strip()
        if chosen in ("", NEW_CUSTOMER):
            return None
        customer = chosen_customer(chosen)
        if customer is None:
            raise forms.ValidationError(_("That customer no longer exists; search again or enter a new one."))
        return customer

    def clean_team(self) -> Team | str | None:
        chosen = self.cleaned_data["team"]
        if chosen == ROUTED_TEAM:
            return ROUTED_TEAM
        if chosen == NO_TEAM:
            return None
        return self.teams[int(chosen)]  # ChoiceField offered only these

    def clean_assignee(self) -> Agent | None:
        chosen = self.cleaned_data["assignee"]
        if chosen == ME:
            return agent_for(self.user)
        return self.agents[int(chosen)] if chosen else None

    def clean(self) -> dict:
        data = super().clean()
        new_customer = "customer" in data and data["customer"] is None
        if new_customer and not data.get("customer_email") and "customer_email" not in self.errors:
            self.add_error(
                "customer_email",
                _("Enter the new customer's email address, or choose an existing customer above."),
            )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        customer: Customer | None = data["customer"]
        arguments = {
            "customer_email": customer.email if customer else data["customer_email"],
            "customer_name": customer.name if customer else data["customer_name"].strip(),
            "channel": data["channel"],
            "subject": data["subject"].strip(),
            "description": data["description"].replace("\r\n", "\n"),
            "category": data["category"],
            "priority": data["priority"],
            "assignee": data["assignee"],
            "acknowledge": data["acknowledge"],
        }
        if data["team"] != ROUTED_TEAM:
            arguments["team"] = data["team"]
        return arguments


def chosen_customer(value: str) -> Customer | None:
    if not (value.isdigit() and len(value) <= 18):
        return None
    return customer_selectors.customers_list().filter(pk=int(value)).first()


def _customer_choices(request: HttpRequest, query: str, chosen: str) -> dict:
    """The profiles offered: the one chosen (kept when a new search does not find it) and up
    to CHOICES_SHOWN found by name, address or alias."""
    query = query.replace("\x00", "").strip()[:200]
    found = []
    if query:
        found = list(
            customer_selectors.by_name(customer_selectors.customers_search(customer_selectors.customers_list(), query))[
                :CHOICES_SHOWN
            ]
        )
    selected = chosen_customer(chosen)
    if selected is not None and all(customer.pk != selected.pk for customer in found):
        found.insert(0, selected)
    return {
        "q": query,
        "customers": found,
        "chosen": str(selected.pk) if selected else NEW_CUSTOMER,
    }


@require_http_methods(["GET", "POST"])
@agent_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    """GET: the empty form (?q= lists customers found, ?customer= chooses one). POST: open
    the ticket and go to its page, or show the form again with each error under its field."""
    if request.method == "GET":
        form = NewTicketForm(user=request.user)
        choices = _customer_choices(request, request.GET.get("q", ""), request.GET.get("customer", ""))
        return render(request, "tickets/agent/new_ticket.html", {"form": form, **choices})
    form = NewTicketForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            ticket = ticket_open_for_customer(actor=actor_for(request.user), **form.service_arguments())
        except AssignmentError as refused:
            form.add_error("assignee", str(refused))
        else:
            return _opened(request, ticket)
    choices = _customer_choices(request, request.POST.get("q", ""), request.POST.get("customer", ""))
    return render(request, "tickets/agent/new_ticket.html", {"form": form, **choices}, status=400)


def _opened(request: HttpRequest, ticket) -> HttpResponse:
    if not may_see_team(request.user, ticket.team_id):
        # Routed by its category to a restricted team the agent is not in: its page would be a 404.
        messages.success(
            request,
            _(
                "Ticket %(number)s opened for %(customer)s, in the team %(team)s; "
                "you are not in it, so you do not see it."
            )
            % {"number": ticket.number, "customer": ticket.customer_email, "team": ticket.team.name},
        )
        return redirect("agent:queue")
    opened = _("Ticket %(number)s opened for %(customer)s.")
    messages.success(request, opened % {"number": ticket.number, "customer": ticket.customer_email})
    return redirect("agent:ticket", pk=ticket.pk)


@require_GET
@agent_required
def customer_choices(request: HttpRequest) -> HttpResponse:
    """The type-ahead's answer: the customers found for ?q=, as the form's options (htmx)."""
    choices = _customer_choices(request, request.GET.get("q", ""), request.GET.get("customer", ""))
    return render(request, "tickets/agent/_customer_choices.html", choices)
