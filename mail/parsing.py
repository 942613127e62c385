"""Reading one raw email (RFC 5322 bytes) into what the helpdesk keeps of it.

The standard library's parser (policy=default) does the MIME work. What is added here is
what real mail needs: headers repaired before it reads them (a line without a colon, raw
8-bit text in windows-1251 or KOI8-R), text in whatever charset a client used or claimed
(KOI8-R and windows-1251 bodies, labels that lie, unknown labels; format=flowed joined),
HTML-only mail turned into text in one linear pass with its sanitized HTML kept, forwarded
emails (message/rfc822) read into the text under a forward header, attachments and inline
images collected, Outlook's winmail.dat (TNEF) opened into its body and files (mail.tnef),
and bounds on everything an untrusted sender controls (size, number of parts counted before
parsing, nesting, how much HTML is read for text).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy, ngettext_lazy

from mail import tnef
from tickets.threading import normalize_message_id


class Refused(Exception):
    """An email the helpdesk will not take (too large, too many parts): said to the sender.

    The reason is put in words when it is read (str()), in the language active then: the
    answer to the sender (mail.ingest) renders it in the language chosen for that answer.
    `message` is a lazy translation with %(name)s placeholders, filled from `values`.
    """

    def __init__(self, message: Promise, **values: object) -> None:
        super().__init__(message, values)
        self.message = message
        self.values = values

    def __str__(self) -> str:
        return self.message % self.values


def megabytes(size: int, decimals: int) -> Promise:
    """`size` bytes in MB, written as the language active when it is read writes numbers."""
    return lazy(number_format, str)(size / 1_048_576, decimals)


def too_large(size: int) -> Refused:
    """An email over MAIL_MAX_BYTES, refused."""
    # Translators: why an email was refused; it ends the sentence "We could not accept your email “…”: …"
    # emailed to its sender, so it starts in lower case and has no final period. Sizes in megabytes.
    message = gettext_lazy("the email is %(size)s MB; the limit is %(limit)s MB")
    return Refused(message, size=megabytes(size, 1), limit=megabytes(settings.MAIL_MAX_BYTES, 0))


class Unreadable(Exception):
    """An email that cannot be read as one: kept in quarantine with this error."""


# Headers a relay adds on the way; left out of the content hash so that one email fetched
# from two places (or twice) hashes the same.
TRANSPORT_HEADERS = frozenset(
    {
        "received",
        "delivered-to",
        "return-path",
        "x-original-to",
        "x-received",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "authentication-results",
        "received-spf",
        "x-spam-status",
        "x-spam-score",
        "x-spam-flag",
        "x-gm-message-state",
        "x-google-smtp-source",
    }
)

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE_LINE = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)
# A multipart's boundary parameter (quoted or not), and the start of a header field.
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.IGNORECASE)
_FIELD_NAME = re.compile(rb"^[!-9;-~]+[ \t]*:")
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_HEADER_CHARSET = re.compile(rb"""charset\s*=\s*"?([\w.:-]{1,40})""", re.IGNORECASE)
_MSGID = re.compile(r"<([^<>\s]{1,998})>")


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str  # normalized; derived from the content when the email has none
    message_id_derived: bool
    content_hash: str
    subject: str
    from_name: str
    from_address: str
    to: list[str]
    cc: list[str]
    recipients: list[str]  # every address the email was for: To, Cc, Delivered-To, X-Original-To
    date: datetime  # the Date header, or when it arrived if that is missing or broken
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str  # sanitized
    attachments: list[Attachment] = field(default_factory=list)
    message: EmailMessage | None = None
    # Every header as written, unfolded, by lower-case name (raw_headers): what is read as
    # a token (ids, Auto-Submitted, Precedence...) is read here, without the cost of the
    # parser's header classes, which parse a header again at every read.
    headers: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str) -> str:
        """The first `name` header as written (unfolded), or ""."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    @property
    def thread_ids(self) -> list[str]:
        """Ids this email answers, nearest first: In-Reply-To, then References newest first."""
        seen: list[str] = []
        for value in [*self.in_reply_to, *reversed(self.references)]:
            if value not in seen:
                seen.append(value)
        return seen


def split_headers(raw: bytes) -> bytes:
    match = _HEADER_END.search(raw)
    return raw[: match.start()] if match else raw


def content_hash(raw: bytes) -> str:
    """SHA-256 of the email without its transport headers (and line-ending differences)."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    digest = hashlib.sha256()
    in_headers, skipping = True, False
    for line in lines:
        if in_headers:
            if not line:
                in_headers = False
            elif line[:1] in (b" ", b"\t"):
                if skipping:
                    continue
            else:
                name = line.split(b":", 1)[0].strip().lower().decode("latin-1")
                skipping = name in TRANSPORT_HEADERS
                if skipping:
                    continue
        digest.update(line)
        digest.update(b"\n")
    return digest.hexdigest()


