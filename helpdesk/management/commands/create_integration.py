"""Create (or find) an integration user and print its API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agents import tokens
from agents.models import Agent
from agents.roles import INTEGRATIONS_GROUP


class Command(BaseCommand):
    help = (
        "Create an integration: an API user that creates and updates tickets and posts messages on the "
        "customer's behalf, but never sees internal notes. Prints a new token (shown only once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="username of the integration, e.g. crm-sync")

    @transaction.atomic
    def handle(self, *args: Any, name: str, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(username=name)
        if Agent.objects.filter(user=user).exists():
            raise CommandError(f"{name} is an agent; an integration must be a user of its own.")
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get_or_create(name=INTEGRATIONS_GROUP)[0])
        # A new token each time: the old ones stay valid until revoked (manage.py api_token).
        row, key = tokens.issue(user)
        self.stdout.write(f"Integration {name}: Authorization: Token {key} ({tokens.expires(row)})")
