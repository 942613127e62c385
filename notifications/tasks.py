from __future__ import annotations

from celery import shared_task

from notifications import delivery


@shared_task(ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    outcome = delivery.notifications_deliver(notification_ids=notification_ids)
    # Rows of the same ordering key (a ticket's webhook events) another task skipped while
    # these were in flight: delivered now, in order, not at the next sweep.
    waiting = [pk for pk in delivery.successors(notification_ids) if pk not in notification_ids]
    if waiting:
        deliver_notifications.delay(waiting)
    return outcome


# Rows one task delivers before handing over to a fresh task (which keeps each task well
# inside the time limits, and lets a worker interleave other work).
SWEEP_BATCH = 500


@shared_task(ignore_result=True)
def deliver_due_notifications() -> dict[str, int]:
    outcome = delivery.notifications_deliver_due(limit=SWEEP_BATCH)
    if sum(outcome.values()) >= SWEEP_BATCH:  # more may be due: carry on in a fresh task
        deliver_due_notifications.delay()
    return outcome
