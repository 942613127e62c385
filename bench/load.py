"""Load generator (a process of its own, asyncio + aiohttp) for the API benchmarks.

python -m bench.load BASE FIXTURES sequential N   each endpoint N times in a row: latency
python -m bench.load BASE FIXTURES mixed STEPS     open-loop mixed traffic at rising rates
python -m bench.load BASE FIXTURES public REPEATS  anonymous KB/FAQ traffic, repeated queries

Prints one JSON line on stdout; progress on stderr. Latency in the mixed workload is counted
from the moment a request was due to leave (open loop), so a server that falls behind shows
it in the figures instead of slowing the generator down.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import datetime, timedelta

import aiohttp

from bench import words
from bench.stats import percentile, summary

SEARCH_WORDS = ["invoice", "refund", "password", "export", "webhook", "Nimbus-7", "Atlas-12", "printer", "sync"]
KB_WORDS = ["password", "invoice", "export report", "webhook token", "пароль", "оплата", "printer setting"]


class Requests:
    """Builds each kind of request from the benchmark's fixtures."""

    def __init__(self, fixtures: dict, rng: random.Random) -> None:
        self.f = fixtures
        self.rng = rng
        now = datetime.fromisoformat(fixtures["now"])
        self.month = {"start": (now - timedelta(days=30)).date().isoformat(), "end": now.date().isoformat()}

    def ticket_list(self):
        rng, f = self.rng, self.f
        params = rng.choice(
            [
                {"status": "open"},
                {"status": "new", "priority": "urgent"},
                {"assigned_agent": str(rng.choice(f["agents"])), "status": "open"},
                {"category": rng.choice(f["categories"])},
                {"customer_email": rng.choice(f["emails"])},
                {"tag": rng.choice(f["tags"])},
                {"status": "pending", "ordering": "-updated_at"},
                {},
            ]
        )
        return "GET", "/api/support/tickets", params, None

    def ticket_detail(self):
        return "GET", f"/api/support/tickets/{self.rng.choice(self.f['tickets'])}", None, None

    def ticket_create(self):
        rng = self.rng
        # Worded and tagged like the seeded tickets (bench/seed.py: 3 in 10 carry one tag), so
        # the newest tickets, which lists and searches read first, stay like the rest after
        # repeated runs: untagged, they made a tag filter walk past every one of them.
        body = {
            "subject": words.subject(rng),
            "description": words.text(rng, rng.randint(25, 60)).capitalize() + ".",
            "customer_email": f"bench-load-{rng.randrange(5000)}@example.com",
            "category": rng.choice(self.f["categories"]),
            "priority": rng.choice(["low", "normal", "high", "urgent"]),
            "tags": [rng.choice(self.f["tags"])] if rng.random() < 0.3 else [],
        }
        return "POST", "/api/support/tickets", None, body

    def message_create(self):
        ticket = self.rng.choice(self.f["open_tickets"])
        body = {
            "body": "Thanks, we are looking into it and will update you shortly.",
            "internal": self.rng.random() < 0.5,
        }
        return "POST", f"/api/support/tickets/{ticket}/messages", None, body

    def ticket_search(self):
        return "GET", "/api/support/tickets", {"search": self.rng.choice(SEARCH_WORDS)}, None

    def kb_search(self):
        return "GET", "/api/support/articles", {"q": self.rng.choice(KB_WORDS)}, None

    def compliance_30d(self):
        return "GET", "/api/support/sla/compliance", self.month, None

    def feedback_summary(self):
        return "GET", "/api/support/feedback/summary", self.month, None

    def sla_check(self):
        return "POST", "/api/support/sla", None, {"ticket_id": self.rng.choice(self.f["open_tickets"])}


SEQUENTIAL = [
    "sla_check",
    "ticket_list",
    "ticket_detail",
    "ticket_create",
    "message_create",
    "ticket_search",
    "kb_search",
    "compliance_30d",
    "feedback_summary",
]
# A day in a busy helpdesk: agents mostly read queues and tickets, reply, search; reports are rare.
MIX = {
    "ticket_list": 30,
    "ticket_detail": 30,
    "message_create": 10,
    "ticket_search": 8,
    "kb_search": 8,
    "ticket_create": 6,
    "sla_check": 6,
    "compliance_30d": 1,
    "feedback_summary": 1,
}


async def call(session: aiohttp.ClientSession, base: str, request) -> tuple[int, float]:
    method, path, params, body = request
    started = time.perf_counter()
    async with session.request(method, base + path, params=params, json=body) as response:
        await response.read()
        return response.status, (time.perf_counter() - started) * 1000


def _session(token: str | None, limit: int = 100) -> aiohttp.ClientSession:
    headers = {"Authorization": f"Token {token}"} if token else {}
    return aiohttp.ClientSession(
        headers=headers, connector=aiohttp.TCPConnector(limit=limit), timeout=aiohttp.ClientTimeout(total=30)
    )


