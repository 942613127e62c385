from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # Imported here, not at the top: models may be imported only once the app registry is ready.
        from feedback.services import survey_invite
        from tickets import lifecycle

        # A resolved ticket's customer is invited to the survey (after sla's hook: INSTALLED_APPS order).
        lifecycle.register(lifecycle.RESOLVED, survey_invite)
