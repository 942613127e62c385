"""What kind of email this is, before anything answers it.

Automatic mail (RFC 3834 auto-replies, out-of-office, list and bulk mail), bounces (RFC 3464
delivery status notifications), spam flagged by the receiving server, and mail from the
helpdesk itself are recorded but never acknowledged, and never reopen a ticket or end an SLA
pause: answering them is how two systems end up writing to each other forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from django.conf import settings

from mail.parsing import ParsedEmail, address_only
from tickets.threading import normalize_message_id, site_domain

AUTOMATIC = "automatic"
BOUNCE = "bounce"
OWN = "own"

_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply)[+@]", re.IGNORECASE)
_MSGID = re.compile(r"<([^<>\s]{1,998})>")
# The Message-IDs tickets.threading gives our mail.
_OWN_ID = re.compile(r"^(t\d+|auto)\.[0-9a-f]{20}@")


@dataclass
class Kind:
    kind: str | None  # None: a person wrote it
    reason: str = ""
    bounced_ids: list[str] = field(default_factory=list)
    bounced_recipients: list[str] = field(default_factory=list)


def _get(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "").strip()
    except Exception:
        return ""


def _is_own(email: ParsedEmail) -> bool:
    sender = address_only(email.from_address)
    ours = {address_only(settings.SUPPORT_EMAIL), address_only(settings.DEFAULT_FROM_EMAIL)}
    base_local, _, base_domain = address_only(settings.SUPPORT_EMAIL).rpartition("@")
    local, _, domain = sender.rpartition("@")
    return sender in ours or (domain == base_domain and local.split("+", 1)[0] == base_local)


def _bounce_details(message: EmailMessage) -> tuple[list[str], list[str]]:
    """The Message-IDs of our mail a bounce returns, and the recipients that failed."""
    ids: list[str] = []
    recipients: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload() if part.is_multipart() else []:
                action = str(block.get("Action", "")).lower()
                recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
                if "failed" in action and ";" in recipient:
                    recipients.append(recipient.split(";", 1)[1].strip().lower())
        elif content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            if content_type == "message/rfc822":
                inner = part.get_payload()
                headers = inner[0] if isinstance(inner, list) and inner else None
                value = _get(headers, "Message-ID") if headers is not None else ""
            else:
                text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
                match = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.IGNORECASE | re.MULTILINE)
                value = match.group(1) if match else ""
            ids += [normalize_message_id(found) for found in _MSGID.findall(value)]
    return ids, recipients


def classify(email: ParsedEmail) -> Kind:
    message = email.message
    assert message is not None
    if _is_own(email):
        return Kind(OWN, f"sent from the helpdesk's own address {email.from_address}")
    if _OWN_ID.match(email.message_id) and email.message_id.endswith("@" + site_domain()):
        return Kind(OWN, "one of the helpdesk's own emails came back")

    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "", header="content-type") or "").lower()
    sender = email.from_address
    return_path = _get(message, "Return-Path")
    if (content_type == "multipart/report" and report_type == "delivery-status") or _DAEMONS.match(sender):
        ids, recipients = _bounce_details(message)
        return Kind(BOUNCE, "delivery status notification (bounce)", ids, recipients)

    auto_submitted = _get(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";", 1)[0].strip() != "no":
        return Kind(AUTOMATIC, f"Auto-Submitted: {auto_submitted}")
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = _get(message, header).lower()
        if value:
            return Kind(AUTOMATIC, f"{header}: {value}")
    precedence = _get(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Kind(AUTOMATIC, f"Precedence: {precedence}")
    if _get(message, "List-Id") or _get(message, "List-Unsubscribe"):
        return Kind(AUTOMATIC, "mailing-list mail (List-Id)")
    if return_path == "<>":
        return Kind(AUTOMATIC, "empty Return-Path (an automatic sender)")
    if _NO_REPLY.match(sender):
        return Kind(AUTOMATIC, f"sent from a no-reply address {sender}")
    if _get(message, "X-Spam-Flag").upper() == "YES":
        return Kind(AUTOMATIC, "marked as spam by the receiving server (X-Spam-Flag)")
    return Kind(None)
