from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy, ngettext

from notifications.models import WEBHOOK_EVENTS, Notification, Webhook, WebhookDelivery
from notifications.services import notifications_requeue
from notifications.webhooks import webhook_redeliver, webhook_rotate_secret


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


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[(event, event) for event in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "active"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """The secret is never shown here but once, in the message after the webhook is created
    (or its secret rotated): the form has no field for it."""

    form = WebhookForm
    list_display = ["name", "url", "active", "events", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    actions = ["rotate_secret"]

    def save_model(self, request, obj, form, change) -> None:
        created = obj.pk is None
        super().save_model(request, obj, form, change)  # Webhook.save generates the secret
        if created:
            text = gettext("The webhook's signing secret, shown this once: %(secret)s")
            self.message_user(request, text % {"secret": obj.secret}, messages.WARNING)

    @admin.action(description=gettext_lazy("Rotate the signing secret of selected webhooks"))
    def rotate_secret(self, request, queryset) -> None:
        for webhook in queryset:
            secret = webhook_rotate_secret(webhook=webhook)
            text = gettext("New signing secret of %(name)s, shown this once: %(secret)s")
            self.message_user(request, text % {"name": webhook.name, "secret": secret}, messages.WARNING)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every webhook row, newest first."""

    list_display = ["id", "created_at", "kind", "recipient", "status", "attempts", "response_status", "latency_ms"]
    list_display += ["last_error", "sent_at", "next_attempt_at"]
    list_filter = ["status", "kind", "recipient"]
    search_fields = ["recipient", "kind", "last_error"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Redeliver selected webhook deliveries (as new deliveries)"))
    def redeliver(self, request, queryset) -> None:
        count = 0
        for delivery in queryset:
            webhook_redeliver(delivery=delivery)
            count += 1
        text = ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)
