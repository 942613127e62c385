"""Load demo data: an administrator, ticket categories and a few agents. Idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agents.models import Agent
from tickets.models import Category

CATEGORIES = [
    ("general", "General", "Questions that fit nowhere else"),
    ("technical", "Technical", "Something does not work as expected"),
    ("billing", "Billing", "Invoices, payments and refunds"),
    ("account", "Account", "Sign-in, profile and access"),
    ("other", "Other", "Anything else"),
]

AGENTS = [
    # username, name, role, timezone, max tickets, specializations
    ("alice", "Alice Moreau", "supervisor", "Europe/Paris", 15, ["general", "billing", "account"]),
    ("bob", "Bob Okafor", "agent", "Africa/Lagos", 10, ["technical", "other"]),
    ("chen", "Chen Wei", "agent", "Asia/Shanghai", 8, ["technical", "account"]),
    ("dana", "Dana Kowalski", "agent", "America/New_York", 12, ["billing", "general"]),
    ("emil", "Emil Svensson", "agent", "Europe/Stockholm", 10, ["general", "technical", "other"]),
]


class Command(BaseCommand):
    help = "Create demo data (admin user, categories, agents). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin-password", default="admin", help="password of the 'admin' user")
        parser.add_argument("--agent-password", default="agent", help="password of every demo agent")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even though DEBUG is false (demo passwords are weak)",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("DEBUG is false: refusing to create demo users with known passwords.")
        User = get_user_model()

        admin, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(options["admin_password"])
            admin.save()

        categories = {}
        for slug, name, description in CATEGORIES:
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )

        for username, name, role, timezone, max_tickets, specializations in AGENTS:
            email = f"{username}@helpdesk.example.com"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": email,
                    "first_name": name.split()[0],
                    "last_name": name.split()[-1],
                    "is_staff": role != "agent",
                },
            )
            if created:
                user.set_password(options["agent_password"])
                user.save()
            agent, _ = Agent.objects.get_or_create(
                user=user,
                defaults={
                    "name": name,
                    "email": email,
                    "role": role,
                    "timezone": timezone,
                    "max_tickets": max_tickets,
                },
            )
            agent.specializations.add(*(categories[slug] for slug in specializations))

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Category.objects.count()} categories, {Agent.objects.count()} agents.\n"
                f"Admin login: {settings.SITE_URL}/admin/  user: admin  "
                f"password: {options['admin_password']}\n"
                f"Agent logins: {', '.join(a[0] for a in AGENTS)}  password: {options['agent_password']}"
            )
        )
