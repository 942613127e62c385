"""`manage.py mail_oauth_consent "<mailbox>"`: obtain, once, the refresh token an OAuth2 mailbox
with delegated access signs in with (Google Workspace always; Microsoft 365 when it does not use
the client-credentials grant), and print it for the worker's environment.

- Microsoft: the device code flow. It prints an address and a code; sign in there (anywhere,
  any device) as the mailbox's user and allow access. The app registration must allow public
  client flows; the mailbox then names no client secret.
- Google: the authorization code flow with PKCE, for an OAuth client of type "Desktop app".
  It prints an address; open it in a browser, sign in as the mailbox's user and allow access.
  The browser is then sent to http://127.0.0.1:8765/?code=...: the page does not load (nothing
  listens there), and that is fine: copy the whole address from the address bar and paste it.

The refresh token is printed, never stored: put it in the variable the mailbox names, restart
the worker with it, then save the mailbox in admin or choose "Retry sign-in".
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from mail import oauth
from mail.models import Mailbox, OAuthProvider


class Command(BaseCommand):
    help = "Sign in once as an OAuth2 mailbox's user and print the refresh token for its environment variable."

    def add_arguments(self, parser) -> None:
        parser.add_argument("mailbox", help="The mailbox's name (or id), as in admin")

    def handle(self, *args, mailbox: str, **options) -> None:
        found = Mailbox.objects.filter(name=mailbox).first()
        if found is None and mailbox.isdigit():
            found = Mailbox.objects.filter(pk=int(mailbox)).first()
        if found is None:
            raise CommandError(f"no mailbox named {mailbox!r}")
        if not found.uses_oauth2:
            raise CommandError(f"{found} signs in with a password: choose OAuth2 in admin first")
        if found.oauth_grant != "refresh_token":
            raise CommandError(
                f"{found} uses the client-credentials grant: it needs no consent. For delegated access name "
                "a refresh token variable in admin first."
            )
        try:
            if found.oauth_provider == OAuthProvider.MICROSOFT:
                answer = self.microsoft(found)
            elif found.oauth_provider == OAuthProvider.GOOGLE:
                answer = self.google(found)
            else:
                raise CommandError(
                    "for another provider, obtain the refresh token with its own tools "
                    "(authorization code flow with offline access)"
                )
        except (oauth.ConsentError, oauth.TokenError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            "\nThe refresh token (a secret: keep it out of tickets, chats and shell history):\n\n"
            f"{answer['refresh_token']}\n\n"
            f"Put it in the worker's environment as {found.oauth_refresh_token_env}, restart the worker, "
            'then save the mailbox in admin or choose "Retry sign-in".'
        )

    def microsoft(self, mailbox: Mailbox) -> dict:
        device = oauth.start_device_flow(mailbox)
        message = device.get("message")
        if not isinstance(message, str) or not message:
            message = f"Open {device.get('verification_uri')} and enter the code {device['user_code']}."
        self.stdout.write(f"{message}\nSign in as {mailbox.username}. Waiting for the sign-in...")
        self.stdout.flush()
        return oauth.finish_device_flow(mailbox, device)

    def google(self, mailbox: Mailbox) -> dict:
        url, state, verifier = oauth.authorization_request(mailbox)
        self.stdout.write(
            f"Open this address in a browser, sign in as {mailbox.username} and allow access:\n\n{url}\n\n"
            f"The browser then goes to {oauth.LOOPBACK_REDIRECT}?... and shows an error page: that is expected. "
            "Copy the whole address from its address bar and paste it here:"
        )
        self.stdout.flush()
        address = sys.stdin.readline()
        if not address.strip():
            raise CommandError("no address pasted")
        return oauth.exchange_code(mailbox, oauth.code_from_redirect(address, state), verifier)
