"""The new text of a reply: quoted history and signatures cut off.

1. The marker our emails carry ("--- reply above this line ---", tickets.threading): what is
   above it is the answer, whichever client quoted the rest.
2. A forward is kept whole: what is forwarded is the point (a subject starting "Fwd:"/"FW:",
   or a forward line such as "---------- Forwarded message ---------" above any quote).
3. Otherwise the first quote header that mail-parser-reply's language tables know ends the
   answer: "On … wrote:", Outlook's "From: … Sent: … To: … Subject:" block, "-----Original
   Message-----"; a trailing block of `>` lines goes too, with the line above it when that
   names a time or an address and ends in ":" (a header in a language the tables lack).
4. Then the signature: a "-- " separator line, a mobile footer ("Sent from my iPhone",
   "Отправлено с iPhone"), or a sign-off line alone ("Best regards,", "С уважением,",
   "Thanks, Anna") with at most a few short lines (name, title, phone) under it.

Only the position of the quote comes from the library: the answer is cut from the text as
written, so a pasted log keeps its indentation, and a list (lines starting "- ") or a
sentence starting "Thanks, …" in the middle of the answer is never taken for a signature.

mail-parser-reply has no Russian; its languages are a public table (MAIL_LANGUAGES) keyed by
code, so Russian is added to it here, once, when this module is imported: Gmail's
"пн, 30 нояб. 2026 г. в 10:15, Иван <ivan@example.com>:" (which Gmail wraps), Thunderbird's
"… пишет:", Apple's "… написал(а):", Outlook's "От: … Отправлено: … Кому: … Тема: …" and
"-----Исходное сообщение-----".
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE
from mailparser_reply.parser import EmailMessage

from tickets.threading import REPLY_MARKER

MAIL_LANGUAGES.setdefault(
    "ru",
    {
        "wrote_header": r"^("
        + QUOTED_MATCH_INCLUDE
        + r"(?:.{0,200}(?:пишет|написал\(а\)|написала|написал)\s?:"
        + r"|.{0,40}\d{4}\s?г\.,?\s(?:в\s)?\d{1,2}:\d{2}[^\n]{0,200}\n?[^\n]{0,200}:"
        + r"|-{5,} ?(?:Исходное сообщение|Пересылаемое сообщение) ?-{5,}))$",
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

LANGUAGES = ["en", "ru"]
# The library's compiled quote headers for these languages (built once).
_QUOTE_HEADER = EmailMessage(text="", languages=list(LANGUAGES)).HEADER_REGEX

_MARKER = re.compile(r"^[> ]*" + re.escape(REPLY_MARKER) + r"\s*$", re.MULTILINE | re.IGNORECASE)
_FORWARD = re.compile(
    r"^[> ]*(?:-{3,}\s*(?:Forwarded message|Пересылаемое сообщение|Пересланное сообщение)\s*-{3,}"
    r"|Begin forwarded message:|Начало переадресованного письма:|-{3,}\s*Переадресованное сообщение\s*-{3,})",
    re.MULTILINE | re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|пересл|переслано|fw)\s*:", re.IGNORECASE)
# Lines a quote leaves above itself once its header is cut: Outlook's rule, "-----Original
# Message-----", an empty "> " line.
_SEPARATOR = re.compile(r"^(?:[_-]{10,}|-{3,} ?(?:Original Message|Исходное сообщение) ?-{3,}|>+)$", re.IGNORECASE)
# A line that introduces a quote in any language: it names a time or an address, ends in ":".
_ATTRIBUTION = re.compile(r"(?:\b\d{1,2}:\d{2}\b|<[^<>\s]+@[^<>\s]+>|\S+@\S+\.\w+).{0,120}:$")
_SIGNATURE_SEPARATOR = re.compile(r"^-- ?$")
_MOBILE_FOOTER = re.compile(
    r"^(?:Sent from my \w[\w ]{0,30}|Sent from (?:Mail|Outlook|Yahoo Mail|Gmail)\b.{0,40}"
    r"|Get Outlook for \w[\w ]{0,20}|Отправлено с (?:iPhone|iPad|моего|мобильного)\b.{0,40}"
    r"|Отправлено из .{1,60}|Sent with .{1,40}|Скачайте Outlook для .{1,20})$",
    re.IGNORECASE,
)
_SIGN_OFF_WORDS = (
    r"best(?: regards| wishes)?|kind regards|warm regards|regards|many thanks|thanks(?: again| a lot)?"
    r"|thank you(?: in advance)?|cheers|sincerely|yours(?: sincerely| truly)?"
    r"|с уважением|с наилучшими пожеланиями|всего доброго|всего наилучшего|спасибо|заранее спасибо"
    r"|благодарю|с благодарностью"
)
# A sign-off alone on its line, or followed by a name: "Best regards," "Thanks, Anna" (and the Russian ones).
_NAME = r"[A-ZА-ЯЁ][\w'.-]*(?: [A-ZА-ЯЁ][\w'.-]*){0,2}"
_SIGN_OFF = re.compile(rf"^(?i:{_SIGN_OFF_WORDS})\s*[,.!]?(?:\s*,?\s*{_NAME})?\s*[.!]?$")
# Quote headers are looked for in the first SCAN_LINES lines, on lines up to HEADER_LINE_MAX long.
SCAN_LINES = 500
HEADER_LINE_MAX = 200
# What a signature may hold under its sign-off: a few short lines.
SIGNATURE_MAX_LINES = 6
SIGNATURE_LINE_MAX = 80


def latest_reply(text: str, *, subject: str = "") -> str:
    """The part of `text` its author wrote now; the whole text when nothing could be cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    marker = _MARKER.search(text)
    if marker is not None:
        text = _without_attribution(text[: marker.start()])
    elif _FORWARD_SUBJECT.match(subject):
        return text.strip()
    lines = text.split("\n")
    normalized = _normalized(lines)
    try:
        header = _quote_header(normalized)
    except Exception:  # a regex on odd input must not lose the email
        header = None
    forward = _FORWARD.search(normalized)
    if forward is not None and (header is None or forward.start() <= header):
        return text.strip()
    end = normalized.count("\n", 0, header) if header is not None else _trailing_quote_start(lines)
    kept = _drop_signature(_drop_separators(lines[:end]))
    return "\n".join(kept).strip() or text.strip()


