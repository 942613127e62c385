from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from core.health import register_warning_check
        from mail import webhooks  # noqa: F401  # connects the providers' inbound signal
        from mail.health import failing_mailboxes

        register_warning_check("mail", failing_mailboxes)  # /api/health: mailboxes whose last poll failed
