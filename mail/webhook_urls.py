"""The inbound webhooks of the mail providers the helpdesk takes mail from (django-anymail).

Each URL is a provider's inbound view, which checks the provider's signature (where it signs)
and the HTTP basic auth of ANYMAIL_WEBHOOK_SECRET. anymail itself would accept unauthenticated
calls (with a warning) when no secret is set; here the routes answer 404 until one is, so a
fresh installation takes no mail from anyone who finds the URL. Calls are rate-limited per
client address like every anonymous endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.ratelimit import ratelimit

logger = logging.getLogger(__name__)

# anymail 15 dropped SendGrid; these are the providers it supports for inbound mail.
PROVIDERS = {
    "amazon_ses": AmazonSESInboundWebhookView,
    "brevo": BrevoInboundWebhookView,
    "mailersend": MailerSendInboundWebhookView,
    "mailgun": MailgunInboundWebhookView,
    "mailjet": MailjetInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "resend": ResendInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}


# How old a Mailgun call's signed timestamp may be: a captured call replayed later is refused.
SIGNED_MAX_AGE_SECONDS = 300


def _stale(provider: str, request: HttpRequest) -> bool:
    if provider != "mailgun" or request.content_type == "application/json":
        return False
    try:
        signed_at = float(request.POST.get("timestamp", ""))
    except ValueError:
        return False  # anymail refuses the missing or odd signature itself
    return abs(time.time() - signed_at) > SIGNED_MAX_AGE_SECONDS


def _guarded(provider: str, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @ratelimit(key="ip", rate=lambda group, request: settings.MAIL_WEBHOOK_RATE, block=True)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            raise Http404("Inbound mail webhooks are off: set ANYMAIL_WEBHOOK_SECRET to turn them on.")
        if _stale(provider, request):
            return HttpResponseBadRequest("timestamp: the signed timestamp is more than 5 minutes away from now.")
        try:
            return view(request, *args, **kwargs)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as error:
            # A payload missing what the provider always sends: not from the provider, or
            # not in its format. (A database error is not caught: the 5xx makes it retry.)
            logger.warning("%s inbound webhook: unreadable payload: %r", provider, error)
            return HttpResponseBadRequest(f"The payload is not a {provider} inbound webhook call.")

    return guarded


app_name = "mail-inbound"
urlpatterns = [
    path(f"{provider}/inbound/", _guarded(provider, view.as_view()), name=provider)
    for provider, view in PROVIDERS.items()
]