def _delimiters(raw: bytes, limit: int) -> int:
    """How many boundary lines the email's multiparts have: one per part (and one closing
    line per multipart), whether or not the parts have headers of their own. Past `limit`
    boundaries declared (one per multipart) it stops counting: so many cannot be fewer parts."""
    boundaries: set[bytes] = set()
    for match in _BOUNDARY.finditer(raw):
        boundaries.add(match.group(1) or match.group(2))
        if len(boundaries) > limit:
            return limit + 1
    return sum(raw.count(b"\n--" + boundary) for boundary in boundaries)


def check_bounds(raw: bytes) -> None:
    """Refuse what is too big to take before parsing it: the size, and the number of parts
    (counted cheaply as Content-Type lines and boundary lines, so a 5,000-part email costs
    no parse)."""
    if len(raw) > settings.MAIL_MAX_BYTES:
        raise too_large(len(raw))
    limit = settings.MAIL_MAX_PARTS
    if len(_CONTENT_TYPE_LINE.findall(raw)) > limit + 1 or _delimiters(raw, 2 * limit + 1) > 2 * limit + 1:
        message = ngettext_lazy(
            # Translators: why an email was refused (see "the email is %(size)s MB..."); "parts" are its MIME parts.
            "the email has more than %(limit)d part",
            "the email has more than %(limit)d parts",
            "limit",
        )
        raise Refused(message, limit=limit)


def repair_headers(raw: bytes) -> bytes:
    """The email with a header block the parser can read whole; the body is left alone.

    - A line in the header block that is neither a header field nor a continuation (a
      header that lost its colon) is dropped when header fields follow it: the parser would
      take it for the start of the body, and every header after it would be lost. When no
      field follows, the body starts there (the empty line between them was missing).
    - Raw 8-bit header text (clients that skip RFC 2047) that is not UTF-8 is read in the
      charset the email declares or the Cyrillic one it reads as, and rewritten as UTF-8,
      which the parser reads.
    The mbox "From " line an email may start with is kept (the parser knows it).
    """
    match = _HEADER_END.search(raw)
    head, rest = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")
    lines = head.split(b"\n")
    fields = [
        index
        for index, line in enumerate(lines)
        if _FIELD_NAME.match(line) or (index == 0 and line.startswith(b"From "))
    ]
    last_field = fields[-1] if fields else -1
    field_lines = set(fields)
    kept: list[bytes] = []
    changed, dropping = False, False
    for index, line in enumerate(lines):
        if index > last_field and line[:1] not in (b" ", b"\t"):
            # Nothing but body text from here: give it the empty line it lacked.
            rest = b"\n" + b"\n".join(lines[index:]) + rest
            changed = True
            break
        if line[:1] in (b" ", b"\t"):
            if dropping:
                continue
            kept.append(line)
        elif index in field_lines:
            dropping = False
            kept.append(line)
        else:
            changed = dropping = True
    head = b"\n".join(kept)
    if _EIGHT_BIT.search(head):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            declared = _HEADER_CHARSET.search(head)
            eight_bit = b"\n".join(line for line in kept if _EIGHT_BIT.search(line))
            charset = text_charset(eight_bit, declared.group(1).decode("ascii") if declared else None)
            head = b"\n".join(
                line.decode(charset, "replace").encode("utf-8") if _EIGHT_BIT.search(line) else line for line in kept
            )
            changed = True
    return head + rest if changed else raw


