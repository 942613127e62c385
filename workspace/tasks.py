"""The workspace's Celery tasks."""

from __future__ import annotations

from celery import shared_task

from workspace.bulk_jobs import BATCH, BATCH_SECONDS, bulk_job_run


@shared_task(ignore_result=True, acks_late=True)
def run_bulk_job(job_id: int) -> None:
    """One batch of a bulk change; the rest in a fresh task. Safe to run twice (bulk_job_run
    skips the tickets done), so a job whose worker was lost is resumed by queueing it again."""
    if bulk_job_run(job_id=job_id, limit=BATCH, seconds=BATCH_SECONDS):
        run_bulk_job.delay(job_id)
