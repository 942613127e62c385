from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project's wiring; an app only so that its demo-seeding commands are found."""

    name = "helpdesk"
    verbose_name = "Helpdesk"
