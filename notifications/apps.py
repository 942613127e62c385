from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Imported here, not at the top: models may be imported only once the app registry is ready.
        from core.metrics import register_database_metrics
        from notifications.metrics import outbox_metrics

        register_database_metrics(outbox_metrics)
