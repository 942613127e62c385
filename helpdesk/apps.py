from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project's wiring: its commands, and what the audit log records (helpdesk.audit)."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from helpdesk import audit  # models are importable only once every app is ready

        audit.register()
