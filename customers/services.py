"""Every write to customers and organisations.

A profile is made the first time an address writes to support (`customer_for_contact`, called
by tickets.services.ticket_create for the portal, the API and email alike). An organisation
claims the customers of its email domains: on the profile's creation, and, for the profiles
made before, whenever its domains change (`organization_save`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from agents.models import EMAIL_SHAPE, LANGUAGE_CHOICES
from agents.roles import Actor
from customers import bounces, merging
from customers.models import (
    DOMAIN_SHAPE,
    MAX_ALIASES,
    MAX_DOMAINS,
    Customer,
    Organization,
    alias_is,
    domain_of,
    normalize_email,
)


class MergeRefused(ValidationError):
    """Two profiles that cannot be merged (the same one, or too many addresses together)."""


def customer_by_address(address: str) -> Customer | None:
    """The profile `address` belongs to: its own address first, else the profile it is an
    alias of (customer_aliases_idx serves `aliases @> ARRAY[address]`)."""
    address = normalize_email(address)
    if not address:
        return None
    own = Customer.objects.filter(email=address).first()
    if own is not None:
        return own
    return Customer.objects.filter(alias_is(address)).order_by("id").first()


def _organization_for(domain: str) -> int | None:
    return Organization.objects.filter(domains__contains=[domain]).order_by("id").values_list("id", flat=True).first()


def _fill(customer: Customer, *, name: str, language: str) -> Customer:
    """Fill the profile's empty name and language, compare-and-set: never over a value an
    agent (or a concurrent contact) wrote in the meantime."""
    for field, value in (("name", name), ("language", language)):
        if (
            value
            and not getattr(customer, field)
            and Customer.objects.filter(pk=customer.pk, **{field: ""}).update(**{field: value})
        ):
            setattr(customer, field, value)
    return customer


def customer_for_contact(*, email: str, name: str = "", language: str = "") -> Customer | None:
    """The profile of the person writing from `email`, made on their first contact.

    1. `email` normalized; its profile found by address or alias (one probe each).
    2. None: a new one, in the organisation whose domains hold the address's domain. Two
       first contacts at once (a portal form and an email) race on the unique address: the
       loser's INSERT fails in its savepoint and it reads the winner's profile.
    3. An empty name or language is filled from this contact (never overwritten).

    None for an address no profile can be keyed by (no domain, too long): mail from
    `root@localhost` still becomes a ticket, without a profile.
    """
    address = normalize_email(email)
    if len(address) > 254 or not re.fullmatch(EMAIL_SHAPE, address):
        return None
    name = (name or "").strip()[:255]
    language = language if language in dict(LANGUAGE_CHOICES) else ""
    customer = customer_by_address(address)
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    email=address, name=name, language=language, organization_id=_organization_for(domain_of(address))
                )
            return customer
        except IntegrityError:
            customer = Customer.objects.filter(email=address).first()
            if customer is None:  # not the unique address: a real error
                raise
    return _fill(customer, name=name, language=language)


CUSTOMER_FIELDS = ("name", "language", "organization", "notes", "bouncing")


@transaction.atomic
def customer_update(*, customer: Customer, actor: Actor, **changes: Any) -> Customer:
    """Change any of name, language, organization, notes and bouncing (an agent clears the
    flag once the address works again). Clearing it also forgets the bounces the apps above
    recorded for the profile's addresses (mail's, through the customers.bounces seam), so the
    ticket page's warning goes with the flag."""
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    was_bouncing = customer.bouncing
    for field, value in changes.items():
        setattr(customer, field, value.strip() if isinstance(value, str) and field == "name" else value)
    customer.full_clean(exclude=["email", "aliases"], validate_unique=False)
    customer.save()
    if was_bouncing and not customer.bouncing:
        bounces.clear_all(addresses=customer_addresses(customer))
    return customer


def customer_addresses(customer: Customer) -> list[str]:
    """Every address of the profile: its own, then those of the profiles merged into it."""
    return list(dict.fromkeys([customer.email, *customer.aliases]))


def customers_mark_bouncing(addresses: Iterable[str]) -> int:
    """Flag the profiles of `addresses` (own address or alias) as bouncing: mail.ingest,
    when our mail to them came back. One statement."""
    addresses = sorted({normalize_email(a) for a in addresses if a and "@" in a})
    if not addresses:
        return 0
    return (
        Customer.objects.filter(Q(email__in=addresses) | Q(aliases__overlap=addresses))
        .filter(bouncing=False)
        .update(bouncing=True)
    )