# --- Text in any charset --------------------------------------------------------------

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_CYRILLIC_LOWER = re.compile("[\u0430-\u044f\u0451]")
_LATIN = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+")


def _cyrillic_score(text: str) -> float:
    """How much `text` reads as Russian prose: the share of its Cyrillic letters in lower case
    (KOI8-R read as windows-1251, or the reverse, turns most letters into capitals); 0 when
    its Cyrillic letters sit inside Latin words, as Latin-1 text read as windows-1251 does
    ("Grьяe aus Mьnchen")."""
    letters = _CYRILLIC.findall(text)
    if not letters:
        return 0.0
    words = [word for word in _WORD.findall(text) if _CYRILLIC.search(word)]
    mixed = sum(1 for word in words if _LATIN.search(word))
    if words and mixed / len(words) > 0.2:
        return 0.0
    return len(_CYRILLIC_LOWER.findall(text)) / len(letters)


def decode_text(data: bytes, declared: str | None) -> str:
    """Bytes of a text part as text, whatever its label says (see text_charset)."""
    return data.decode(text_charset(data, declared), "replace")


def text_charset(data: bytes, declared: str | None) -> str:
    """The charset to read `data` in.

    UTF-8 first when the bytes are valid UTF-8 (a wrong "KOI8-R" label over UTF-8 is common,
    and other 8-bit text is almost never valid UTF-8), then the declared charset, then the
    Cyrillic single-byte charsets Russian mail uses, chosen by which reads as prose; then
    windows-1252 (Latin-1 with the quotes and dashes Windows adds), and Latin-1 last, which
    reads anything.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    if declared:
        try:
            text = data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            if not _CYRILLIC.search(text) or _cyrillic_score(text) >= 0.5:
                return declared
    candidates = []
    for charset in ("windows-1251", "koi8-r"):
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        candidates.append((_cyrillic_score(text), charset))
    if candidates:
        score, charset = max(candidates, key=lambda pair: pair[0])
        if score >= 0.5:
            return charset
    try:
        data.decode("windows-1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "windows-1252"


def unflow(text: str, *, delsp: bool = False) -> str:
    """Text/plain; format=flowed (RFC 3676, Thunderbird and Apple Mail) as the writer typed it:
    a line ending in a space goes on in the next line of the same quote depth."""
    out: list[str] = []
    paragraph: str | None = None
    depth_of_paragraph = 0

    def flush() -> None:
        nonlocal paragraph
        if paragraph is not None:
            out.append((">" * depth_of_paragraph + " " if depth_of_paragraph else "") + paragraph)
            paragraph = None

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffed
            content = content[1:]
        if paragraph is not None and depth != depth_of_paragraph:
            flush()
        flowed = content.endswith(" ") and content.rstrip() != "--"
        if flowed and delsp:
            content = content[:-1]
        paragraph = content if paragraph is None else paragraph + content
        depth_of_paragraph = depth
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


def _part_text(part: EmailMessage, parameters: dict[str, str]) -> str:
    payload = part.get_payload(decode=True) or b""
    text = decode_text(payload, parameters.get("charset", "").lower() or None)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    flowed = parameters.get("format", "").lower() == "flowed"
    delsp = parameters.get("delsp", "").lower() == "yes"
    return unflow(text, delsp=delsp) if flowed else text


# --- HTML ---------------------------------------------------------------------------

# Quoted history in HTML mail: Gmail, Outlook (on the web and new Outlook), Apple Mail,
# Thunderbird. (tag, attribute, a value the attribute holds, or its whole value)
_HTML_QUOTES = (
    ("div", "class", "gmail_quote"),
    ("blockquote", "class", "gmail_quote"),
    ("div", "class", "moz-cite-prefix"),
    ("blockquote", "type", "cite"),
)
# Outlook's header block starts the quote: it goes with everything after it in its parent.
_HTML_QUOTE_STARTS = ("divrplyfwdmsg", "appendonsend")
# Elements that break the text: a line (1) or a paragraph (2).
_BREAKS = {
    **dict.fromkeys(("div", "li", "tr", "dt", "dd", "address", "section", "article", "header", "footer"), 1),
    **dict.fromkeys(("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "ul", "ol"), 2),
}
_SKIPPED = frozenset({"script", "style", "head", "title", "template"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
# Text past this many characters is not collected (a message body keeps far less); elements
# nested deeper than HTML_DEPTH_MAX are read as text only.
HTML_TEXT_MAX = 200_000
HTML_DEPTH_MAX = 1000
# Of the HTML, once stripped of inline data (images as data: URIs), this many characters are
# read for its text: the stdlib parser reads about 200,000 tags a second.
HTML_SOURCE_MAX = 1_000_000
_DATA_URI = re.compile(r"data:[^\s\"'>]{64,}", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


def sanitize_html(html: str) -> str:
    """HTML safe to show an agent: no scripts, styles, event handlers or remote loads."""
    return nh3.clean(html, url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow")


class _TextOfHtml(HTMLParser):
    """HTML read once, start to end, into text (linear in its size, however it nests): blocks
    break lines, <br> is a line end, source line ends are spaces except inside <pre>."""

    def __init__(self, *, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.out: list[str] = []
        self.size = 0
        self.open: list[str] = []  # the elements open now
        self.opened: Counter[str] = Counter()
        self.hidden_below: int | None = None  # text is dropped while this many elements or more are open
        self.pre = 0
        self.pending = 0  # line ends owed before the next text
        self.trailing = 2  # line ends the text ends with (none is written at the start)

    def _write(self, text: str) -> None:
        if self.hidden_below is not None or self.size >= HTML_TEXT_MAX or not text:
            return
        if self.pending > self.trailing:
            self.out.append("\n" * (self.pending - self.trailing))
            self.trailing = self.pending
        self.pending = 0
        self.out.append(text)
        self.size += len(text)
        stripped = text.rstrip("\n")
        self.trailing = len(text) - len(stripped) + (self.trailing if not stripped else 0)

    def _break(self, tag: str) -> None:
        if self.hidden_below is None:
            self.pending = max(self.pending, _BREAKS.get(tag, 0))

    def _hide_from(self, depth: int) -> None:
        if self.hidden_below is None or depth < self.hidden_below:
            self.hidden_below = depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)
        if tag == "br":
            self._write("\n")
        if tag in _VOID or len(self.open) >= HTML_DEPTH_MAX:
            return
        self.open.append(tag)
        self.opened[tag] += 1
        depth = len(self.open)
        if tag in _SKIPPED:
            self._hide_from(depth)
        elif self.drop_quotes:
            values = {name: (value or "") for name, value in attrs}
            if values.get("id", "").lower() in _HTML_QUOTE_STARTS:
                self._hide_from(depth - 1 if depth > 1 else 0)
            elif any(
                tag == quoted_tag and (value in values.get(name, "").lower().split())
                for quoted_tag, name, value in _HTML_QUOTES
            ):
                self._hide_from(depth)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)
        if tag == "br":
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.opened[tag]:
            while self.open:
                closed = self.open.pop()
                self.opened[closed] -= 1
                if closed == "pre":
                    self.pre = max(0, self.pre - 1)
                if self.hidden_below is not None and len(self.open) < self.hidden_below:
                    self.hidden_below = None
                if closed == tag:
                    break
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.pre:
            self._write(data.replace("\r\n", "\n"))
            return
        text = _SPACES.sub(" ", data)
        if self.trailing or self.pending or (self.out and self.out[-1].endswith(" ")):
            text = text.lstrip(" ")
        self._write(text)


def html_to_text(html: str, *, drop_quotes: bool = True) -> str:
    """The text of an HTML email: blocks as lines, scripts and styles out, and (unless told
    otherwise) the quoted history of the clients above left out."""
    reader = _TextOfHtml(drop_quotes=drop_quotes)
    html = _DATA_URI.sub("data:", html)[:HTML_SOURCE_MAX]
    step = 65_536
    for start in range(0, len(html), step):
        reader.feed(html[start : start + step])
        if reader.size >= HTML_TEXT_MAX:
            break
    reader.close()
    lines = [line.rstrip() for line in "".join(reader.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n").rstrip()


# --- Addresses, dates, ids ------------------------------------------------------------


_PARAMETER = re.compile(r';\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


def _raw_header(part: EmailMessage, name: str) -> str | None:
    for key, value in part.raw_items():
        if key.lower() == name:
            return " ".join(str(value).split())
    return None


def content_type(part: EmailMessage) -> tuple[str, dict[str, str]]:
    """A part's content type and plain parameters, read from its header as written.

    What get_content_type() and get_param() answer for ordinary headers, at a fraction of
    their cost (each of those parses the header again, every time); RFC 2231 parameters
    are not decoded here (get_filename() does that, for attachments). No header: the
    default of its place (text/plain, or message/rfc822 in a digest); a malformed one:
    text/plain, as RFC 2045 says.
    """
    raw = _raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type(), {}
    head, _, rest = raw.partition(";")
    value = head.strip().lower()
    if value.count("/") != 1 or not all(value.split("/")):
        return "text/plain", {}
    parameters = {match.group(1).lower(): match.group(2).strip('"') for match in _PARAMETER.finditer(";" + rest)}
    return value, parameters


def raw_headers(message: EmailMessage) -> dict[str, list[str]]:
    """Every header of `message` as written, unfolded, by lower-case name, in order."""
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(" ".join(str(value).split()))
    return headers


def _header(message: EmailMessage, name: str) -> str:
    """A header as text; a malformed one is read raw rather than failing the email."""
    try:
        value = message.get(name)
    except Exception:  # the parser's header classes raise on odd input
        value = None
    if value is None:
        raw = message.get_all(name, failobj=[])
        return str(raw[0]) if raw else ""
    return str(value)


def _addresses(message: EmailMessage, *names: str) -> list[tuple[str, str]]:
    values: list[str] = []
    for name in names:
        try:
            values += [str(value) for value in message.get_all(name, failobj=[])]
        except Exception:  # noqa: S112  # nosec B112  # a malformed address header reads as no address
            continue
    pairs = []
    for display, address in getaddresses(values):
        address = address.strip()
        if "@" in address and len(address) <= 320 and " " not in address:
            pairs.append((display.strip(), address))
    return pairs


def _ids(value: str) -> list[str]:
    return [normalize_message_id(match) for match in _MSGID.findall(value or "")]


def _moment(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _date(headers: dict[str, list[str]]) -> datetime:
    """The Date header; when it is missing or not a date, the time the newest Received
    header gives (when our server took it), else now."""
    moment = _moment((headers.get("date") or [""])[0])
    if moment is not None:
        return moment
    for value in headers.get("received", []):  # the newest first
        moment = _moment(str(value).rpartition(";")[2])
        if moment is not None:
            return moment
    return timezone.now()


def address_only(address: str) -> str:
    try:
        return Address(addr_spec=address).addr_spec.lower()
    except Exception:
        return address.strip().lower()


# --- The email ------------------------------------------------------------------------


_FORWARDED = ("message/rfc822", "message/global")
FORWARD_LINE = "---------- Forwarded message ----------"


def _walk(entity: EmailMessage, owner: EmailMessage, depth: int = 0):
    """Every part, depth first, with the email its text belongs to: the email itself, or the
    forwarded email (message/rfc822) that holds it. Other message/* parts (a bounce's
    delivery-status blocks) are not entered."""
    if depth > settings.MAIL_MAX_DEPTH:
        message = ngettext_lazy(
            # Translators: why an email was refused (see "the email is %(size)s MB..."): its MIME parts are
            # nested more than "limit" levels deep. The English is the same for one and for many.
            "the email nests parts more than %(limit)d deep",
            "the email nests parts more than %(limit)d deep",
            "limit",
        )
        raise Refused(message, limit=settings.MAIL_MAX_DEPTH)
    yield entity, owner
    if not entity.is_multipart():
        return
    kind = content_type(entity)[0]
    if kind in _FORWARDED:
        for inner in entity.get_payload():
            if isinstance(inner, EmailMessage):
                yield from _walk(inner, inner, depth + 1)
    elif not kind.startswith("message/"):
        for part in entity.get_payload():
            if isinstance(part, EmailMessage):
                yield from _walk(part, owner, depth + 1)


def _forward_header(message: EmailMessage) -> str:
    lines = [FORWARD_LINE]
    for name in ("From", "Date", "Subject", "To", "Cc"):
        value = " ".join(_header(message, name).split())
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _filename(part: EmailMessage, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return str(name)
    return f"part-{index}{mimetypes.guess_extension(part.get_content_type()) or '.bin'}"


def _open_tnef(
    attachments: list[Attachment],
    tnef_parts: list[tuple[int, int]],
    plain: dict[int, list[str]],
    html: dict[int, list[str]],
    *,
    files_left: int,
) -> list[Attachment]:
    """The attachments with each winmail.dat replaced by the files inside it (typed by their
    names); a body inside one becomes its email's text when that email has none of its own (an
    RTF-only body is not read). One that cannot be opened, or holds more files than the parts
    left under MAIL_MAX_PARTS or more than MAIL_MAX_BYTES, stays as it came."""
    opened = tnef.unpack(
        [attachments[index].data for index, _ in tnef_parts],
        max_files=max(0, files_left),
        max_bytes=settings.MAIL_MAX_BYTES,
    )
    replaced: dict[int, list[Attachment]] = {}
    for (index, key), content in zip(tnef_parts, opened, strict=True):
        if content is None:
            continue
        replaced[index] = [
            Attachment(
                name or f"attachment-{number}", mimetypes.guess_type(name)[0] or "application/octet-stream", data
            )
            for number, (name, data) in enumerate(content.files, 1)
        ]
        if any(value.strip() for value in [*plain.get(key, []), *html.get(key, [])]):
            continue
        if content.text.strip():
            text = decode_text(content.text, content.text_charset)
            plain[key] = [text.replace("\r\n", "\n").replace("\r", "\n")]
        elif content.html.strip():
            html[key] = [decode_text(content.html, content.html_charset)]
    return [attachment for index, own in enumerate(attachments) for attachment in replaced.get(index, [own])]


def parse(raw: bytes, *, digest: str | None = None) -> ParsedEmail:
    """Parse and bound one email; raises Refused or Unreadable. `digest`: its content_hash,
    when the caller has it already."""
    check_bounds(raw)
    try:
        message = BytesParser(policy=policy.default).parsebytes(repair_headers(raw))
    except Exception as error:  # the parser is lenient; this is the rare hard failure
        raise Unreadable(f"could not parse the email: {type(error).__name__}: {error}") from error
    if not message.keys():
        raise Unreadable("no headers: this is not an email")

    parts = list(_walk(message, message))
    if len(parts) > settings.MAIL_MAX_PARTS:
        message = ngettext_lazy(
            # Translators: why an email was refused (see "the email is %(size)s MB..."); "parts" are its MIME parts.
            "the email has %(count)d part; the limit is %(limit)d",
            "the email has %(count)d parts; the limit is %(limit)d",
            "count",
        )
        raise Refused(message, count=len(parts), limit=settings.MAIL_MAX_PARTS)

    senders = _addresses(message, "From") or _addresses(message, "Sender")
    if not senders:
        raise Unreadable("no sender address (From) could be read")
    from_name, from_address = senders[0]

    subject = " ".join(_header(message, "Subject").split())[:255]
    # The text of the email and of each email forwarded in it (as an attachment), in order.
    plain: dict[int, list[str]] = {}
    html: dict[int, list[str]] = {}
    owners: dict[int, EmailMessage] = {}
    attachments: list[Attachment] = []
    tnef_parts: list[tuple[int, int]] = []  # winmail.dat: its place in attachments, its owner
    for index, (part, owner) in enumerate(parts):
        owners.setdefault(id(owner), owner)
        if part.is_multipart():
            continue
        part_type, parameters = content_type(part)
        if part_type.startswith("message/"):
            continue  # a report's parts (read by mail.classify), or an empty forward
        raw_disposition = _raw_header(part, "content-disposition") or ""
        disposition = raw_disposition.partition(";")[0].strip().lower() or None
        is_attachment = disposition == "attachment" or part_type not in ("text/plain", "text/html")
        named = (
            "name" in raw_disposition.lower()
            or "name" in parameters
            or "name*" in (_raw_header(part, "content-type") or "")
        )
        if is_attachment or (named and part.get_filename()):
            data = part.get_payload(decode=True) or b""
            attachments.append(
                Attachment(
                    _filename(part, index),
                    part_type,
                    data,
                    inline=disposition == "inline" or _raw_header(part, "content-id") is not None,
                )
            )
            if tnef.is_tnef(part_type, attachments[-1].name):
                tnef_parts.append((len(attachments) - 1, id(owner)))
        elif part_type == "text/plain":
            plain.setdefault(id(owner), []).append(_part_text(part, parameters))
        elif part_type == "text/html":
            html.setdefault(id(owner), []).append(_part_text(part, parameters))
    if tnef_parts:
        attachments = _open_tnef(attachments, tnef_parts, plain, html, files_left=settings.MAIL_MAX_PARTS - len(parts))

    chunks = []
    for key, owner in owners.items():
        chunk = "\n\n".join(value.strip() for value in plain.get(key, []) if value.strip())
        if not chunk and html.get(key):
            chunk = html_to_text("\n".join(html[key]), drop_quotes=owner is message)
        if owner is not message:
            chunk = f"{_forward_header(owner)}\n\n{chunk}".strip()
        if chunk:
            chunks.append(chunk)
    text = "\n\n".join(chunks)
    html_source = "\n".join(value for values in html.values() for value in values)
    headers = raw_headers(message)
    message_id_header = _ids((headers.get("message-id") or [""])[0])
    digest = digest or content_hash(raw)
    if message_id_header:
        message_id, derived = message_id_header[0], False
    else:
        # No Message-ID: one derived from the content, so a second arrival still collides.
        message_id, derived = f"derived.{digest[:40]}@helpdesk.invalid", True
    to = _addresses(message, "To")
    cc = _addresses(message, "Cc")
    delivered = getaddresses(
        [*headers.get("delivered-to", []), *headers.get("x-original-to", []), *headers.get("envelope-to", [])]
    )
    recipients = [address for _, address in to + cc] + [
        address.strip() for _, address in delivered if "@" in address and len(address) <= 320
    ]
    return ParsedEmail(
        message_id=message_id,
        message_id_derived=derived,
        content_hash=digest,
        subject=subject,
        from_name=from_name[:255],
        from_address=from_address,
        to=[address for _, address in to],
        cc=[address for _, address in cc],
        recipients=recipients,
        date=_date(headers),
        in_reply_to=_ids((headers.get("in-reply-to") or [""])[0]),
        references=_ids(" ".join(headers.get("references", []))),
        text=text,
        html=sanitize_html(html_source) if html_source else "",
        attachments=attachments,
        message=message,
        headers=headers,
    )
