"""Refusals: a domain rule said no, in words the caller can act on.

An app's exception for such a case subclasses `Refusal`; the API's exception handler
(core.api.exception_handler) answers it with `status_code` and `payload()`, so core needs
to know no app's exceptions.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Refused by a domain rule; answered 409 Conflict with the message as `detail`."""

    status_code = 409

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self)}
