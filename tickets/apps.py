from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Imported here, not at the top: models may be imported only once the app registry is ready.
        from agents.load import register_open_load
        from customers import merging, summaries
        from notifications.inbox import register_inbox_filter, register_send_check
        from notifications.payloads import register_ticket_facts
        from tickets.assignment import open_load
        from tickets.notices import ticket_facts
        from tickets.profiles import move_tickets, ticket_summary
        from tickets.visibility import visible_notices, withheld_notifications

        register_open_load(open_load)
        register_ticket_facts(ticket_facts)
        register_inbox_filter(visible_notices)
        register_send_check(withheld_notifications)
        merging.register(move_tickets)
        summaries.register_ticket_summary(ticket_summary)
