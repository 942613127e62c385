from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customers' pages: a new ticket (with knowledge-base suggestions), its private
    page, replies and ratings."""

    name = "portal"
    verbose_name = "Customer portal"
