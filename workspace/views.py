"""The agent workspace: the queue and the ticket page, server-rendered, htmx for refreshes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from agents.decorators import agent_required
from agents.models import Agent, Team
from agents.roles import actor_for, agent_for, is_supervisor
from automation.macros import macro_apply, macro_preview, macros_for, offered_macro
from automation.models import Macro
from automation.placeholders import render as render_placeholders
from core.paging import CappedPaginator
from customers.models import Customer
from knowledge.models import Article
from knowledge.views import suggestions_for
from mail.models import BouncedAddress, InboundEmail, Outcome
from sla.badges import ticket_clock, ticket_clocks
from tickets import selectors, services
from tickets.assignment import AssignmentError, open_load, ticket_assign
from tickets.models import BODY_MAX, Category, Message, Priority, Status, Ticket, TicketEvent
from tickets.services import TicketClosed, ticket_rotate_link
from tickets.state_machine import IllegalTransition, allowed_targets
from tickets.visibility import agents_who_may_see, may_see_team
from workspace import presence
from workspace.bulk import bulk_context
from workspace.criteria import queue_criteria
from workspace.customer_forms import TicketCustomerForm
from workspace.forms import AssignForm, ReplyForm, TicketChangeForm
from workspace.merging import merging_context
from workspace.people import people_context
from workspace.saved_views import queue_context as saved_views_context

QUEUE_PAGE_SIZE = 25


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    view, filters = queue_criteria(request.GET, request.user)
    tickets = selectors.tickets_for_queue(user=request.user, view=view, filters=filters)
    page = CappedPaginator(tickets, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.read_lists(list(page.object_list))
    rows = [(ticket, ticket_clock(ticket)) for ticket in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "view": view,
        "views": selectors.QUEUE_VIEWS,
        "view_label": selectors.QUEUE_VIEWS[view],
        "filters": filters,
        "page": page,
        "rows": rows,
        "querystring": query.urlencode(),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "categories": Category.objects.all(),
        "agents": Agent.objects.order_by("name").only("id", "name"),
        "teams": Team.objects.order_by("name").only("id", "name"),
        "sorts": [
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("updated", _("Recently updated")),
            ("priority", _("Priority")),
            ("due", _("Due soonest")),
        ],
        **saved_views_context(request, view=view, filters=filters),
    }
    if is_htmx(request):
        return render(request, "tickets/agent/_queue_table.html", context)
    return render(request, "tickets/agent/queue.html", {**context, **bulk_context(request)})


def _ticket_context(request: HttpRequest, ticket: Ticket, **extra) -> dict:
    user = request.user
    agent = agent_for(user)
    conversation = list(selectors.visible_messages(user).filter(ticket=ticket))
    macro_query, macros = _macros(request, agent, ticket)
    preview = extra.pop("macro_preview", None)
    chosen = request.GET.get("macro", "")
    if preview is None and chosen.isdigit() and len(chosen) <= 18 and ticket.status != Status.CLOSED:
        # Without JavaScript the picker's form asks the page itself for the preview.
        macro = macros_for(agent, ticket).filter(pk=int(chosen)).first()
        if macro is not None:
            preview = macro_preview(macro=macro, ticket=ticket, agent=agent, agent_name=_agent_name(request))
    prefill = _prefill(request, ticket, agent_name=agent.name if agent else user.get_username())
    # Only who may see the ticket can be given it (a restricted team's: its members).
    agents = agents_who_may_see(Agent.objects.all(), ticket.team_id).annotate(load=open_load()).order_by("name")
    last_public = max((m.pk for m in conversation if not m.internal), default=0)
    events = list(ticket.events.select_related("actor_user"))
    return {
        "ticket": ticket,
        "conversation": conversation,
        "ticket_attachments": ticket.own_attachments(),
        "events": events,
        # Which triggers, time rules and macros acted on it, newest first (the history has each).
        "automation_events": [event for event in reversed(events) if event.kind == TicketEvent.Kind.AUTOMATION],
        "clocks": ticket_clocks(ticket),
        "allowed_statuses": allowed_targets(ticket.status),
        "change_form": extra.pop("change_form", None) or TicketChangeForm(ticket=ticket),
        "reply_form": extra.pop("reply_form", None) or ReplyForm(initial={"body": prefill}),
        "assign_form": AssignForm(agents=agents, ticket=ticket, supervisor=is_supervisor(user)),
        "supervisor": is_supervisor(user),
        "other_tickets": _other_tickets(user, ticket),
        "customer_profile": _profile(ticket),
        "customer_form": extra.pop("customer_form", None) or TicketCustomerForm(),
        "articles": suggestions_for(ticket.subject),
        "macros": macros,
        "macro_query": macro_query,
        "macro_preview": preview,
        "last_public": last_public,
        "my_agent_id": agent.pk if agent else None,
        **_email_context(ticket, conversation),
        **people_context(ticket, agent, conversation),
        **merging_context(user, ticket),
        **extra,
    }


def _other_tickets(user, ticket: Ticket) -> list[Ticket]:
    """The newest ten other tickets of the ticket's customer that `user` may see: those of its
    profile (whichever of the person's addresses they were written to), or, for a ticket
    without one, those written to its address."""
    tickets = selectors.tickets_for_user(user)
    if ticket.customer_id is not None:
        tickets = tickets.filter(customer_id=ticket.customer_id)
    else:
        tickets = tickets.filter(customer_email__iexact=ticket.customer_email)
    return list(tickets.exclude(pk=ticket.pk).order_by("-created_at", "-id")[:10])


def _profile(ticket: Ticket) -> Customer | None:
    """The ticket's customer profile with its organisation (one statement), for the sidebar."""
    if ticket.customer_id is None:
        return None
    return (
        Customer.objects.select_related("organization")
        .only("id", "email", "name", "bouncing", "organization__id", "organization__name", "organization__vip")
        .filter(pk=ticket.customer_id)
        .first()
    )


def _email_context(ticket: Ticket, conversation: list[Message]) -> dict:
    """What the page shows of email, in two queries whatever the conversation's length: the
    email that opened the ticket and each email message's original (the ledger's rows of this
    ticket; read only when there is email on it), and whether mail to the customer bounces.
    Each message is given `original_id`, the ledger row to download it from."""
    opened_by = None
    originals: dict[int, int] = {}
    if ticket.channel == Ticket.Channel.EMAIL or any(m.source == Message.Source.EMAIL for m in conversation):
        rows = (
            InboundEmail.objects.filter(ticket=ticket, outcome__in=[Outcome.TICKET, Outcome.REPLY, Outcome.NOTE])
            .order_by("received_at", "id")
            .only("id", "message_id", "outcome", "from_address", "received_at")
        )
        for row in rows:
            if row.message_id is not None:
                originals[row.message_id] = row.pk
            elif row.outcome == Outcome.TICKET and opened_by is None:
                opened_by = row
    for message in conversation:
        message.original_id = originals.get(message.pk)
    bounced = BouncedAddress.objects.filter(email=ticket.customer_email.lower()).first()
    return {"opened_by_email": opened_by, "bounced": bounced}


def _agent_name(request: HttpRequest) -> str:
    agent = agent_for(request.user)
    return agent.name if agent else request.user.get_username()


def _macros(request: HttpRequest, agent: Agent | None, ticket: Ticket) -> tuple[str, list[Macro]]:
    """The macros the agent may use on the ticket (its category's first), searched by name
    and text with ?macro_q=."""
    query = request.GET.get("macro_q", "").replace("\x00", "").strip()[:100]
    macros = macros_for(agent, ticket)
    if query:
        macros = macros.filter(Q(name__icontains=query) | Q(reply__icontains=query))
    return query, list(macros[:20])


def _prefill(request: HttpRequest, ticket: Ticket, *, agent_name: str) -> str:
    """Reply text to start from: a macro's text and/or a link to an article, as asked by ?insert= / ?article=."""
    parts = []
    chosen = request.GET.get("insert", "")
    if chosen.isdigit() and len(chosen) <= 18:
        macro = macros_for(agent_for(request.user), ticket).filter(pk=int(chosen)).first()
        if macro is not None and macro.reply:
            parts.append(render_placeholders(macro.reply, ticket=ticket, agent_name=agent_name))
    slug = request.GET.get("article", "")
    if slug:
        article = Article.objects.filter(slug=slug, status="published").first()
        if article is not None:
            url = request.build_absolute_uri(reverse("kb:article", args=[article.slug]))
            # Translators: put into the reply box, so the customer reads it: the article's title, then its link.
            parts.append(_("This article explains it: %(title)s\n%(url)s") % {"title": article.title, "url": url})
    return "\n\n".join(parts)


@require_GET
@agent_required
def ticket_page(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk)
    context = _ticket_context(request, ticket)
    if is_htmx(request) and request.GET.get("part") == "macros":
        return render(request, "tickets/agent/_macro_choice.html", context)
    return render(request, "tickets/agent/ticket.html", context)


@require_GET
@agent_required
def ticket_insert(request: HttpRequest, pk: int) -> HttpResponse:
    """The text of a macro (placeholders filled) or an article link, for the reply box."""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    agent = agent_for(request.user)
    text = _prefill(request, ticket, agent_name=agent.name if agent else request.user.get_username())
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
@agent_required
def macro_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview panel of ?macro= on the ticket (htmx); without htmx, the page showing it."""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    agent = agent_for(request.user)
    macro = offered_macro(agent, request.GET.get("macro", ""), ticket)
    if not is_htmx(request):
        return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}?macro={macro.pk}#macro-preview")
    preview = macro_preview(macro=macro, ticket=ticket, agent=agent, agent_name=_agent_name(request))
    return render(request, "tickets/agent/_macro_preview.html", {"ticket": ticket, "macro_preview": preview})


@require_POST
@agent_required
def macro_apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the macro of the preview (with its reply as the agent edited it) in one step."""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    agent = agent_for(request.user)
    macro = offered_macro(agent, request.POST.get("macro", ""), ticket)
    reply = request.POST.get("reply")
    if reply is not None:
        reply = reply.replace("\r\n", "\n")
        if len(reply) > BODY_MAX:
            messages.error(
                request,
                _("Not applied: the reply is %(length)d characters long; at most %(limit)d.")
                % {"length": len(reply), "limit": BODY_MAX},
            )
            return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}?macro={macro.pk}#macro-preview")
    try:
        applied = macro_apply(macro=macro, ticket=ticket, actor=actor_for(request.user), reply_text=reply)
    except TicketClosed as closed:
        messages.error(request, str(closed))
        return redirect("agent:ticket", pk=ticket.pk)
    said = [_("Macro “%(name)s” applied.") % {"name": macro.name}]
    if applied.message is not None:
        said.append(_("Reply sent to the customer."))
    if applied.done:
        said.append(_("Changed: %(changes)s.") % {"changes": "; ".join(applied.done)})
    messages.success(request, " ".join(said))
    if applied.skipped:
        messages.warning(request, _("Not done: %(reasons)s.") % {"reasons": "; ".join(applied.skipped)})
    if not may_see_team(request.user, applied.ticket.team_id):
        messages.success(
            request,
            _("Ticket %(number)s moved to the team %(team)s; you are not in it, so you no longer see it.")
            % {"number": applied.ticket.number, "team": applied.ticket.team.name},
        )
        return redirect("agent:queue")
    anchor = f"#message-{applied.message.pk}" if applied.message is not None else ""
    return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}{anchor}")


