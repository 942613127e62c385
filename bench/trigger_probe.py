"""The cost of triggers on a ticket write, in a process of its own (JSON on stdout).

`python -m bench.trigger_probe WRITES`: the same writes (a priority change through
tickets.services.ticket_update, each its own transaction, as the API makes them) timed with
no trigger, then with 50 active triggers listening to ticket updates, a realistic mix of
conditions none of which holds for these writes (text in the subject, the customer's domain,
a priority changed to urgent, a tag, an organisation), so what is measured is checking them,
not what their actions do. The triggers are deleted at the end.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agents.roles import SYSTEM
    from automation import cache
    from automation.models import Trigger
    from automation.tests.factories import make_trigger
    from tickets.models import Ticket
    from tickets.services import ticket_update

    writes = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    tickets = list(
        Ticket.objects.filter(status__in=["new", "open"], priority__in=["normal", "high"]).order_by("-id")[:50]
    )

    def run(count: int) -> tuple[list[float], int]:
        timings: list[float] = []
        statements = 0
        for n in range(count):
            index = n % len(tickets)
            ticket = tickets[index]
            target = "high" if ticket.priority == "normal" else "normal"
            connection.queries_log.clear()  # a full log (9,000 entries) would count nothing new
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                tickets[index] = ticket_update(ticket=ticket, actor=SYSTEM, priority=target)
                timings.append((time.perf_counter() - started) * 1000)
            statements = len(queries.captured_queries)
        return timings[1:], statements  # the first write after a change of triggers reads them

    Trigger.objects.filter(name__startswith="bench ").delete()
    for n in range(50):
        kind = n % 5
        if kind == 0:
            conditions = [("subject", "contains", f"no such words {n}")]
        elif kind == 1:
            conditions = [("customer_domain", "is", f"bench-{n}.example")]
        elif kind == 2:
            conditions = [("priority", "changed_to", "urgent"), ("any", "channel", "is", "email")]
        elif kind == 3:
            conditions = [("status", "is", "pending"), ("tags", "includes", f"bench-{n}")]
        else:
            conditions = [
                ("any", "subject", "contains", f"refund {n}"),
                ("any", "customer_email", "ends_with", f"@x{n}.example"),
            ]
        make_trigger(["ticket.updated"], conditions, [("add_tags", f"bench-{n}")], name=f"bench {n}", position=n)
    # Blocks of writes without and with the triggers, taking turns, so that whatever else the
    # machine does weighs on both alike.
    none: list[float] = []
    fifty: list[float] = []
    none_statements = fifty_statements = 0
    block = 20
    try:
        for _ in range(max(1, writes // (2 * block))):
            for active, into in ((False, none), (True, fifty)):
                Trigger.objects.filter(name__startswith="bench ").update(active=active)
                cache.changed()
                timings, statements = run(block + 1)
                into += timings
                if active:
                    fifty_statements = statements
                else:
                    none_statements = statements
    finally:
        Trigger.objects.filter(name__startswith="bench ").delete()
        cache.changed()
    print(
        json.dumps(
            {
                "writes": len(none),
                "none_p50_ms": statistics.median(none),
                "none_p95_ms": _p95(none),
                "fifty_p50_ms": statistics.median(fifty),
                "fifty_p95_ms": _p95(fifty),
                "extra_p95_ms": _p95(fifty) - _p95(none),
                "statements_without": none_statements,
                "statements_with": fifty_statements,
            }
        )
    )


if __name__ == "__main__":
    main()
