from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    return services.notifications_deliver(notification_ids=notification_ids)


@shared_task(ignore_result=True)
def deliver_due_notifications() -> dict[str, int]:
    return services.notifications_deliver_due()
