"""Feedback and survey invitations in Django admin, filterable by agent, rating and period."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import Feedback, SurveyInvitation, SurveyState


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    list_display = ["ticket", "agent", "overall", "speed", "quality", "friendliness", "would_recommend", "created_at"]
    list_filter = ["overall", "would_recommend", "agent", "created_at"]
    search_fields = ["=ticket__id", "customer_email", "comment"]
    date_hierarchy = "created_at"
    list_select_related = ["ticket", "agent"]


class StateFilter(admin.SimpleListFilter):
    # Translators: a survey invitation's state (sent, answered, expired).
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return SurveyState.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == SurveyState.ANSWERED:
            return queryset.filter(answered_at__isnull=False)
        if self.value() == SurveyState.EXPIRED:
            return queryset.filter(answered_at__isnull=True, expires_at__lte=now)
        if self.value() == SurveyState.SENT:
            return queryset.filter(answered_at__isnull=True, expires_at__gt=now)
        return queryset


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnly):
    list_display = ["ticket", "agent", "customer_email", "state", "created_at", "expires_at", "answered_at"]
    list_filter = [StateFilter, "agent", "created_at"]
    search_fields = ["=ticket__id", "customer_email"]
    date_hierarchy = "created_at"
    list_select_related = ["ticket", "agent"]
    exclude = ["key"]

    @admin.display(description=_("state"))
    def state(self, invitation: SurveyInvitation) -> str:
        return SurveyState(invitation.state).label
