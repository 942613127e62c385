from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from core.health import register_warning_check
        from customers import bounces
        from mail import webhooks  # noqa: F401  # connects the providers' inbound signal
        from mail.health import failing_mailboxes
        from mail.ingest import forget_bounces

        register_warning_check("mail", failing_mailboxes)  # /api/health: mailboxes whose last poll failed
        bounces.register(forget_bounces)  # an agent cleared a profile's "bouncing": its addresses' rows go
