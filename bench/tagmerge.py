"""A tag merge at scale (tickets.tags.tag_merge, `POST /api/support/tags/{id}/merge`), measured
without changing the benchmark's database: later benchmarks and runs reuse it.

Two merges, TAGMERGE_RUNS times each, into the second most used tag:

- the largest: the seed's most used tag (a fifth of the tagged tickets, ~60,000 at full scale);
- a mid-sized one: a tag made for the run on a tenth as many tickets, spread over the whole
  table (some already carry the target tag: the merge keeps one link), in the same
  transaction as the merge.

Each run is one transaction, rolled back at its end:

1. `tag_merge` itself (locking both tags, the set-based statement of tickets.queries, the
   references renamed, the source deleted), as the API calls it.
2. `SET CONSTRAINTS ALL IMMEDIATE`: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so
   a commit first checks every row the transaction wrote (the merge's history lines and links
   point at a ticket each). Rolling back skips those checks; running them here is what the
   commit would do, but for flushing its WAL.
3. Rollback: the tickets' locks go, as at commit.

Meanwhile a writer (a thread with its own connection) watches a sample of the tag's tickets
(their `xmax`, which the merge's UPDATE sets without blocking readers); as soon as the merge
has locked one, it takes that ticket's lock as `ticket_update` does (SELECT ... FOR UPDATE,
in a transaction it rolls back) and measures how long it waits: what an agent's reply or
status change to one of those tickets waits while the merge runs.

Afterwards the tables are vacuumed (the rolled-back rows are dead tuples in every ticket index)
and a fingerprint of what the merge touches is compared with the one taken before.
"""

from __future__ import annotations

import os
import threading
import time

from django.db import connection, transaction

from bench.scales import Scale
from bench.stats import summary

TAGMERGE_RUNS = 3
MID_TAG = "bench-tagmerge-mid"
WATCHED_TICKETS = 100  # sampled tickets the writer watches for the merge's lock
WATCH_INTERVAL = 0.01
VACUUMED = ("tickets_ticket", "tickets_ticket_tags", "tickets_ticketevent", "tickets_tag")


def _sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _fingerprint() -> dict[str, object]:
    """What a merge changes: the tags and their links, the tickets' updated_at, the history,
    saved views' tags."""
    return {
        "tags": _sql(
            "SELECT g.id, g.name, count(x.id) FROM tickets_tag g "
            "LEFT JOIN tickets_ticket_tags x ON x.tag_id = g.id GROUP BY 1, 2 ORDER BY 1"
        ),
        "tickets": _sql("SELECT count(*), max(updated_at), sum(extract(epoch FROM updated_at)) FROM tickets_ticket"),
        "events": _sql("SELECT count(*), max(id) FROM tickets_ticketevent"),
        "saved_view_tags": _sql("SELECT tag, count(*) FROM tickets_savedview GROUP BY 1 ORDER BY 1"),
    }


class _Writer(threading.Thread):
    """Waits for the merge to lock one of `watched`, then times taking that ticket's lock."""

    def __init__(self, watched: dict[int, str]) -> None:
        super().__init__(daemon=True)
        self.watched = watched
        self.ready = threading.Event()
        self.done = threading.Event()  # the merge's transaction ended
        self.seen_at: float | None = None
        self.waited: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            ids = list(self.watched)
            self.ready.set()
            locked = None
            while locked is None and not self.done.is_set():
                for pk, xmax in _sql("SELECT id, xmax::text FROM tickets_ticket WHERE id = ANY(%s)", [ids]):
                    if xmax != self.watched[pk]:
                        locked = pk
                        break
                else:
                    time.sleep(WATCH_INTERVAL)
            if locked is None:  # finished between two looks (a small merge)
                return
            self.seen_at = time.perf_counter()
            with transaction.atomic():
                _sql("SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE", [locked])
                self.waited = time.perf_counter() - self.seen_at
                transaction.set_rollback(True)
        except BaseException as error:  # reported by the main thread
            self.error = error
            self.ready.set()
        finally:
            connection.close()