def customers_clear_bouncing(addresses: Iterable[str]) -> int:
    """Clear the flag of the profiles of `addresses` (own address or alias): mail's admin,
    when an operator un-flags bounced addresses. One statement."""
    addresses = sorted({normalize_email(a) for a in addresses if a and "@" in a})
    if not addresses:
        return 0
    return (
        Customer.objects.filter(Q(email__in=addresses) | Q(aliases__overlap=addresses))
        .filter(bouncing=True)
        .update(bouncing=False)
    )


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer, actor: Actor) -> Customer:
    """Merge `source` into `target`, two profiles of one person, and delete `source`.

    1. Both rows locked, in id order (two merges of the same pair cannot deadlock).
    2. `source`'s address and aliases become `target`'s aliases, so mail from them still
       finds the profile; its notes are appended; target's empty name, language and
       organisation are filled from it; bouncing stays target's (it is about its address).
    3. Everything of `source` in the apps above (tickets, each with a CUSTOMER event) moves
       through the customers.merging seam, set-based.
    4. `source` is deleted.
    """
    if source.pk == target.pk:
        raise MergeRefused({"into": [_("A profile cannot be merged into itself.")]})
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("id")
    }
    if len(locked) != 2:
        raise MergeRefused({"into": [_("One of the two profiles no longer exists.")]})
    source, target = locked[source.pk], locked[target.pk]
    aliases = [a for a in dict.fromkeys([*target.aliases, source.email, *source.aliases]) if a != target.email]
    if len(aliases) > MAX_ALIASES:
        raise MergeRefused(
            {"into": [_("Together they would have more than %(count)d other addresses.") % {"count": MAX_ALIASES}]}
        )
    merging.move_all(source=source, target=target, actor=actor)
    target.aliases = aliases
    if source.notes.strip():
        # Translators: heads the notes of a customer profile merged into another one.
        heading = _("From %(email)s:") % {"email": source.email}
        target.notes = "\n\n".join(
            part for part in (target.notes.strip(), f"{heading}\n{source.notes.strip()}") if part
        )
    target.name = target.name or source.name
    target.language = target.language or source.language
    target.organization_id = target.organization_id or source.organization_id
    target.created_at = min(target.created_at, source.created_at)
    source.delete()
    target.save()
    return target


# --- Organisations ----------------------------------------------------------------------


def clean_domains(domains: Iterable[str], *, organization: Organization | None = None) -> list[str]:
    """`domains` lower-cased, trimmed (a leading "@" dropped), each a host name and in no
    other organisation; a ValidationError naming `domains` otherwise (one message for each
    entry that is not a domain name, quoting it whole)."""
    cleaned: list[str] = []
    bad: list[str] = []
    for raw in domains:
        if not str(raw).strip():
            continue
        domain = str(raw).strip().lower().lstrip("@").rstrip(".")
        if len(domain) > 253 or not re.fullmatch(DOMAIN_SHAPE, domain):
            # Translators: "domain" is an entry typed as an organisation's email domain, quoted whole.
            message = _("“%(domain)s” is not a domain name like example.com.") % {"domain": str(raw).strip()[:300]}
            if message not in bad:
                bad.append(message)
        elif domain not in cleaned:
            cleaned.append(domain)
    if bad:
        raise ValidationError({"domains": bad})
    if len(cleaned) > MAX_DOMAINS:
        raise ValidationError({"domains": [_("At most %(count)d domains.") % {"count": MAX_DOMAINS}]})
    taken = Organization.objects.filter(domains__overlap=cleaned)
    if organization is not None and organization.pk:
        taken = taken.exclude(pk=organization.pk)
    for other in taken.only("name", "domains")[:1]:
        domain = next(d for d in cleaned if d in other.domains)
        raise ValidationError(
            {
                "domains": [
                    _("%(domain)s belongs to the organisation %(name)s already.")
                    % {"domain": domain, "name": other.name}
                ]
            }
        )
    return cleaned


def _join_by_domain(organization: Organization) -> int:
    """Customers of the organisation's domains who belong to none join it: one UPDATE.
    (Those of another organisation stay: an agent moved them there on purpose.)"""
    if not organization.domains:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET organization_id = %s, updated_at = now() "
            "WHERE organization_id IS NULL AND split_part(email, '@', 2) = ANY(%s::varchar[])",
            [organization.pk, organization.domains],
        )
        return cursor.rowcount


@transaction.atomic
def organization_save(*, organization: Organization | None = None, actor: Actor, **fields: Any) -> Organization:
    """Create (`organization` None) or change an organisation: name, domains, notes, vip.

    Saving takes the organisations' table lock in SHARE ROW EXCLUSIVE mode (it conflicts with
    itself, not with readers): two saves claiming one domain at once would each see it free.
    When the domains changed, customers of the new domains without an organisation join.
    """
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE customers_organization IN SHARE ROW EXCLUSIVE MODE")
    organization = Organization() if organization is None else Organization.objects.get(pk=organization.pk)
    before = list(organization.domains)
    if "domains" in fields:
        fields["domains"] = clean_domains(fields["domains"], organization=organization)
    for field, value in fields.items():
        if field not in ("name", "domains", "notes", "vip"):
            raise ValidationError({field: [_("This field cannot be changed here.")]})
        setattr(organization, field, value.strip() if field == "name" else value)
    organization.full_clean(exclude=["domains"])
    organization.save()
    if set(organization.domains) - set(before):
        _join_by_domain(organization)
    return organization


def organization_delete(*, organization: Organization, actor: Actor) -> None:
    """Its customers stay, without an organisation (Customer.organization is SET NULL)."""
    organization.delete()
