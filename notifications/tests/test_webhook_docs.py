"""docs/webhooks.md's verification snippet, run as written against what the helpdesk signs."""

from __future__ import annotations

import re
import time
from pathlib import Path

from notifications.signatures import sign

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def snippet() -> dict:
    text = DOC.read_text()
    section = text.split("## Verifying the signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102  # nosec B102  # our own documentation
    return namespace


def test_the_documented_check_accepts_what_the_helpdesk_signs_and_nothing_else():
    verify = snippet()["verify_helpdesk_signature"]
    secret, body = "9f" * 32, b'{"id":"7","event":"ping","created_at":"2026-12-06T00:00:00+00:00","data":{}}'
    now = int(time.time())

    assert verify(secret, sign(secret, now, body), body)
    assert not verify(secret, sign(secret, now, body), body.replace(b"ping", b"pong"))  # tampered body
    assert not verify("0" * 64, sign(secret, now, body), body)  # another secret
    assert not verify(secret, sign(secret, now - 301, body), body)  # older than five minutes
    assert not verify(secret, sign(secret, now + 301, body), body)  # from the future
    assert verify(secret, sign(secret, now - 290, body), body)
    assert not verify(secret, "garbage", body)
    assert not verify(secret, f"t={now}", body)
