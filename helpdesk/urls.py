from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agents.api import AgentViewSet, TeamViewSet
from automation.api import TriggerViewSet
from automation.macros_api import MacroViewSet
from automation.timerules_api import TimeRuleViewSet
from core import accounts, monitoring, views
from core.api import router
from customers.api import CustomerViewSet, OrganizationViewSet
from feedback.api import FeedbackViewSet, SurveyViewSet
from knowledge.api import ArticleViewSet, FAQViewSet
from mail.api import MailboxViewSet
from notifications.api import NotificationViewSet, WebhookViewSet
from privacy.api import PrivacyEraseView, PrivacyExportView
from sla.api import ComplianceView, SLACheckView, SLAPolicyViewSet, SLAViolationViewSet
from sla.calendars_api import CalendarViewSet, HolidayViewSet
from tickets.api import MessageFeedViewSet, TicketViewSet
from tickets.catalog_api import CategoryViewSet, TagViewSet

router.register("tickets", TicketViewSet, basename="ticket")
router.register("messages", MessageFeedViewSet, basename="message")
router.register("agents", AgentViewSet, basename="agent")
router.register("teams", TeamViewSet, basename="team")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("articles", ArticleViewSet, basename="article")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("faqs", FAQViewSet, basename="faq")
router.register("sla/policies", SLAPolicyViewSet, basename="sla-policy")
router.register("sla/violations", SLAViolationViewSet, basename="sla-violation")
router.register("customers", CustomerViewSet, basename="customer")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("triggers", TriggerViewSet, basename="trigger")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("automations", TimeRuleViewSet, basename="time-rule")
router.register("macros", MacroViewSet, basename="macro")
router.register("mailboxes", MailboxViewSet, basename="mailbox")
router.register("categories", CategoryViewSet, basename="category")
router.register("tags", TagViewSet, basename="tag")
router.register("calendars", CalendarViewSet, basename="calendar")
router.register("holidays", HolidayViewSet, basename="holiday")

urlpatterns = [
    path("", views.home, name="home"),
    re_path(r"^api/health/?$", views.health, name="health"),
    re_path(r"^api/health/live/?$", views.health_live, name="health-live"),
    # The OpenAPI document is English whatever the caller's Accept-Language (its choice
    # labels are translatable): generated clients must not change with a reader's language.
    path("api/schema/", views.in_english(SpectacularAPIView.as_view()), name="schema"),
    # Split: Swagger UI's start-up script is a file (?script), not inline, so the page runs
    # under the Content-Security-Policy without 'unsafe-inline'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/support/sla/?$", SLACheckView.as_view(), name="sla-check"),
    re_path(r"^api/support/privacy/export/?$", PrivacyExportView.as_view(), name="privacy-export"),
    re_path(r"^api/support/privacy/erase/?$", PrivacyEraseView.as_view(), name="privacy-erase"),
    re_path(r"^api/support/sla/compliance/?$", ComplianceView.as_view(), name="sla-compliance"),
    path("api/support/", include((router.urls, "api"))),
    path("portal/", include("portal.urls")),
    path("", include("knowledge.urls")),
    path("portal/", include("feedback.urls")),
    path("accounts/", include("core.accounts")),
    path("agent/", include("workspace.urls")),
    path("agent/emails/", include("mail.urls")),  # an email's original, for agents
    # Mail providers' inbound webhooks (django-anymail; mail.webhooks takes what they bring).
    path("mail/", include("mail.webhook_urls")),
    # Django admin signs in through the one sign-in form (core.accounts.admin_login).
    path("admin/login/", accounts.admin_login, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    # The portal's language switcher (Django's view: the cookie, then back to `next`).
    path("i18n/setlang/", set_language, name="set_language"),
    path("metrics", monitoring.metrics, name="prometheus-django-metrics"),
]

handler400 = "core.limits.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.errors.server_error"
