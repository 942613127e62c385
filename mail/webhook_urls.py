"""The inbound webhooks of the mail providers the helpdesk takes mail from (django-anymail).

Each URL is a provider's inbound view, which checks the provider's signature (where it signs)
and the HTTP basic auth of ANYMAIL_WEBHOOK_SECRET. anymail itself would accept unauthenticated
calls (with a warning) when no secret is set; here the routes answer 404 until one is, so a
fresh installation takes no mail from anyone who finds the URL. Calls are rate-limited per
client address like every anonymous endpoint.
"""

from __future__ import annotations

from collections.abc import Callable

from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.ratelimit import ratelimit

PROVIDERS = {
    "amazon_ses": AmazonSESInboundWebhookView,
    "brevo": BrevoInboundWebhookView,
    "mailersend": MailerSendInboundWebhookView,
    "mailgun": MailgunInboundWebhookView,
    "mailjet": MailjetInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "resend": ResendInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @ratelimit(key="ip", rate=lambda group, request: settings.MAIL_WEBHOOK_RATE, block=True)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            raise Http404("Inbound mail webhooks are off: set ANYMAIL_WEBHOOK_SECRET to turn them on.")
        return view(request, *args, **kwargs)

    return guarded


app_name = "mail-inbound"
urlpatterns = [
    path(f"{provider}/inbound/", _guarded(view.as_view()), name=provider) for provider, view in PROVIDERS.items()
]
