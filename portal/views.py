"""The customer portal: submit a ticket, follow it through its private link, get links by email."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agents.roles import customer_actor
from core.ratelimit import ratelimit
from knowledge.views import suggestions_for
from notifications.services import email_enqueue
from tickets import services
from tickets.api import attachment_response
from tickets.forms import LookupForm, RatingForm, ReplyForm, TicketForm
from tickets.links import Reader, private_token, private_url, reader_for_token
from tickets.merging import continuation_link
from tickets.models import Attachment, AuthorType, Status, Ticket
from tickets.threading import automatic_headers


def _reader_or_404(token: str) -> Reader:
    """The ticket behind a private link and who holds it: its customer or one of its CCs
    (tickets.links); 404 for a link that is not valid, expired or revoked."""
    reader = reader_for_token(token)
    if reader is None:
        raise Http404(_("This link is not valid. Ask for your links again with your email address."))
    return reader


def _ticket_or_404(token: str) -> Ticket:
    """The ticket of a customer's own link (a CC's is refused: the page right after the
    contact form, for its customer)."""
    reader = _reader_or_404(token)
    if not reader.is_customer:
        raise Http404(_("This link is not valid. Ask for your links again with your email address."))
    return reader.ticket


def _author(reader: Reader):
    """Who writes through this link: the customer, or the CC under its own address."""
    if reader.cc is not None:
        return customer_actor(reader.cc.email, reader.cc.email)
    return customer_actor(reader.ticket.customer_name, reader.ticket.customer_email)


def _customer_page(request: HttpRequest, reader: Reader, reply_form: ReplyForm | None = None, status: int = 200):
    ticket = reader.ticket
    # Internal notes never leave this queryset: the customer's page reads public messages only.
    conversation = ticket.messages.filter(internal=False).prefetch_related("attachments")
    context = {
        "ticket": ticket,
        "token": reader.token,
        "cc": reader.cc,  # a CC's page: no ratings (only the customer rates)
        "conversation": conversation,
        "ticket_attachments": ticket.attachments.filter(message__isnull=True),
        "reply_form": reply_form or ReplyForm(),
        "rating_form": RatingForm(),
        "closed": ticket.status == Status.CLOSED,
        **_merged_context(reader),
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


def _merged_context(reader: Reader) -> dict:
    """A request merged into another: its number, and the link that opens it for this reader."""
    target = reader.ticket.merged_into
    if target is None:
        return {}
    address = reader.cc.email if reader.cc is not None else reader.ticket.customer_email
    return {"merged_into": target, "merged_link": continuation_link(target, address)}


@ratelimit(key="ip", rate=lambda group, request: settings.PORTAL_TICKET_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = services.ticket_create(
            subject=data["subject"],
            description=data["description"],
            customer_email=data["customer_email"],
            customer_name=data["customer_name"],
            category=data["category"],
            channel=Ticket.Channel.PORTAL,
            attachments=data["attachments"],
            actor=customer_actor(data["customer_name"], data["customer_email"]),
            language=translation.get_language(),  # the page they wrote from
            cc=data["cc"],
        )
        return redirect("portal:submitted", token=private_token(ticket))
    suggestions = suggestions_for(request.POST.get("subject", "")) if request.method == "POST" else []
    return render(
        request,
        "portal/ticket_new.html",
        {"form": form, "suggestions": suggestions},
        status=400 if form.errors else 200,
    )


@never_cache
def ticket_submitted(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket_or_404(token)
    return render(request, "portal/ticket_submitted.html", {"ticket": ticket, "link": private_url(ticket)})


@never_cache  # the URL is the secret: no shared cache may keep the page
@ratelimit(key="ip", rate=lambda group, request: settings.PORTAL_REPLY_RATE, method="POST", block=True)
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_detail(request: HttpRequest, token: str) -> HttpResponse:
    reader = _reader_or_404(token)
    ticket = reader.ticket
    if request.method in ("GET", "HEAD"):
        return _customer_page(request, reader)
    form = ReplyForm(request.POST, request.FILES)
    if ticket.status == Status.CLOSED:
        # Translators: the customer reads it (a ticket is their "request", «обращение»).
        form.add_error(None, _("This ticket is closed. Please open a new request."))
    if not form.is_valid():
        return _customer_page(request, reader, form, status=400)
    services.message_create(
        ticket=ticket,
        body=form.cleaned_data["body"],
        attachments=form.cleaned_data["attachments"],
        actor=_author(reader),
        cc=reader.cc,
    )
    messages.success(request, _("Your reply was sent. We will answer here and by email."))
    return redirect("portal:ticket", token=token)


@require_POST
def message_rate(request: HttpRequest, token: str, message_id: int) -> HttpResponse:
    """The customer rates a reply; a CC's link cannot (404): the rating is the customer's."""
    ticket = _ticket_or_404(token)
    message = ticket.messages.filter(pk=message_id, internal=False, author_type=AuthorType.AGENT).first()
    if message is None:
        raise Http404(_("No such reply."))
    form = RatingForm(request.POST)
    if form.is_valid() and message.rating is None:
        services.message_rate(
            message=message,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            actor=customer_actor(ticket.customer_name, ticket.customer_email),
        )
    return redirect(f"{private_url(ticket)}#message-{message.pk}")


def attachment_download(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    ticket = _reader_or_404(token).ticket
    attachment = (
        Attachment.objects.filter(ticket=ticket, pk=attachment_id)
        .exclude(message__internal=True)  # files on internal notes stay internal
        .first()
    )
    if attachment is None:
        raise Http404(_("No such attachment."))
    return attachment_response(attachment)


@ratelimit(key="ip", rate=lambda group, request: settings.PORTAL_LOOKUP_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Email the private links of every ticket of an address.

    The answer is the same whether the address has tickets or not, so the page cannot be
    used to learn who wrote to support.
    """
    form = LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        tickets = list(Ticket.objects.filter(customer_email__iexact=email).order_by("-created_at")[:50])
        if tickets:
            with transaction.atomic():
                email_enqueue(
                    to=tickets[0].customer_email,
                    kind="ticket.links",
                    template="tickets/email/ticket_links",
                    context={"tickets": [{"ticket": t, "link": private_url(t)} for t in tickets]},
                    headers=automatic_headers(),
                    language=translation.get_language(),  # the page's: the one they asked in
                )
        return render(request, "portal/lookup_sent.html", {"email": email})
    return render(request, "portal/lookup.html", {"form": form}, status=400 if form.errors else 200)
