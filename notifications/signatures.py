"""Webhook signatures (docs/webhooks.md): `X-Helpdesk-Signature: t=<unix seconds>,v1=<hex>`,
where the hex is HMAC-SHA256 of "<t>." followed by the body's bytes, keyed by the webhook's
secret. Signing the timestamp with the body lets a receiver refuse a replayed old request."""

from __future__ import annotations

import hashlib
import hmac
import time

# Receivers are told to refuse a signature older than this (docs/webhooks.md).
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Helpdesk-Signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` seconds old
    (what a receiver does; docs/webhooks.md shows the same in a few lines)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
