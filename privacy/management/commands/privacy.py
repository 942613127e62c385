"""`manage.py privacy export <email> [--output FILE]` and `manage.py privacy erase <email> --yes`:
a data-subject request from the command line (privacy.services)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from privacy.services import customer_erase, customer_export


class Command(BaseCommand):
    help = "Export or erase everything the helpdesk holds about one customer email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("email")
        parser.add_argument("--output", help="export: the zip to write (default: <email>.zip)")
        parser.add_argument("--yes", action="store_true", help="erase: confirm; there is no undo")

    def handle(self, *args, action: str, email: str, output: str | None, yes: bool, **options) -> None:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        if action == "export":
            path = Path(output or f"{email.strip().lower()}.zip")
            path.write_bytes(customer_export(email))
            self.stdout.write(f"Wrote {path} ({path.stat().st_size} bytes).")
            return
        if not yes:
            raise CommandError("erasing cannot be undone: add --yes to confirm")
        counts = customer_erase(email)
        self.stdout.write("Erased: " + ", ".join(f"{key} {value}" for key, value in sorted(counts.items())))
