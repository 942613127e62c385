"""The email channel's records: the mailboxes polled, every email received, addresses that bounce.

InboundEmail is the ledger: one row per email received by any route (IMAP, a provider's
webhook, the MTA pipe, the Maildir), written in the same transaction as the ticket or message
it became. Its unique (message_id, content_hash) makes a second arrival of the same email a
no-op, whoever delivers it, and a mailbox lets go of an email only once its row is committed.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tickets.models import Category, Message, Priority, Ticket


class Security(models.TextChoices):
    TLS = "tls", gettext_lazy("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", gettext_lazy("STARTTLS (usually port 143)")
    NONE = "none", gettext_lazy("None (local test servers only)")


class AfterImport(models.TextChoices):
    SEEN = "seen", gettext_lazy("Mark as read")
    MOVE = "move", gettext_lazy("Move to a folder")
    DELETE = "delete", pgettext_lazy("after importing mail", "Delete")


class Auth(models.TextChoices):
    PASSWORD = "password", pgettext_lazy("mailbox sign-in", "Password")
    OAUTH2 = "oauth2", gettext_lazy("OAuth2 (Microsoft 365, Google Workspace)")


class OAuthProvider(models.TextChoices):
    MICROSOFT = "microsoft", gettext_lazy("Microsoft 365 (Entra ID)")
    GOOGLE = "google", gettext_lazy("Google Workspace / Gmail")
    OTHER = "other", gettext_lazy("Other (give the token URL)")


# The token endpoints (an explicit token URL on the mailbox overrides them: national clouds).
MICROSOFT_ENDPOINT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
GOOGLE_ENDPOINT = "https://oauth2.googleapis.com/token"
# Scopes asked for when the mailbox names none.
MICROSOFT_APP_SCOPE = "https://outlook.office365.com/.default"  # client credentials (IMAP.AccessAsApp)
MICROSOFT_USER_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"  # refresh token
GOOGLE_SCOPE = "https://mail.google.com/"
# Tenants that name no organisation: a token refreshed there is refused (AADSTS50194) or
# belongs to whoever signs in, so a mailbox names its own.
MICROSOFT_SHARED_TENANTS = {"common", "organizations", "consumers"}
TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,99}")

env_name = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]*\Z",
    gettext_lazy(
        "Give the name of an environment variable (letters, digits and _, not starting with a digit), "
        "not the secret itself."
    ),
)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailbox(models.Model):
    """An IMAP mailbox polled by the worker (mail.imap, beat task mail.tasks.poll_mailboxes).

    It signs in with a password (LOGIN) or with OAuth2 (SASL XOAUTH2, mail.oauth): an access
    token from the provider's token endpoint, by the client-credentials grant (Microsoft 365
    apps with IMAP.AccessAsApp) or a refresh token an administrator obtained once (Google
    Workspace; Microsoft delegated access). Secrets stay in the environment: the mailbox names
    the variables. A grant the provider refused sets oauth_needs_reauthorization: polls skip
    the mailbox until an administrator saves it or retries the sign-in in admin.
    """

    Security = Security
    AfterImport = AfterImport
    Auth = Auth
    OAuthProvider = OAuthProvider

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    enabled = models.BooleanField(gettext_lazy("enabled"), default=True)
    host = models.CharField(gettext_lazy("host"), max_length=255)
    port = models.PositiveIntegerField(
        gettext_lazy("port"),
        default=993,
        # The constraint's range, checked on the field: the error names `port` (admin, API).
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    security = models.CharField(gettext_lazy("security"), max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(gettext_lazy("username"), max_length=255)
    auth = models.CharField(gettext_lazy("sign-in"), max_length=10, choices=Auth.choices, default=Auth.PASSWORD)
    password_env = models.CharField(
        gettext_lazy("password variable"),
        max_length=100,
        blank=True,
        validators=[env_name],
        help_text=gettext_lazy(
            "Password sign-in: the NAME of the environment variable that holds the password, e.g. "
            "IMAP_SUPPORT_PASSWORD; set it in the worker's environment. Never the password itself: it would be "
            "stored in the database."
        ),
    )
    oauth_provider = models.CharField(
        gettext_lazy("OAuth2 provider"), max_length=10, choices=OAuthProvider.choices, blank=True
    )
    oauth_tenant = models.CharField(
        gettext_lazy("Microsoft tenant"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("Directory (tenant) ID or its domain"),
    )
    oauth_token_url = models.URLField(
        gettext_lazy("token URL"),
        max_length=500,
        blank=True,
        help_text=gettext_lazy(
            "Empty for Microsoft and Google (derived from the provider and the tenant). Required for Other. "
            "Microsoft's national clouds: the full URL, e.g. "
            "https://login.microsoftonline.us/<tenant>/oauth2/v2.0/token."
        ),
    )
    oauth_client_id = models.CharField(gettext_lazy("client ID"), max_length=255, blank=True)
    oauth_client_secret_env = models.CharField(
        gettext_lazy("client secret variable"),
        max_length=100,
        blank=True,
        validators=[env_name],
        help_text=gettext_lazy(
            "The NAME of the environment variable that holds the client secret, e.g. IMAP_OAUTH_CLIENT_SECRET. "
            "Required for Microsoft's client-credentials grant and for Google."
        ),
    )
    oauth_refresh_token_env = models.CharField(
        gettext_lazy("refresh token variable"),
        max_length=100,
        blank=True,
        validators=[env_name],
        help_text=gettext_lazy(
            "The NAME of the environment variable that holds a refresh token obtained once with the "
            "provider's consent flow (manage.py mail_oauth_consent prints one). Google: required. Microsoft: "
            "leave empty for the client-credentials "
            "grant (an app with IMAP.AccessAsApp, given access to this mailbox); set it for delegated access "
            "(IMAP.AccessAsUser.All)."
        ),
    )
    oauth_scope = models.CharField(
        gettext_lazy("scope"), max_length=500, blank=True, help_text=gettext_lazy("The provider's default when empty")
    )
    # Sign-in state: the provider refused the grant or the client (invalid_grant, ...).
    oauth_needs_reauthorization = models.BooleanField(
        gettext_lazy("needs re-authorization"), default=False, editable=False
    )
    oauth_error = models.TextField(gettext_lazy("OAuth2 error"), blank=True, editable=False)
    oauth_error_at = models.DateTimeField(gettext_lazy("OAuth2 error at"), null=True, blank=True, editable=False)
    # A refresh token the provider rotated (answered a new one): encrypted with a key derived
    # from SECRET_KEY (mail.oauth), kept with the SHA-256 of the environment's refresh token it
    # descends from: a new refresh token put in the environment takes over from it.
    oauth_rotated_refresh_token = models.TextField(
        gettext_lazy("OAuth rotated refresh token"), blank=True, editable=False
    )
    oauth_rotated_from = models.CharField(gettext_lazy("OAuth rotated from"), max_length=64, blank=True, editable=False)
    oauth_rotated_at = models.DateTimeField(gettext_lazy("OAuth rotated at"), null=True, blank=True, editable=False)
    folder = models.CharField(gettext_lazy("folder"), max_length=255, default="INBOX")
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("Category of the tickets it opens"),
        verbose_name=gettext_lazy("category"),
    )
    priority = models.CharField(
        gettext_lazy("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        help_text=gettext_lazy("Team of the tickets it opens; empty: the category's team"),
        verbose_name=gettext_lazy("team"),
    )
    after_import = models.CharField(
        gettext_lazy("after import"), max_length=10, choices=AfterImport.choices, default=AfterImport.SEEN
    )
    move_to = models.CharField(
        gettext_lazy("move to"),
        max_length=255,
        blank=True,
        help_text=gettext_lazy("Folder for imported mail (when moving)"),
    )
    # Poll state: the folder's UIDVALIDITY and the highest UID taken from it.
    uid_validity = models.BigIntegerField(gettext_lazy("uid validity"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(gettext_lazy("last uid"), default=0, editable=False)
    last_polled_at = models.DateTimeField(gettext_lazy("last polled at"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(gettext_lazy("last success at"), null=True, blank=True, editable=False)
    last_error = models.TextField(gettext_lazy("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(gettext_lazy("last error at"), null=True, blank=True, editable=False)
    last_imported = models.PositiveIntegerField(gettext_lazy("last imported"), default=0, editable=False)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("mailbox")
        verbose_name_plural = gettext_lazy("mailboxes")
        constraints = [
            models.CheckConstraint(condition=Q(security__in=Security.values), name="mailbox_security_valid"),
            models.CheckConstraint(condition=Q(after_import__in=AfterImport.values), name="mailbox_after_import_valid"),
            models.CheckConstraint(
                condition=~Q(after_import=AfterImport.MOVE) | ~Q(move_to=""), name="mailbox_move_has_folder"
            ),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_valid"),
            models.CheckConstraint(condition=Q(auth__in=Auth.values), name="mailbox_auth_valid"),
            models.CheckConstraint(
                condition=Q(oauth_provider__in=[*OAuthProvider.values, ""]), name="mailbox_oauth_provider_valid"
            ),
            models.CheckConstraint(
                condition=~Q(auth=Auth.PASSWORD) | ~Q(("password_env", "")), name="mailbox_password_has_env"
            ),
            models.CheckConstraint(
                condition=~Q(auth=Auth.OAUTH2) | (~Q(oauth_provider="") & ~Q(oauth_client_id="")),
                name="mailbox_oauth2_has_client",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        """Its last poll failed."""
        return bool(self.last_error_at) and (self.last_success_at is None or self.last_error_at > self.last_success_at)

    @property
    def uses_oauth2(self) -> bool:
        return self.auth == Auth.OAUTH2

    @property
    def needs_reauthorization(self) -> bool:
        """OAuth2 sign-in refused by the provider: polls skip it until an administrator acts."""
        return self.uses_oauth2 and self.oauth_needs_reauthorization

    @property
    def oauth_grant(self) -> str:
        """ "refresh_token" when the mailbox names a refresh token variable, else "client_credentials"."""
        return "refresh_token" if self.oauth_refresh_token_env else "client_credentials"

    @property
    def oauth_effective_token_url(self) -> str:
        if self.oauth_token_url:
            return self.oauth_token_url
        if self.oauth_provider == OAuthProvider.MICROSOFT:
            return MICROSOFT_ENDPOINT.format(tenant=self.oauth_tenant)
        if self.oauth_provider == OAuthProvider.GOOGLE:
            return GOOGLE_ENDPOINT
        return ""

    @property
    def oauth_effective_scope(self) -> str:
        if self.oauth_scope:
            return self.oauth_scope
        if self.oauth_provider == OAuthProvider.MICROSOFT:
            return MICROSOFT_USER_SCOPE if self.oauth_grant == "refresh_token" else MICROSOFT_APP_SCOPE
        if self.oauth_provider == OAuthProvider.GOOGLE:
            return GOOGLE_SCOPE
        return ""

    def clean(self) -> None:
        """The sign-in's fields fit together; each error names its field."""
        for name in (
            "password_env",
            "oauth_tenant",
            "oauth_token_url",
            "oauth_client_id",
            "oauth_client_secret_env",
            "oauth_refresh_token_env",
            "oauth_scope",
        ):
            setattr(self, name, (getattr(self, name) or "").strip())
        errors: dict[str, str] = {}
        if self.auth == Auth.PASSWORD:
            if not self.password_env:
                errors.setdefault("password_env", _("Name the environment variable that holds the password."))
        elif self.auth == Auth.OAUTH2:
            self._oauth2_errors(errors.setdefault)
        if errors:
            raise ValidationError(errors)

    def _oauth2_errors(self, error) -> None:
        """Calls error(field, message) for each mistake in the OAuth2 fields."""
        provider = self.oauth_provider
        if not provider:
            error("oauth_provider", _("Choose the OAuth2 provider (Microsoft, Google or other)."))
        if not self.oauth_client_id:
            error("oauth_client_id", _("Give the client ID of the app registered with the provider."))
        if provider == OAuthProvider.MICROSOFT:
            if not self.oauth_tenant and not self.oauth_token_url:
                error(
                    "oauth_tenant",
                    _("Give the directory (tenant) ID or the organisation's domain, e.g. contoso.onmicrosoft.com."),
                )
            elif self.oauth_tenant.lower() in MICROSOFT_SHARED_TENANTS:
                error(
                    "oauth_tenant",
                    _(
                        "%(tenant)s names no organisation: give your own tenant ID or domain "
                        "(a token refreshed at /common is refused with AADSTS50194)."
                    )
                    % {"tenant": repr(self.oauth_tenant)},
                )
            elif self.oauth_tenant and not TENANT.fullmatch(self.oauth_tenant):
                error("oauth_tenant", _("A tenant is a GUID or a domain name (letters, digits, dots, hyphens)."))
        elif self.oauth_tenant and provider:
            error("oauth_tenant", _("Only Microsoft mailboxes have a tenant; leave it empty."))
        if provider == OAuthProvider.GOOGLE and not self.oauth_refresh_token_env:
            error(
                "oauth_refresh_token_env",
                _(
                    "Google needs a refresh token: obtain one once with the consent flow and name the "
                    "environment variable that holds it."
                ),
            )
        if provider == OAuthProvider.OTHER and not self.oauth_token_url:
            error("oauth_token_url", _("Give the provider's token URL."))
        if self.oauth_token_url:
            parts = urlsplit(self.oauth_token_url)
            if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
                error("oauth_token_url", _("The token URL must use https (plain http only on this machine)."))
            elif parts.username or parts.password:
                error("oauth_token_url", _("No credentials in the URL: name the client secret's variable instead."))
        if self.oauth_grant == "client_credentials" and not self.oauth_client_secret_env and provider:
            error(
                "oauth_client_secret_env",
                _(
                    "The client-credentials grant needs the client secret: name the environment variable that "
                    "holds it (or name a refresh token variable for delegated access)."
                ),
            )