@require_POST
@agent_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = services.message_create(
                ticket=ticket,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                attachments=form.cleaned_data["attachments"],
                actor=actor_for(request.user),
            )
        except TicketClosed as closed:
            form.add_error(None, str(closed))
        else:
            what = _("Internal note added.") if message.internal else _("Reply sent to the customer.")
            messages.success(request, what)
            return redirect(f"{reverse('agent:ticket', args=[ticket.pk])}#message-{message.pk}")
    ticket.refresh_from_db()
    return render(request, "tickets/agent/ticket.html", _ticket_context(request, ticket, reply_form=form), status=400)


@require_POST
@agent_required
def ticket_change(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk)
    form = TicketChangeForm(request.POST, ticket=ticket)
    if form.is_valid():
        assignee = ticket.assigned_agent
        try:
            changed = services.ticket_update(ticket=ticket, actor=actor_for(request.user), **form.changes())
        except IllegalTransition as refused:
            form.add_error("status", str(refused))
        else:
            return _after_change(request, before=ticket, assignee=assignee, changed=changed)
    ticket.refresh_from_db()
    return render(request, "tickets/agent/ticket.html", _ticket_context(request, ticket, change_form=form), status=400)


def _after_change(request: HttpRequest, *, before: Ticket, assignee: Agent | None, changed: Ticket) -> HttpResponse:
    """Where an agent goes once the ticket is changed, told what the change did: to the queue
    when the ticket moved to a restricted team they are not in (its page would answer 404)."""
    team_changed = changed.team_id != before.team_id
    if not may_see_team(request.user, changed.team_id):
        messages.success(
            request,
            _("Ticket %(number)s moved to the team %(team)s; you are not in it, so you no longer see it.")
            % {"number": changed.number, "team": changed.team.name},
        )
        return redirect("agent:queue")
    if team_changed and assignee is not None and changed.assigned_agent_id is None:
        messages.success(
            request,
            _("Ticket updated. It is now unassigned: %(agent)s is not in the team %(team)s.")
            % {"agent": assignee.name, "team": changed.team.name},
        )
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("agent:ticket", pk=changed.pk)


