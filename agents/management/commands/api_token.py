"""Issue, list, rotate, revoke and purge API tokens (agents.tokens)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents import tokens


class Command(BaseCommand):
    help = (
        "API tokens: issue USER (a new token beside the others), list [USER], rotate USER (revoke "
        "all, issue one), revoke USER, purge (delete expired ones). A new token is printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["issue", "list", "rotate", "revoke", "purge"])
        parser.add_argument("username", nargs="?")
        parser.add_argument(
            "--days", type=int, default=None, help="validity in days (default API_TOKEN_TTL_DAYS; 0: never expires)"
        )

    def handle(self, *args: Any, action: str, username: str | None, days: int | None, **options: Any) -> None:
        if action == "purge":
            self.stdout.write(f"Deleted {tokens.purge_expired()} expired token(s).")
            return
        if action == "list":
            rows = tokens.AuthToken.objects.select_related("user").order_by("user__username", "created")
            if username:
                rows = rows.filter(user=self._user(username))
            for row in rows:
                self.stdout.write(
                    f"{row.user.get_username()}\t{row.token_key}…\tissued {row.created:%Y-%m-%d}\t{tokens.expires(row)}"
                )
            return
        if not username:
            raise CommandError(f"{action} needs a username.")
        user = self._user(username)
        if action == "revoke":
            self.stdout.write(f"Revoked {tokens.revoke(user)} token(s) of {username}.")
            return
        row, key = (tokens.issue if action == "issue" else tokens.rotate)(user, days=days)
        self.stdout.write(f"{username}: Authorization: Token {key} ({tokens.expires(row)})")

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user
