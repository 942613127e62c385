"""Reads of customers and organisations shared by the API and the workspace pages."""

from __future__ import annotations

from django.db.models import CharField, Count, F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf

from customers.models import Customer, Organization, alias_is


def customers_list() -> QuerySet[Customer]:
    return Customer.objects.select_related("organization")


def by_name(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """`customers` in the order the pages list them: by the name they show (the address when
    there is no name), any case, then by address."""
    shown = Lower(Coalesce(NullIf(F("name"), Value("")), F("email")))
    return customers.order_by(shown, "email")


def customers_search(customers: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Profiles whose address, any alias or name contains `text`, case-insensitively. An
    exact address (or alias) is one probe of an index; the rest reads the table (a
    helpdesk's customers, not its tickets)."""
    text = text.replace("\x00", "").strip()[:200]
    if not text:
        return customers
    if "@" in text and " " not in text:
        exact = customers.filter(Q(email=text.lower()) | alias_is(text.lower()))
        if exact.exists():
            return exact
    every_alias = Func(F("aliases"), Value(" "), function="array_to_string", output_field=CharField())
    return customers.alias(every_alias=every_alias).filter(
        Q(email__icontains=text) | Q(name__icontains=text) | Q(every_alias__icontains=text)
    )


def organizations_list() -> QuerySet[Organization]:
    return Organization.objects.annotate(customers_count=Count("customers"))


def organizations_search(organizations: QuerySet[Organization], text: str) -> QuerySet[Organization]:
    text = text.replace("\x00", "").strip()[:200]
    if not text:
        return organizations
    every_domain = Func(F("domains"), Value(" "), function="array_to_string", output_field=CharField())
    return organizations.alias(every_domain=every_domain).filter(
        Q(name__icontains=text) | Q(every_domain__icontains=text.lower().lstrip("@"))
    )
