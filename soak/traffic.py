"""Mixed traffic at a steady rate against the soak's gunicorn (run by soak/run.py, in its own process).

Request i is due at start + i / rate; a few threads take the next due request and wait for
its moment, so the rate holds whatever the latency (up to the threads' capacity). Every
request is recorded: seconds since start, endpoint, status, latency. Only a 2xx counts as
a success: any other status or a failed connection is an error.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

WORDS = ["invoice", "password", "printer", "refund", "router", "login", "export", "billing"]


class Traffic:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.lock = threading.Lock()
        self.ticket_ids: list[int] = []
        self.created_ids: list[int] = []
        self.slugs: list[str] = []
        self.records: list[dict[str, Any]] = []
        self.started = time.monotonic()

    # -- HTTP ------------------------------------------------------------------------------

    def call(self, name: str, path: str, *, method: str = "GET", body: dict | None = None, auth: bool = False):
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        begun = time.monotonic()
        status, payload, error = 0, b"", ""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as failure:
            status, payload = failure.code, failure.read()
        except OSError as failure:
            error = f"{type(failure).__name__}: {failure}"
        record = {
            "t": round(begun - self.started, 3),
            "name": name,
            "status": status,
            "ms": round((time.monotonic() - begun) * 1000, 2),
        }
        if error or not 200 <= status < 300:
            record["error"] = error or payload[:300].decode("utf8", errors="replace")
        with self.lock:
            self.records.append(record)
        return status, payload

    def json_of(self, name: str, path: str, **kwargs) -> Any:
        status, payload = self.call(name, path, **kwargs)
        return json.loads(payload) if 200 <= status < 300 else None

    # -- The mix -------------------------------------------------------------------------------

    def prepare(self) -> None:
        page = self.json_of("setup", "/api/support/tickets?page_size=100&ordering=-created_at", auth=True)
        self.ticket_ids = [t["id"] for t in page["results"]]
        articles = self.json_of("setup", "/api/support/articles?page_size=100")
        self.slugs = [a["slug"] for a in articles["results"]]
        self.records.clear()

    def api_list(self, rng: random.Random) -> None:
        query = rng.choice(["", "&status=open", "&priority=high", "&ordering=-updated_at", "&unassigned=true"])
        self.call("api_list", f"/api/support/tickets?page_size=25{query}", auth=True)

    def api_detail(self, rng: random.Random) -> None:
        self.call("api_detail", f"/api/support/tickets/{rng.choice(self.ticket_ids)}", auth=True)

    def api_search(self, rng: random.Random) -> None:
        self.call("api_search", f"/api/support/tickets?search={rng.choice(WORDS)}", auth=True)

    def api_create(self, rng: random.Random) -> None:
        number = rng.randrange(10**6)
        ticket = self.json_of(
            "api_create",
            "/api/support/tickets",
            method="POST",
            auth=True,
            body={
                "subject": f"Soak traffic: {rng.choice(WORDS)} problem {number}",
                "description": f"Customer {number} reports a {rng.choice(WORDS)} problem since this morning.",
                "customer_email": f"traffic{number}@example.org",
                "customer_name": f"Traffic {number}",
                "category": "general",
            },
        )
        if ticket:
            with self.lock:
                self.created_ids.append(ticket["id"])

    def api_message(self, rng: random.Random) -> None:
        with self.lock:
            candidates = self.created_ids[-50:]
        if not candidates:
            return self.api_create(rng)
        ticket_id = rng.choice(candidates)
        self.call(
            "api_message",
            f"/api/support/tickets/{ticket_id}/messages",
            method="POST",
            auth=True,
            body={"body": f"Thanks, we are looking into it ({rng.randrange(1000)}).", "internal": rng.random() < 0.3},
        )

    def api_articles(self, rng: random.Random) -> None:
        self.call("api_articles", f"/api/support/articles?q={rng.choice(WORDS)}")

    def kb_index(self, rng: random.Random) -> None:
        self.call("kb_index", "/kb/")

    def kb_search(self, rng: random.Random) -> None:
        self.call("kb_search", f"/kb/?q={rng.choice(WORDS)}")

    def kb_article(self, rng: random.Random) -> None:
        self.call("kb_article", f"/kb/{urllib.parse.quote(rng.choice(self.slugs))}")

    def portal_home(self, rng: random.Random) -> None:
        self.call("portal_home", "/")

    def faq(self, rng: random.Random) -> None:
        self.call("faq", "/faq/")

    def portal_form(self, rng: random.Random) -> None:
        self.call("portal_form", "/portal/tickets/new")

    def mix(self) -> list[tuple[Callable[[random.Random], None], int]]:
        return [
            (self.api_list, 18),
            (self.api_detail, 15),
            (self.api_search, 10),
            (self.api_create, 7),
            (self.api_message, 7),
            (self.api_articles, 6),
            (self.kb_index, 8),
            (self.kb_search, 7),
            (self.kb_article, 9),
            (self.portal_home, 6),
            (self.faq, 4),
            (self.portal_form, 3),
        ]


def run(base: str, token: str, seconds: float, rate: float, threads: int, out: str) -> None:
    traffic = Traffic(base, token)
    traffic.prepare()
    actions, weights = zip(*traffic.mix(), strict=True)
    total = int(seconds * rate)
    counter = iter(range(total))
    counter_lock = threading.Lock()
    traffic.started = start = time.monotonic()

    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - traffic mix, not secrets
        while True:
            with counter_lock:
                i = next(counter, None)
            if i is None:
                return
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action = rng.choices(actions, weights)[0]
            try:
                action(rng)
            except Exception as failure:  # a broken driver must show as errors, not as a quiet run
                with traffic.lock:
                    traffic.records.append(
                        {
                            "t": round(time.monotonic() - start, 3),
                            "name": action.__name__,
                            "status": 0,
                            "ms": 0.0,
                            "error": f"driver: {type(failure).__name__}: {failure}",
                        }
                    )

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    with open(out, "w") as handle:
        for record in traffic.records:
            handle.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=15.0, help="requests per second")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    run(args.base, args.token, args.seconds, args.rate, args.threads, args.out)


if __name__ == "__main__":
    main()
