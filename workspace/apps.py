from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The agents' pages that compose several apps: the ticket workspace (tickets with their
    SLA clocks and knowledge-base suggestions) and the supervisor dashboard."""

    name = "workspace"
    verbose_name = _("Agent workspace")