class Route(models.TextChoices):
    # Translators: how an email reached the helpdesk (an IMAP poll, a provider's webhook, the mail
    # server's pipe, a local Maildir folder).
    IMAP = "imap", pgettext_lazy("mail route", "Imap")
    WEBHOOK = "webhook", pgettext_lazy("mail route", "Webhook")
    PIPE = "pipe", pgettext_lazy("mail route", "Pipe")
    MAILDIR = "maildir", pgettext_lazy("mail route", "Maildir")


class Outcome(models.TextChoices):
    TICKET = "ticket", gettext_lazy("Opened a ticket")
    REPLY = "reply", gettext_lazy("Added to a ticket")
    NOTE = "note", gettext_lazy("Internal note (another sender)")
    AUTOMATIC = "automatic", gettext_lazy("Automatic mail (recorded only)")
    BOUNCE = "bounce", gettext_lazy("Bounce of our mail")
    OWN = "own", gettext_lazy("Our own mail (ignored)")
    REFUSED = "refused", gettext_lazy("Refused (too large or too many parts)")
    QUARANTINED = "quarantined", gettext_lazy("Quarantined (could not be read)")


class InboundEmail(models.Model):
    """One email received (see the module's docstring)."""

    Route = Route
    Outcome = Outcome

    # The Message-ID (normalized), or one derived from the content when it had none.
    email_id = models.CharField(gettext_lazy("email id"), max_length=250)
    # SHA-256 of the email without its transport headers (Received, Delivered-To, ...): the
    # same email fetched twice collides; another email reusing an id does not.
    content_hash = models.CharField(gettext_lazy("content hash"), max_length=64)
    route = models.CharField(gettext_lazy("route"), max_length=10, choices=Route.choices)
    mailbox = models.ForeignKey(
        Mailbox,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
        verbose_name=gettext_lazy("mailbox"),
    )
    outcome = models.CharField(gettext_lazy("outcome"), max_length=12, choices=Outcome.choices)
    reason = models.TextField(
        gettext_lazy("reason"), blank=True, help_text=gettext_lazy("Why it was classified or quarantined")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=gettext_lazy("ticket")
    )
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("message"),
    )
    from_address = models.CharField(gettext_lazy("from address"), max_length=320, blank=True)
    from_name = models.CharField(gettext_lazy("from name"), max_length=255, blank=True)
    subject = models.CharField(gettext_lazy("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(gettext_lazy("size"))
    # The email as received, zlib-compressed: downloadable by agents, re-ingestable from admin.
    raw = models.BinaryField(gettext_lazy("raw"))
    acknowledged = models.BooleanField(gettext_lazy("acknowledged"), default=False)
    received_at = models.DateTimeField(gettext_lazy("received at"), default=timezone.now)
    reingested_at = models.DateTimeField(gettext_lazy("reingested at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = gettext_lazy("inbound email")
        verbose_name_plural = gettext_lazy("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["email_id", "content_hash"], name="inbound_email_once"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="inbound_email_route_valid"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="inbound_email_outcome_valid"),
        ]
        indexes = [
            # Acknowledgements sent to one sender lately (the rate limit).
            models.Index(
                fields=["from_address", "received_at"],
                name="inbound_email_acked_idx",
                condition=Q(acknowledged=True),
            ),
            # The quarantine in admin.
            models.Index(
                fields=["-received_at"], name="inbound_email_quarantine_idx", condition=Q(outcome="quarantined")
            ),
            models.Index(fields=["ticket"], name="inbound_email_ticket_idx", condition=Q(ticket__isnull=False)),
            models.Index(fields=["message"], name="inbound_email_message_idx", condition=Q(message__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.subject or self.email_id}"


class BouncedAddress(models.Model):
    """A customer address our mail could not be delivered to (from the bounces received)."""

    email = models.CharField(gettext_lazy("email"), max_length=320, unique=True, help_text=gettext_lazy("Lower case"))
    reason = models.TextField(gettext_lazy("reason"), blank=True)
    bounces = models.PositiveIntegerField(gettext_lazy("bounces"), default=1)
    first_bounced_at = models.DateTimeField(gettext_lazy("first bounced at"), default=timezone.now)
    last_bounced_at = models.DateTimeField(gettext_lazy("last bounced at"), default=timezone.now)

    class Meta:
        ordering = ["-last_bounced_at"]
        verbose_name = gettext_lazy("bounced address")
        verbose_name_plural = gettext_lazy("bounced addresses")

    def __str__(self) -> str:
        return self.email
