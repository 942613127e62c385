from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        # Imported here, not at the top: models may be imported only once the app registry is ready.
        from django.db.models.signals import post_delete, post_save

        from core.metrics import register_database_metrics
        from sla import hooks
        from sla.metrics import sla_metrics
        from sla.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy
        from sla.services import policies_changed

        register_database_metrics(sla_metrics)
        hooks.register()  # due times, the paused clock, late targets: tickets.lifecycle

        def changed(sender, **kwargs) -> None:
            policies_changed()

        for model in (SLAPolicy, BusinessCalendar, BusinessHours, Holiday):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"sla-policies-{model.__name__}-saved")
            post_delete.connect(
                changed, sender=model, weak=False, dispatch_uid=f"sla-policies-{model.__name__}-deleted"
            )
