"""The workspace's Celery tasks."""

from __future__ import annotations

from celery import shared_task

from workspace.bulk_jobs import BATCH, BATCH_SECONDS, bulk_job_run, bulk_jobs_stalled


@shared_task(ignore_result=True, acks_late=True)
def run_bulk_job(job_id: int) -> None:
    """One batch of a bulk change; the rest in a fresh task. Safe to run twice (bulk_job_run
    skips the tickets done), so a job whose worker was lost is resumed by queueing it again."""
    if bulk_job_run(job_id=job_id, limit=BATCH, seconds=BATCH_SECONDS):
        run_bulk_job.delay(job_id)


@shared_task(ignore_result=True)
def resume_stalled_bulk_jobs() -> int:
    """Queue again every bulk change that stopped making progress (beat, every few minutes):
    a job is never left half done because its worker or its task was lost. A job that was
    only slow is run twice at worst, which changes each ticket once (bulk_job_run)."""
    stalled = bulk_jobs_stalled()
    for job_id in stalled:
        run_bulk_job.delay(job_id)
    return len(stalled)
