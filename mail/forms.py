"""The mailbox's form, shared by Django admin (MailboxAdmin) and the API (mail.api), so both
apply the same rules: the form's own checks, then the model's (Mailbox.clean, its validators
and constraints)."""

from __future__ import annotations

import re

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mail.models import Mailbox

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _formfield(field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class MailboxForm(forms.ModelForm):
    class Meta:
        model = Mailbox
        formfield_callback = _formfield
        fields = [
            "name",
            "enabled",
            "host",
            "port",
            "security",
            "auth",
            "username",
            "password_env",
            "oauth_provider",
            "oauth_tenant",
            "oauth_client_id",
            "oauth_client_secret_env",
            "oauth_refresh_token_env",
            "oauth_scope",
            "oauth_token_url",
            "folder",
            "category",
            "team",
            "priority",
            "after_import",
            "move_to",
        ]
        # The variables' names and the token URL are explained by the model's help texts.
        help_texts = {
            "auth": gettext_lazy(
                "Microsoft 365 and Google Workspace accept OAuth2 only. A password (or a Gmail app password) "
                "works with other servers."
            ),
            "username": gettext_lazy(
                "The mailbox's address, e.g. support@contoso.com (with OAuth2 too: it is the user signing in)."
            ),
            "oauth_provider": gettext_lazy("Other: any OAuth2 provider whose token URL you give below."),
            "oauth_tenant": gettext_lazy(
                "Microsoft only: the Directory (tenant) ID shown on the app registration's overview, or the "
                "organisation's domain (contoso.onmicrosoft.com). Not 'common'."
            ),
            "oauth_client_id": gettext_lazy(
                "Microsoft: the Application (client) ID of the app registered in Entra ID. Google: the OAuth client "
                "ID from Google Cloud console (APIs & Services, Credentials)."
            ),
            "oauth_scope": gettext_lazy(
                "Empty: the provider's default. Microsoft: https://outlook.office365.com/.default (client "
                "credentials) or https://outlook.office.com/IMAP.AccessAsUser.All offline_access (refresh token). "
                "Google: https://mail.google.com/."
            ),
            "move_to": gettext_lazy("Folder for imported mail when moving (created if missing)."),
            "folder": gettext_lazy("The folder polled, usually INBOX."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without it (made before OAuth2 existed) means a password, the default.
        self.fields["auth"].required = False

    def clean_auth(self) -> str:
        return self.cleaned_data.get("auth") or Mailbox.Auth.PASSWORD

    def clean_password_env(self) -> str:
        name = self.cleaned_data["password_env"].strip()
        if name and not ENV_NAME.fullmatch(name):
            raise forms.ValidationError(
                _(
                    "Give the name of an environment variable (letters, digits and _, not starting with a digit), "
                    "not the password."
                )
            )
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("after_import") == Mailbox.AfterImport.MOVE and not (cleaned.get("move_to") or "").strip():
            self.add_error("move_to", _("Name the folder to move imported mail to."))
        return cleaned
