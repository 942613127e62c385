from __future__ import annotations

from celery import shared_task

from agents import tokens


@shared_task(name="agents.tasks.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete API tokens past their expiry (beat: api-token-purge); returns how many."""
    return tokens.purge_expired()
