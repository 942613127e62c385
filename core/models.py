"""Rows the shared machinery keeps: idempotency keys of API requests (core.idempotency)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """One caller's `Idempotency-Key`, the request it first came with, and the answer to it.

    A row is written in the same transaction as the change the request made, and only kept
    when that change is (a 2xx answer): a request that failed leaves no row, so the same key
    may be tried again. Rows older than IDEMPOTENCY_KEY_HOURS are replaced when their key
    comes again, and purged hourly (core.tasks.purge_idempotency_keys).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    # sha256 of the body: the raw bytes, or for a multipart upload its parsed fields and the
    # contents of its files (a client regenerates the boundary when it sends the form again).
    body_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content_type = models.CharField(max_length=255, blank=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # The claim: a second request with the key waits on this index until the first
            # one's transaction ends, then finds its answer (core.idempotency.claim).
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_key_per_user"),
        ]
        indexes = [
            # The purge: DELETE … WHERE created_at < now - IDEMPOTENCY_KEY_HOURS.
            models.Index(fields=["created_at"], name="core_idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
