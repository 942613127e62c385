from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = "Email channel"

    def ready(self) -> None:
        from mail import webhooks  # noqa: F401  # connects the providers' inbound signal