@require_POST
@agent_required
def ticket_customer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the ticket to another customer, by their email address."""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    form = TicketCustomerForm(request.POST)
    if form.is_valid():
        try:
            ticket = services.ticket_change_customer(
                ticket=ticket,
                email=form.cleaned_data["customer_email"],
                name=form.cleaned_data["customer_name"],
                actor=actor_for(request.user),
            )
        except ValidationError as refused:
            for field, errors in refused.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except TicketClosed as closed:
            form.add_error(None, str(closed))
        else:
            messages.success(request, _("The ticket now belongs to %(address)s.") % {"address": ticket.customer_email})
            return redirect("agent:ticket", pk=ticket.pk)
    ticket = selectors.get_ticket_for_user(request.user, pk)
    return render(
        request, "tickets/agent/ticket.html", _ticket_context(request, ticket, customer_form=form), status=400
    )


@require_POST
@agent_required
def ticket_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk)
    choice = request.POST.get("agent", "")
    override = request.POST.get("override") == "on" and is_supervisor(request.user)
    if choice == "me":
        agent = agent_for(request.user)
    elif choice.isdigit():
        agent = Agent.objects.filter(pk=int(choice)).first()
    else:
        agent = None
    try:
        ticket_assign(ticket=ticket, agent=agent, actor=actor_for(request.user), override=override)
    except AssignmentError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Assigned to %(agent)s.") % {"agent": agent.name} if agent else _("Unassigned."))
    return redirect("agent:ticket", pk=ticket.pk)


@require_POST
@agent_required
def ticket_rotate_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk)
    ticket_rotate_link(ticket=ticket, actor=actor_for(request.user))
    messages.success(
        request,
        _("Private link replaced: the old one no longer opens the ticket; the customer was emailed the new one."),
    )
    return redirect("agent:ticket", pk=ticket.pk)


@require_GET
@agent_required
def ticket_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by the ticket page: did someone else reply since it was opened, and who else
    is viewing it or typing a reply (workspace.presence)?"""
    ticket = selectors.get_ticket_for_user(request.user, pk)
    since = request.GET.get("since", "0")
    since_id = int(since) if since.isdigit() else 0
    newer = (
        Message.objects.filter(ticket=ticket, pk__gt=since_id, internal=False)
        .exclude(author_agent=agent_for(request.user), author_type="agent")
        .select_related("author_agent")
        .order_by("-id")
    )
    newer = list(newer[:5])
    authors = ", ".join(
        # Translators: one author in "Since you opened this page, … replied": a name and their role (customer, agent).
        _("%(name)s (%(role)s)") % {"name": m.author_name, "role": m.get_author_type_display().lower()}
        for m in newer
    )
    present = presence.present_on(ticket=ticket, viewer=request.user)  # marks the reader as viewing, too
    return render(
        request,
        "tickets/agent/_activity.html",
        {"ticket": ticket, "newer": newer, "authors": authors, "present": present, "presence_oob": True},
    )


@require_POST
@agent_required
def language_view(request: HttpRequest) -> HttpResponse:
    """The workspace's language switcher: the agent's profile language (their pages, emails
    and notifications), and the cookie for the pages outside the workspace."""
    language = request.POST.get("language", "")
    languages = dict(settings.LANGUAGES)
    if language not in languages:
        return HttpResponseBadRequest(
            _("language: choose one of %(languages)s.") % {"languages": ", ".join(languages)},
            content_type="text/plain; charset=utf-8",
        )
    agent = agent_for(request.user)
    if agent is not None and agent.language != language:
        agent.language = language
        agent.save(update_fields=["language", "updated_at"])
    translation.activate(language)
    return set_language(request)  # the cookie, and back to `next` when it is ours (else /agent/)