def _normalized(lines: list[str]) -> str:
    """The lines the quote headers are looked for in: stripped, as the library's tables
    expect, one for one, so a line index holds for the text as written. Only the first
    SCAN_LINES, and a line longer than any header is a placeholder: some of the tables'
    patterns take time growing with the square of a line's length."""
    return "\n".join(
        stripped if len(stripped) <= HEADER_LINE_MAX else "…"
        for stripped in (line.strip() for line in lines[:SCAN_LINES])
    )


def _quote_header(normalized: str) -> int | None:
    """Where the first quote header under some text starts (None: there is none)."""
    for match in _QUOTE_HEADER.finditer(normalized):
        start = match.start()
        if normalized[start : start + 1] == "\n":  # the Outlook block's pattern takes the line end before it
            start += 1
        if normalized[:start].strip():
            return start
    return None


def _trailing_quote_start(lines: list[str]) -> int:
    """Where a block of `>` lines that ends the text starts (len(lines) if there is none):
    a quote under an answer, whatever language its header line was in."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if start == end or not any(line.strip() for line in lines[:start]):
        return len(lines)
    above = start
    while above and not lines[above - 1].strip():
        above -= 1
    if above and _ATTRIBUTION.search(lines[above - 1].strip()) and any(line.strip() for line in lines[: above - 1]):
        return above - 1  # its header line, in a language the tables lack ("Le … a écrit :")
    return start


def _without_attribution(text: str) -> str:
    """Text cut at our marker, without the line its client put above the quote (in any
    language: "Le … a écrit :")."""
    lines = _drop_separators(text.split("\n"))
    if len(lines) > 1 and _ATTRIBUTION.search(lines[-1].strip()):
        lines = lines[:-1]
    return "\n".join(lines)


def _drop_separators(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1].strip())):
        lines.pop()
    return lines


def _drop_signature(lines: list[str]) -> list[str]:
    lines = _drop_footer(lines)
    body = [index for index, line in enumerate(lines) if line.strip()]
    if not body:
        return lines
    first = body[0]
    for index in reversed(body):
        line = lines[index].strip()
        if index == first:
            break
        tail = [value.strip() for value in lines[index + 1 :] if value.strip()]
        if len(tail) > SIGNATURE_MAX_LINES or any(len(value) > SIGNATURE_LINE_MAX for value in tail):
            break
        if _SIGNATURE_SEPARATOR.match(lines[index].rstrip()) or _SIGN_OFF.match(line):
            return _drop_footer(lines[:index])
    return lines


def _drop_footer(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and (not lines[-1].strip() or _MOBILE_FOOTER.match(lines[-1].strip())):
        if len([line for line in lines if line.strip()]) == 1:
            break  # the footer is all there is: keep it
        lines.pop()
    return lines
