from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def helpdesk(request: HttpRequest) -> dict[str, str]:
    return {"helpdesk_name": settings.HELPDESK_NAME}
