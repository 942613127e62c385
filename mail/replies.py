"""The new text of a reply: quoted history and signatures cut off.

First the marker our emails carry ("--- reply above this line ---", tickets.threading): what
is above it is the answer, whichever client quoted the rest. Otherwise mail-parser-reply
finds the quote headers of the common clients ("On … wrote:", Outlook's "From: … Sent: …"
block) and signatures.

mail-parser-reply has no Russian; its languages are a public table (MAIL_LANGUAGES) keyed by
code, so Russian is added to it here, once, when this module is imported: Gmail's
"пн, 7 дек. 2026 г. в 10:15, Иван <ivan@example.com>:", Thunderbird's "… пишет:", Apple's
"… написал(а):", Outlook's "От: … Отправлено: … Кому: … Тема: …", and Russian sign-offs.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

from tickets.threading import REPLY_MARKER

MAIL_LANGUAGES.setdefault(
    "ru",
    {
        "wrote_header": r"^("
        + QUOTED_MATCH_INCLUDE
        + r"(?:.{0,200}(?:пишет|написал\(а\)|написала|написал)\s?:"
        + r"|.{0,40}\d{4}\s?г\.,?\s(?:в\s)?\d{1,2}:\d{2}.{0,200}:))$",
        "from_header": r"((?:(?:^|\n|\n"
        + QUOTED_MATCH_INCLUDE
        + r")[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия|Организация):[ *]*(?:\s{,2}).*){2,}(?:\n.*){,1})",
        "disclaimers": [r"(?:Конфиденциально|Внимание|Предупреждение):"],
        "signatures": [
            "С уважением",
            "С наилучшими пожеланиями",
            "Всего доброго",
            "Всего наилучшего",
            r"Спасибо,",
        ],
        "sent_from": r"Отправлено с (?:iPhone|iPad|моего|мобильного)|Отправлено из",
    },
)

_PARSER = EmailReplyParser(languages=["en", "ru"])
_MARKER = re.compile(r"^[> ]*" + re.escape(REPLY_MARKER) + r"\s*$", re.MULTILINE | re.IGNORECASE)
_FORWARD = re.compile(
    r"^[> ]*(?:-{3,}\s*(?:Forwarded message|Пересылаемое сообщение|Пересланное сообщение)\s*-{3,}"
    r"|Begin forwarded message:|Начало переадресованного письма:)",
    re.MULTILINE | re.IGNORECASE,
)


def latest_reply(text: str) -> str:
    """The part of `text` its author wrote now; the whole text when nothing could be cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    marker = _MARKER.search(text)
    if marker is not None:
        text = text[: marker.start()]
        # The line a client puts just above the quote ("On …, Helpdesk wrote:") goes too.
        return _PARSER.parse_reply(text) or text.strip()
    if _FORWARD.search(text):
        return text.strip()  # a forward's content is the point: keep it all
    try:
        reply = _PARSER.parse_reply(text)
    except Exception:  # a regex on odd input must not lose the email
        reply = None
    return (reply or "").strip() or text.strip()
