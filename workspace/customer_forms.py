from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from agents.models import LANGUAGE_CHOICES, validate_email_shape
from customers.models import MAX_DOMAINS, Customer, Organization


class TicketCustomerForm(forms.Form):
    """Move a ticket to another customer (tickets.services.ticket_change_customer): the
    profile of this address, found or made."""

    customer_email = forms.EmailField(
        label=gettext_lazy("Email address"), max_length=254, validators=[validate_email_shape]
    )
    customer_name = forms.CharField(
        label=gettext_lazy("Customer's name"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Left empty: the name on the customer's profile."),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "ticket-customer-%s")
        super().__init__(*args, **kwargs)


class CustomerForm(forms.Form):
    """What an agent changes of a profile (customers.services.customer_update)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=255, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("", gettext_lazy("Not known")), *LANGUAGE_CHOICES],
        required=False,
        help_text=gettext_lazy("Emails to the customer are written in it when a ticket states none."),
    )
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organization.objects.only("id", "name"),
        required=False,
        empty_label=gettext_lazy("None"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
        help_text=gettext_lazy("For agents only; the customer never sees them."),
    )
    bouncing = forms.BooleanField(
        label=gettext_lazy("Mail to this address bounces (clear it once it works again)"),
        required=False,
    )

    @classmethod
    def for_customer(cls, customer: Customer, data=None) -> CustomerForm:
        initial = {
            "name": customer.name,
            "language": customer.language,
            "organization": customer.organization_id,
            "notes": customer.notes,
            "bouncing": customer.bouncing,
        }
        return cls(data, initial=initial, prefix="customer")


class MergeForm(forms.Form):
    into = forms.EmailField(
        label=gettext_lazy("Merge into the profile of"),
        max_length=254,
        help_text=gettext_lazy("The other profile's address: this profile and its tickets move there."),
    )
    confirm = forms.BooleanField(label=gettext_lazy("Yes, these are one person: merge them"))


class OrganizationForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("organisation", "Name"), max_length=255)
    domains = forms.CharField(
        label=gettext_lazy("Email domains"),
        required=False,
        max_length=MAX_DOMAINS * 254,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One per line or comma-separated, e.g. example.com. Customers with an address there join."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )
    vip = forms.BooleanField(label=gettext_lazy("VIP"), required=False)

    @classmethod
    def for_organization(cls, organization: Organization | None, data=None) -> OrganizationForm:
        initial = {}
        if organization is not None:
            initial = {
                "name": organization.name,
                "domains": "\n".join(organization.domains),
                "notes": organization.notes,
                "vip": organization.vip,
            }
        return cls(data, initial=initial, prefix="organization")

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        # One entry per line or between commas: "not a domain" is one wrong entry, not three.
        data["domains"] = [part.strip() for part in re.split(r"[,;\n]", data["domains"]) if part.strip()]
        return data
