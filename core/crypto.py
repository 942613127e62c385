"""Secrets kept in the database, encrypted: Fernet (AES-128-CBC with HMAC-SHA256) with a key
derived from SECRET_KEY and a purpose (the salt), so one purpose's ciphertext is useless to
another. Keys of SECRET_KEY_FALLBACKS still decrypt, so SECRET_KEY can be rotated. Used for
OAuth refresh tokens of mailboxes (mail.oauth) and agents' authenticator secrets (agents.mfa).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet(salt: str) -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(salted_hmac(salt, "fernet", secret=key, algorithm="sha256").digest()))
            for key in keys
        ]
    )


def encrypt(value: str, *, salt: str) -> str:
    return _fernet(salt).encrypt(value.encode()).decode()


def decrypt(value: str, *, salt: str) -> str:
    """The plain text of `value`; InvalidToken when no key of this purpose opens it."""
    return _fernet(salt).decrypt(value.encode()).decode()
