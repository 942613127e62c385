from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from notifications.models import Notification
from notifications.services import notifications_requeue


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient", "kind", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=gettext_lazy("Re-queue selected dead or failed notifications"))
    def requeue(self, request, queryset) -> None:
        count = notifications_requeue(notification_ids=queryset.values_list("pk", flat=True))
        text = ngettext("%(count)d notification(s) re-queued.", "%(count)d notification(s) re-queued.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)
