from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Imported here, not at the top: models may be imported only once the app registry is ready.
        from django.db.models.signals import post_delete, post_save

        from core.metrics import register_database_metrics
        from notifications.metrics import outbox_metrics
        from notifications.models import Webhook
        from notifications.subscriptions import webhooks_changed

        register_database_metrics(outbox_metrics)
        # Every process's kept webhooks are retired when one changes (notifications.subscriptions).
        post_save.connect(webhooks_changed, sender=Webhook, weak=False, dispatch_uid="webhooks-saved")
        post_delete.connect(webhooks_changed, sender=Webhook, weak=False, dispatch_uid="webhooks-deleted")