def _merge_once(source_name: str, target_name: str, mid_tickets: int) -> dict[str, float | int | None]:
    """One merge in a transaction rolled back; `mid_tickets` > 0: the source is made first."""
    from django.contrib.auth.models import User
    from django.test.utils import CaptureQueriesContext

    from agents.roles import actor_for
    from tickets.models import Tag
    from tickets.tags import tag_merge

    actor = actor_for(User.objects.get(username="alice"))
    with transaction.atomic():
        target = Tag.objects.get(name=target_name)
        if mid_tickets:
            source = Tag.objects.create(name=source_name)
            count = _sql("SELECT count(*) FROM tickets_ticket")[0][0]
            _sql(
                "INSERT INTO tickets_ticket_tags (ticket_id, tag_id) "
                "SELECT id, %s FROM tickets_ticket WHERE id %% %s = 0 ORDER BY id LIMIT %s",
                [source.pk, max(1, count // mid_tickets), mid_tickets],
            )
            # The new links' deferred foreign-key checks now, not at the merge's "commit".
            _sql("SET CONSTRAINTS ALL IMMEDIATE")
            _sql("SET CONSTRAINTS ALL DEFERRED")
        else:
            source = Tag.objects.get(name=source_name)
        tagged = [row[0] for row in _sql("SELECT ticket_id FROM tickets_ticket_tags WHERE tag_id = %s", [source.pk])]
        step = max(1, len(tagged) // WATCHED_TICKETS)
        sample = sorted(tagged)[::step][:WATCHED_TICKETS]
        writer = _Writer(dict(_sql("SELECT id, xmax::text FROM tickets_ticket WHERE id = ANY(%s)", [sample])))
        writer.start()
        writer.ready.wait()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            change = tag_merge(source=source, target=target, actor=actor)
        merged = time.perf_counter()
        _sql("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit would check first
        checked = time.perf_counter()
        transaction.set_rollback(True)
    ended = time.perf_counter()
    writer.done.set()
    writer.join()
    if writer.error is not None:
        raise writer.error
    statement = max(float(q["time"]) for q in queries.captured_queries if "WITH affected" in q["sql"])
    return {
        "tickets": change.tickets,
        "references": change.references,
        "statements": len([q for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]),
        "merge_s": merged - started,
        "statement_s": statement,
        "deferred_checks_s": checked - merged,
        "rollback_s": ended - checked,
        "transaction_s": ended - started,
        # From the writer seeing the first watched ticket locked to the transaction's end.
        "lock_held_s": None if writer.seen_at is None else ended - writer.seen_at,
        "lock_seen_after_s": None if writer.seen_at is None else writer.seen_at - started,
        "writer_wait_s": writer.waited,
    }


def _plan(source_name: str, target_name: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the merge's statement, rolled back: where its time goes."""
    from tickets.models import EventKind, Tag
    from tickets.queries import _MERGE_TAG_SQL

    with transaction.atomic():
        source, target = Tag.objects.get(name=source_name), Tag.objects.get(name=target_name)
        params = {
            "source": source.pk,
            "target": target.pk,
            "target_name": target.name,
            "kind": EventKind.TAGS,
            "actor_type": "agent",
            "actor_user": None,
            "actor_name": "bench",
            "now": _sql("SELECT now()")[0][0],
        }
        plan = "\n".join(row[0] for row in _sql("EXPLAIN (ANALYZE, BUFFERS) " + _MERGE_TAG_SQL, params))
        transaction.set_rollback(True)
    return plan


def _vacuum() -> float:
    started = time.perf_counter()
    _sql(f"VACUUM {', '.join(VACUUMED)}")
    return time.perf_counter() - started


def _seconds(runs: list[dict], key: str) -> dict[str, float] | None:
    values = [run[key] for run in runs if run[key] is not None]
    return summary(values, 3) if values else None


def bench_tagmerge(scale: Scale, env: dict[str, str]) -> dict[str, object]:
    load_at_start = os.getloadavg()
    by_use = _sql(
        "SELECT g.name, count(x.id) FROM tickets_tag g JOIN tickets_ticket_tags x ON x.tag_id = g.id "
        "GROUP BY g.name ORDER BY count(x.id) DESC, g.name LIMIT 2"
    )
    if len(by_use) < 2:
        raise RuntimeError("the seeded database has fewer than two tags in use")
    (largest, largest_count), (target, _target_count) = by_use
    mid_tickets = max(10, largest_count // 10)
    before = _fingerprint()
    figures: dict[str, object] = {}
    vacuum_s = []
    merges = {"largest": (largest, 0), "mid": (MID_TAG, mid_tickets)}
    for name, (source, mid) in merges.items():
        runs = []
        for run in range(TAGMERGE_RUNS):
            result = _merge_once(source, target, mid)
            runs.append(result)
            vacuum_s.append(_vacuum())
            waited = "-" if result["writer_wait_s"] is None else f"{result['writer_wait_s']:.2f}"
            print(
                f"  {name} {run + 1}: {result['tickets']} tickets from {source!r} into {target!r}: "
                f"tag_merge {result['merge_s']:.2f} s (its statement {result['statement_s']:.2f} s), "
                f"deferred checks {result['deferred_checks_s']:.2f} s, rollback {result['rollback_s']:.3f} s; "
                f"a writer waited {waited} s; vacuum {vacuum_s[-1]:.1f} s",
                flush=True,
            )
        figures[f"tagmerge_{name}_tickets"] = runs[0]["tickets"]
        figures[f"tagmerge_{name}_references"] = runs[0]["references"]
        figures[f"tagmerge_{name}_statements"] = runs[0]["statements"]
        for key in (
            "transaction_s",
            "merge_s",
            "statement_s",
            "deferred_checks_s",
            "rollback_s",
            "lock_held_s",
            "lock_seen_after_s",
            "writer_wait_s",
        ):
            figure = _seconds(runs, key)
            if figure is not None:
                figures[f"tagmerge_{name}_{key.removesuffix('_s')}_seconds"] = figure
    plan = _plan(largest, target)
    vacuum_s.append(_vacuum())
    after = _fingerprint()
    if after != before:
        raise RuntimeError(f"the tag merge benchmark changed the database: {before} -> {after}")
    figures["tagmerge_context"] = {
        "largest_tag": largest,
        "target_tag": target,
        "mid_tag_tickets": mid_tickets,
        "runs": TAGMERGE_RUNS,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "vacuum_seconds": summary(vacuum_s, 2),
        "database_unchanged": True,
        "largest_plan": plan,
    }
    return figures
