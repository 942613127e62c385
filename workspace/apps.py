from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The agents' pages that compose several apps: the ticket workspace (tickets with their
    SLA clocks and knowledge-base suggestions) and the supervisor dashboard."""

    name = "workspace"
    verbose_name = "Agent workspace"
