from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # The seams of the apps below (docs/architecture.md): what happened to a ticket, what
        # an SLA scan recorded, feedback received. Imported here, once the apps are loaded.
        from automation import receivers
        from automation.tags import rules_rename_tag
        from tickets import tags

        receivers.connect()
        tags.register(rules_rename_tag)  # rules naming a tag follow its rename or merge
