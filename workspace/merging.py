"""The ticket page's merge, links and split (issue 24, point 3).

- Merge: "Merge into…" on the ticket page asks for a ticket number; the merge page
  (GET) shows both tickets side by side and what will happen, and its button (POST) merges.
- Linked tickets: a sidebar box listing them, a form adding one by number, a button removing one.
- Split: each customer message has "Split into a new ticket", a page (GET) with the subject to
  give it, whose button (POST) splits.

Every ticket named here is read through tickets.selectors: a number of a ticket the agent may
not see is answered as a number of no ticket.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agents.decorators import agent_required
from agents.roles import actor_for
from tickets import selectors
from tickets.merging import (
    MergeRefused,
    SplitRefused,
    merge_refusal,
    message_split,
    same_customer,
    split_refusal,
    ticket_merge,
)
from tickets.models import SUBJECT_MAX, AuthorType, Message, Ticket
from tickets.related import LinkRefused, linked_tickets_for_user, ticket_link_add, ticket_link_remove

# A ticket number as typed: "42" or "#42" (at most 18 digits: a bigint).
NUMBER_MAX_DIGITS = 18


def parse_ticket_number(text: str) -> int | None:
    text = (text or "").strip().lstrip("#").strip()
    if not text.isdigit() or len(text) > NUMBER_MAX_DIGITS or int(text) == 0:
        return None
    return int(text)


class TicketNumberForm(forms.Form):
    """One ticket number, checked against what the agent may see."""

    ticket = forms.CharField(label=gettext_lazy("Ticket number"), max_length=40)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.found: Ticket | None = None

    def clean_ticket(self) -> str:
        text = self.cleaned_data["ticket"]
        number = parse_ticket_number(text)
        if number is None:
            raise forms.ValidationError(_("Enter a ticket number, like #42."))
        try:
            self.found = selectors.get_ticket_for_user(self.user, number, prefetch=False)
        except Http404:
            raise forms.ValidationError(_("No ticket #%(number)s that you can see.") % {"number": number}) from None
        return text


def merging_context(user, ticket: Ticket) -> dict:
    """What the ticket page's boxes show: the linked tickets the agent may see, and the
    ticket this one was merged into (when they may see it)."""
    merged_into = None
    if ticket.merged_into_id is not None:
        merged_into = selectors.tickets_for_user(user).filter(pk=ticket.merged_into_id).first()
    return {"linked_tickets": linked_tickets_for_user(user, ticket), "merged_into": merged_into}


# --- Merge ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ?ticket=<number>: the confirmation step (both tickets, what moves, who is told);
    a bad number is the form again, naming the field. POST (confirmed): merge, and go to
    the ticket that goes on."""
    source = selectors.get_ticket_for_user(request.user, pk)
    data = request.POST if request.method == "POST" else (request.GET if "ticket" in request.GET else None)
    form = TicketNumberForm(data, user=request.user)
    refusal = None
    target = None
    if form.is_valid():
        target = form.found
        refusal = merge_refusal(source=source, target=target, user=request.user)
        if refusal is None and request.method == "POST":
            try:
                merged = ticket_merge(source=source, target=target, actor=actor_for(request.user))
            except MergeRefused as refused:
                refusal = str(refused)
            else:
                said = [_("Ticket %(source)s was merged into this ticket and closed; the customer was told.")]
                if not same_customer(source, merged):
                    said.append(_("%(customer)s, the customer of %(source)s, is now copied on this ticket."))
                values = {"source": source.number, "customer": source.customer_email}
                messages.success(request, " ".join(said) % values)
                return redirect("agent:ticket", pk=merged.pk)
        if refusal is not None:
            form.add_error("ticket", refusal)
            target = None
    context = {
        "ticket": source,
        "form": form,
        "target": target,
        "other_customer": target is not None and not same_customer(source, target),
        "source_messages": Message.objects.filter(ticket=source).count(),
        "target_messages": Message.objects.filter(ticket=target).count() if target is not None else 0,
    }
    status = 400 if form.errors else 200
    return render(request, "tickets/agent/merge.html", context, status=status)


# --- Links ------------------------------------------------------------------------------


@require_POST
@agent_required
def ticket_link_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    form = TicketNumberForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Not linked: %(reason)s") % {"reason": " ".join(form.errors["ticket"])})
    else:
        try:
            added = ticket_link_add(ticket=ticket, other=form.found, actor=actor_for(request.user))
        except LinkRefused as refused:
            messages.error(request, _("Not linked: %(reason)s") % {"reason": refused})
        else:
            words = _("Linked to %(number)s.") if added else _("%(number)s is linked already.")
            messages.success(request, words % {"number": form.found.number})
    return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}#links-heading")


@require_POST
@agent_required
def ticket_link_remove_view(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    if ticket_link_remove(ticket=ticket, other_id=other, actor=actor_for(request.user)):
        messages.success(request, _("No longer linked to #%(number)s.") % {"number": other})
    return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}#links-heading")


# --- Split ------------------------------------------------------------------------------


class SplitForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject of the new ticket"), max_length=SUBJECT_MAX)


@require_http_methods(["GET", "POST"])
@agent_required
def message_split_view(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """GET: the message and the new ticket's subject (the original's to start with).
    POST: split it off, and go to the new ticket."""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    message = Message.objects.filter(ticket=ticket, pk=message_id, author_type=AuthorType.CUSTOMER).first()
    if message is None:
        raise Http404(_("No such message."))
    message.ticket = ticket
    refusal = split_refusal(message)
    if request.method == "POST":
        form = SplitForm(request.POST)
        if form.is_valid():
            try:
                new = message_split(
                    message=message, subject=form.cleaned_data["subject"], actor=actor_for(request.user)
                )
            except SplitRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(
                    request,
                    _("The message was split off %(number)s into this ticket; the two are linked.")
                    % {"number": ticket.number},
                )
                return redirect("agent:ticket", pk=new.pk)
    else:
        form = SplitForm(initial={"subject": ticket.subject})
    status = 400 if form.errors else 200
    context = {"ticket": ticket, "message": message, "form": form, "refusal": refusal}
    return render(request, "tickets/agent/split.html", context, status=status)
