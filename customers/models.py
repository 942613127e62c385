"""The people who write to support and the companies they belong to.

A customer is one profile per person, keyed by their normalized email address
(`normalize_email`); addresses of profiles merged into it are kept as aliases, so mail from
them still finds the profile. An organisation lists the email domains of its people: a
customer whose address has one of them joins it when the profile is made.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import EMAIL_SHAPE, LANGUAGE_CHOICES, validate_email_shape

DOMAIN_SHAPE = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
MAX_DOMAINS = 50
MAX_ALIASES = 50


def normalize_email(address: str) -> str:
    """The form a profile is keyed by: trimmed and lower-cased as a whole. (The local part is
    case-sensitive by the letter of RFC 5321; no mail provider a helpdesk meets treats it so,
    and two profiles for John@ and john@ are the bug people report.)"""
    return (address or "").strip().lower()


def alias_is(address: str) -> Q:
    """Profiles holding `address` among their aliases. The `aliases <> '{}'` half changes no
    answer; it tells the planner how few profiles have aliases at all, so that it asks
    customer_aliases_idx (0.04 ms at 200,000 profiles) instead of reading every profile in id
    order for `ORDER BY id LIMIT 1` (35 ms: the bench's ticket create went from 20 to 70 ms)."""
    return Q(aliases__contains=[address]) & ~Q(aliases=[])


def domain_of(address: str) -> str:
    return normalize_email(address).rpartition("@")[2]


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=255, unique=True)
    domains = ArrayField(
        models.CharField(max_length=253),
        verbose_name=_("email domains"),
        default=list,
        blank=True,
        size=MAX_DOMAINS,
        help_text=_("Customers whose address ends in one of these join the organisation, e.g. example.com."),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    vip = models.BooleanField(_("VIP"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="organization_name_not_empty")]
        indexes = [GinIndex(fields=["domains"], name="organization_domains_idx")]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    email = models.EmailField(_("email"), max_length=254, unique=True, validators=[validate_email_shape])
    aliases = ArrayField(
        models.EmailField(max_length=254),
        verbose_name=_("other addresses"),
        default=list,
        blank=True,
        size=MAX_ALIASES,
        help_text=_("Addresses of profiles merged into this one."),
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True, default="", choices=LANGUAGE_CHOICES)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("organisation"),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # Mail to this address came back as undeliverable (mail.classify); cleared by an agent.
    bouncing = models.BooleanField(_("bouncing"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(condition=Q(email__regex=EMAIL_SHAPE), name="customer_email_shape"),
            # Keyed by the normalized address: never two profiles for John@ and john@.
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")), name="customer_email_lower"),
            models.CheckConstraint(
                condition=Q(language__in=["", *dict(LANGUAGE_CHOICES)]), name="customer_language_valid"
            ),
        ]
        indexes = [
            GinIndex(fields=["aliases"], name="customer_aliases_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def domain(self) -> str:
        return domain_of(self.email)
