"""The data-subject request in Django admin: two actions on the ticket list, for the customers
of the chosen tickets (superusers and admins: the same people as the API)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agents.roles import is_admin
from privacy.services import customer_erase, export_response
from tickets.admin import TicketAdmin
from tickets.models import Ticket


def _emails(queryset) -> list[str]:
    return sorted({email.lower() for email in queryset.values_list("customer_email", flat=True)})


class PrivacyTicketAdmin(TicketAdmin):
    actions = [*TicketAdmin.actions, "export_customer_data", "erase_customer_data"]

    @admin.action(description=gettext_lazy("Export the customer's data (one customer at a time)"))
    def export_customer_data(self, request, queryset) -> HttpResponse | None:
        if not is_admin(request.user):
            self.message_user(request, _("Only admins can export a customer's data."), messages.ERROR)
            return None
        emails = _emails(queryset)
        if len(emails) != 1:
            self.message_user(request, _("Choose the tickets of exactly one customer."), messages.ERROR)
            return None
        return export_response(emails[0])

    @admin.action(description=gettext_lazy("Erase the customers' data (asks to confirm)"))
    def erase_customer_data(self, request, queryset) -> HttpResponse | None:
        if not is_admin(request.user):
            self.message_user(request, _("Only admins can erase a customer's data."), messages.ERROR)
            return None
        emails = _emails(queryset)
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/privacy/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase customer data?"),
                    "emails": emails,
                    "tickets": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for email in emails:
            customer_erase(email)
        text = ngettext(
            "Erased the data of %(count)d customer(s): %(emails)s.",
            "Erased the data of %(count)d customer(s): %(emails)s.",
            len(emails),
        )
        self.message_user(request, text % {"count": len(emails), "emails": ", ".join(emails)}, messages.SUCCESS)
        return None


admin.site.unregister(Ticket)
admin.site.register(Ticket, PrivacyTicketAdmin)
