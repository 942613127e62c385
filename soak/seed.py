"""Seed the soak database on top of `manage.py seed_demo` (run by soak/run.py).

1. Background tickets in every status, indexed for search, so lists and searches work on
   a few thousand rows rather than demo-sized tables.
2. Tickets that become overdue while the soak runs: open, assigned, under a policy, with
   their first-response due times spread evenly between `--due-from` and `--due-until`
   (at risk two minutes before), so every minute's SLA scan finds new breaches and warnings
   and writes their alerts (email, Slack, in-app) into the outbox.

Prints one JSON line: the ids of the tickets that become overdue and the token of the
agent the traffic signs in as.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django

django.setup()

from django.db import transaction

from agents import tokens
from agents.models import Agent
from sla.models import SLAPolicy
from tickets.models import Category, Status, Ticket
from tickets.queries import refresh_search_vector

WORDS = [
    *("invoice", "refund", "password", "login", "printer", "router", "email", "export", "report"),
    *("billing", "shipment", "account", "upgrade", "crash", "timeout", "sync", "mobile", "calendar"),
]
STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


@transaction.atomic
def seed(*, background: int, overdue: int, due_from: datetime, due_until: datetime) -> dict:
    rng = random.Random(9)  # noqa: S311 - sample data, not secrets
    categories = list(Category.objects.all())
    agents = list(Agent.objects.all())
    policy = SLAPolicy.objects.filter(active=True).order_by("id").first()
    now = datetime.now(UTC)

    tickets = []
    for n in range(background):
        created = now - timedelta(hours=rng.uniform(1, 24 * 60))
        status = rng.choice(STATUSES)
        tickets.append(
            Ticket(
                subject=f"{sentence(rng, 4)} ({n})",
                description=sentence(rng, 25),
                customer_email=f"customer{n % 400}@example.org",
                customer_name=f"Customer {n % 400}",
                category=rng.choice(categories),
                priority=rng.choice(["low", "normal", "high", "urgent"]),
                status=status,
                assigned_agent=rng.choice(agents) if status != Status.NEW else None,
                created_at=created,
                resolved_at=created + timedelta(hours=5) if status in (Status.RESOLVED, Status.CLOSED) else None,
                closed_at=created + timedelta(hours=9) if status == Status.CLOSED else None,
                first_responded_at=created + timedelta(hours=1) if status != Status.NEW else None,
            )
        )
    created_background = Ticket.objects.bulk_create(tickets, batch_size=1000)

    step = (due_until - due_from) / max(1, overdue - 1)
    becoming_overdue = []
    for n in range(overdue):
        due = due_from + step * n
        becoming_overdue.append(
            Ticket(
                subject=f"Soak: {sentence(rng, 3)} #{n}",
                description=sentence(rng, 20),
                customer_email=f"overdue{n}@example.org",
                customer_name=f"Overdue {n}",
                category=rng.choice(categories),
                priority="high",
                status=Status.OPEN,
                assigned_agent=agents[n % len(agents)],
                sla_policy=policy,
                created_at=now - timedelta(hours=1),
                first_response_due_at=due,
                first_response_at_risk_at=due - timedelta(minutes=2),
                resolution_due_at=now + timedelta(days=30),
                resolution_at_risk_at=now + timedelta(days=29),
            )
        )
    created_overdue = Ticket.objects.bulk_create(becoming_overdue, batch_size=1000)
    refresh_search_vector([t.pk for t in created_background + created_overdue])

    supervisor = Agent.objects.filter(role="supervisor").select_related("user").order_by("id").first()
    _row, key = tokens.issue(supervisor.user)
    return {"overdue_ids": [t.pk for t in created_overdue], "token": key, "agent": supervisor.user.username}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--background", type=int, default=3000)
    parser.add_argument("--overdue", type=int, default=100)
    parser.add_argument("--due-from", type=float, required=True, help="Unix time of the first due time")
    parser.add_argument("--due-until", type=float, required=True, help="Unix time of the last due time")
    args = parser.parse_args()
    result = seed(
        background=args.background,
        overdue=args.overdue,
        due_from=datetime.fromtimestamp(args.due_from, UTC),
        due_until=datetime.fromtimestamp(args.due_until, UTC),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
