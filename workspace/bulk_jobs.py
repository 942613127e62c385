"""Bulk changes from the queue (issue 24, point 1): a BulkJob made, then run ticket by ticket.

Up to BULK_INLINE_MAX tickets run in the agent's request; more run as one Celery task
(workspace.tasks.run_bulk_job) in batches, each batch a task of its own so that none comes
near the time limits, while the page polls the progress. It lives in workspace because a
bulk change may apply a macro (automation), which tickets cannot import.

A run is safe to repeat: each ticket's result row is written in the transaction of that
ticket's change, unique per (job, ticket), so a run picked up again after a lost worker, or
a second worker on the same job, skips (or rolls back) what was done.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.roles import actor_for, agent_for
from automation.macros import macro_apply, offered_macro
from automation.models import Macro
from core.refusals import Refusal
from tickets.bulk import BulkChanges, TargetGone, Targets, bulk_targets, ticket_bulk_change
from tickets.history import reported
from tickets.models import BulkJob, BulkResult, Ticket

logger = logging.getLogger(__name__)

Outcome = BulkResult.Outcome

# A batch of a background run stops after this many seconds (or BATCH tickets) and hands
# the rest to a fresh task: well inside CELERY_TASK_SOFT_TIME_LIMIT, whatever a ticket costs.
BATCH = 500
BATCH_SECONDS = 60
# A running job with no result for this long has lost its worker: the page offers to resume.
STALLED_AFTER = timedelta(minutes=5)


def bulk_job_create(*, user, changes: BulkChanges, macro: Macro | None, ticket_ids: list[int]) -> BulkJob:
    """The job of a bulk change: the tickets in the order given, each once."""
    ids = list(dict.fromkeys(ticket_ids))
    job = BulkJob.objects.create(
        user=user,
        changes={**changes.as_json(), "macro": macro.pk if macro is not None else None},
        ticket_ids=ids,
        total=len(ids),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return job


def runs_in_background(job: BulkJob) -> bool:
    """Whether the job is a worker's (workspace.tasks.run_bulk_job, queued by the view once
    the job is committed) rather than the request's."""
    return job.total > settings.BULK_INLINE_MAX


def bulk_job_run(*, job_id: int, limit: int | None = None, seconds: float | None = None) -> bool:
    """Run the job's tickets not done yet, up to `limit` of them or for about `seconds`;
    whether tickets remain.

    1. Mark the job running (and when it started, the first time).
    2. Read the changes' category, team, agent and macro once: one deleted since refuses
       every remaining ticket with the reason, rather than half the change.
    3. For each ticket not done, in the order chosen, one transaction: the change (fields,
       assignee, then the macro) and its result row; a refusal rolls the ticket back and is
       recorded with its reason, in the agent's language.
    4. When none remain, mark the job done.
    """
    job = BulkJob.objects.select_related("user").get(pk=job_id)
    if job.state == BulkJob.State.DONE:
        return False
    BulkJob.objects.filter(pk=job.pk, started_at=None).update(started_at=timezone.now())
    BulkJob.objects.filter(pk=job.pk).exclude(state=BulkJob.State.DONE).update(state=BulkJob.State.RUNNING)
    done = set(job.results.values_list("ticket_id", flat=True))
    pending = [ticket_id for ticket_id in job.ticket_ids if ticket_id not in done]
    deadline = time.monotonic() + seconds if seconds is not None else None
    with translation.override(job.language or settings.LANGUAGE_CODE):
        changes = BulkChanges.from_json(job.changes)
        try:
            targets = bulk_targets(changes)
            macro = _macro(job)
            refusal = None
        except (TargetGone, Http404) as gone:
            targets, macro, refusal = Targets(), None, str(gone)
        actor = actor_for(job.user)
        for position, ticket_id in enumerate(pending):
            if (limit is not None and position >= limit) or (deadline is not None and time.monotonic() > deadline):
                return True
            _run_one(job, ticket_id, changes=changes, targets=targets, macro=macro, actor=actor, refusal=refusal)
    BulkJob.objects.filter(pk=job.pk).update(state=BulkJob.State.DONE, finished_at=timezone.now())
    return False