async def sequential(base: str, fixtures: dict, count: int, *, who: str = "token", names=None) -> dict:
    requests = Requests(fixtures, random.Random(1))
    results = {}
    async with _session(fixtures[who], limit=1) as session:
        for name in names or SEQUENTIAL:
            build = getattr(requests, name)
            for _ in range(max(5, count // 20)):  # warm-up: connections, caches of the plan
                await call(session, base, build())
            latencies, errors = [], 0
            for _ in range(count):
                status, ms = await call(session, base, build())
                errors += status >= 400
                latencies.append(ms)
            results[name] = {**summary(latencies, digits=2), "errors": errors}
            print(
                f"  {name:<18} median {results[name]['median']:>7} ms  p95 {results[name]['p95']:>7} ms  "
                f"errors {errors}",
                file=sys.stderr,
                flush=True,
            )
    return results


async def _step(base: str, fixtures: dict, rate: float, seconds: float, rng: random.Random) -> dict:
    requests = Requests(fixtures, rng)
    kinds, weights = zip(*MIX.items(), strict=True)
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}

    async with _session(fixtures["token"], limit=200) as session:

        async def one(due: float) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            build = getattr(requests, rng.choices(kinds, weights)[0])
            try:
                status, _ = await call(session, base, build())
            except Exception:
                status = 599
            statuses[status] = statuses.get(status, 0) + 1
            errors += status >= 400
            latencies.append((time.perf_counter() - due) * 1000)

        started = time.perf_counter() + 0.2
        total = int(rate * seconds)
        await asyncio.gather(*(one(started + i / rate) for i in range(total)))
        elapsed = time.perf_counter() - started
    return {
        "rate": rate,
        "requests": total,
        "answered": len(latencies),
        # Answers per second of wall time, until the last answer came: below the offered rate
        # by the last answers' latency even when the server kept up with every request.
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "errors": errors,
        "statuses": statuses,
    }


async def mixed(base: str, fixtures: dict, steps: int) -> dict:
    rng = random.Random(2)
    seconds = 20 if steps > 5 else 5
    results, best = [], 0.0
    # Steps 25 req/s apart. The figure is the highest offered rate at which every request was
    # answered, none with an error, with a p95 (counted from when each was due) of 100 ms at
    # most: the rate the helpdesk sustained.
    for rate in [25 * (n + 1) for n in range(steps)]:
        step = await _step(base, fixtures, rate, seconds, rng)
        results.append(step)
        ok = step["p95_ms"] <= 100 and step["errors"] == 0 and step["answered"] == step["requests"]
        print(
            f"  {rate:>4} req/s offered: {step['achieved_rps']} served, p50 {step['p50_ms']} ms, "
            f"p95 {step['p95_ms']} ms, errors {step['errors']} {'ok' if ok else ''}",
            file=sys.stderr,
            flush=True,
        )
        if ok:
            best = max(best, rate)
        elif step["p95_ms"] > 300:
            break
        await asyncio.sleep(2)
    return {"best_rate": best, "steps": results}


async def public(base: str, fixtures: dict, repeats: int) -> dict:
    paths = [("/api/support/articles", {"q": word}) for word in KB_WORDS]
    paths += [("/api/support/faqs", None), ("/api/support/articles", None)]
    paths += [(f"/api/support/articles/{pk}", None) for pk in fixtures["article_ids"][:10]]
    paths += [("/kb/", {"q": word}) for word in KB_WORDS[:3]] + [("/faq/", None), ("/kb/", None)]
    count, errors = 0, 0
    async with _session(None, limit=4) as session:
        for _ in range(repeats):
            for path, params in paths:
                status, _ = await call(session, base, ("GET", path, params, None))
                count += 1
                errors += status >= 400
    return {"requests": count, "errors": errors}


async def steady(base: str, fixtures: dict, rate: int, seconds: float, kind: str) -> dict:
    """One kind of request at a steady rate (the cpu benchmark's load)."""
    global MIX
    mix, MIX = MIX, {kind: 1}
    try:
        return await _step(base, fixtures, rate, seconds, random.Random(3))
    finally:
        MIX = mix


def main() -> None:
    base, fixtures_path, mode, number = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(fixtures_path) as handle:
        fixtures = json.load(handle)
    if mode == "steady":  # steady RATE SECONDS KIND
        print(json.dumps(asyncio.run(steady(base, fixtures, number, float(sys.argv[5]), sys.argv[6]))))
        return
    if mode == "member":  # the list and search as an agent of a restricted team (issue 22)
        result = sequential(base, fixtures, number, who="member_token", names=("ticket_list", "ticket_search"))
        print(json.dumps(asyncio.run(result)))
        return
    run = {"sequential": sequential, "mixed": mixed, "public": public}[mode]
    print(json.dumps(asyncio.run(run(base, fixtures, number))))


if __name__ == "__main__":
    main()