def _macro(job: BulkJob) -> Macro | None:
    """The job's macro if its agent is still offered it, else Http404 (worded as a refusal)."""
    pk = job.changes.get("macro")
    if pk is None:
        return None
    try:
        return offered_macro(agent_for(job.user), pk)
    except Http404:
        raise Http404(_("The macro chosen no longer exists or is no longer offered to you.")) from None


def _run_one(job, ticket_id, *, changes, targets, macro, actor, refusal: str | None) -> None:
    try:
        with transaction.atomic():
            if refusal is not None:
                raise TargetGone(refusal)
            changed, notes = _change_ticket(
                ticket_id=ticket_id, changes=changes, targets=targets, macro=macro, user=job.user, actor=actor
            )
            outcome = Outcome.CHANGED if changed else Outcome.UNCHANGED
            BulkResult.objects.create(job=job, ticket_id=ticket_id, outcome=outcome, reason=notes)
        return
    except IntegrityError:
        # Another run recorded this ticket first (the unique result): its change stands, ours
        # rolled back with the failed insert. Any other constraint is the ticket's failure.
        if job.results.filter(ticket_id=ticket_id).exists():
            return
        logger.exception("bulk change %s: ticket %s failed", job.pk, ticket_id)
        reason = _("Something went wrong; nothing was changed on this ticket.")
    except Refusal as refused:
        reason = str(refused)
    except Exception:
        # A bug must not stop the other tickets; the ticket is rolled back and listed.
        logger.exception("bulk change %s: ticket %s failed", job.pk, ticket_id)
        reason = _("Something went wrong; nothing was changed on this ticket.")
    try:
        with transaction.atomic():
            BulkResult.objects.create(job=job, ticket_id=ticket_id, outcome=Outcome.REFUSED, reason=reason)
    except IntegrityError:
        pass


@reported  # one history collection per ticket: triggers see the fields and the macro as one change
def _change_ticket(*, ticket_id, changes, targets, macro, user, actor) -> tuple[bool, str]:
    changed = ticket_bulk_change(ticket_id=ticket_id, changes=changes, targets=targets, user=user, actor=actor)
    if macro is None:
        return changed, ""
    # ticket_bulk_change has locked the ticket and checked the agent may see it.
    applied = macro_apply(macro=macro, ticket=Ticket(pk=ticket_id), actor=actor)
    notes = _("Not done: %(reasons)s.") % {"reasons": "; ".join(applied.skipped)} if applied.skipped else ""
    return True, notes


# --- reading a job ----------------------------------------------------------------------------


def bulk_job_for_user(user, pk: int | str) -> BulkJob:
    """The user's own job `pk`, or 404: nobody reads another agent's bulk change."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        raise Http404(_("No such bulk change."))
    job = BulkJob.objects.filter(pk=int(pk), user=user).first()
    if job is None:
        raise Http404(_("No such bulk change."))
    return job


def bulk_job_progress(job: BulkJob) -> dict:
    """How far the job got: counts by outcome, done, and whether its worker seems lost."""
    rows = job.results.values("outcome").annotate(count=Count("id"), last=Max("created_at"))
    counts = {outcome: 0 for outcome in Outcome.values}
    last = job.started_at or job.created_at
    for row in rows:
        counts[row["outcome"]] = row["count"]
        last = max(last, row["last"])
    done = sum(counts.values())
    stalled = job.state != BulkJob.State.DONE and timezone.now() - last > STALLED_AFTER
    return {"counts": counts, "done": done, "stalled": stalled}


def bulk_jobs_stalled() -> list[int]:
    """Jobs not done that made no progress for STALLED_AFTER (a lost worker, a lost task):
    few at any time, each checked by its own results."""
    jobs = BulkJob.objects.exclude(state=BulkJob.State.DONE).filter(created_at__lte=timezone.now() - STALLED_AFTER)
    return [job.pk for job in jobs if bulk_job_resumable(job)]


def bulk_job_resumable(job: BulkJob) -> bool:
    """Whether the job stopped making progress (its worker was lost) and may be queued again."""
    return job.state != BulkJob.State.DONE and bulk_job_progress(job)["stalled"]
