"""Outlook's winmail.dat (TNEF): the files and the body inside it reach the ticket.

The TNEF streams are written here by a small encoder of the documented format (MS-OXTNEF):
a signature, a key, then attributes, each a level (1 message, 2 attachment), an id (type << 16
| id), a length, the data and a checksum (the sum of the data's bytes, mod 65536)."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from email.message import EmailMessage

import pytest
from tnefparse import TNEF

from mail import tnef
from mail.ingest import ingest, original_bytes
from mail.models import Outcome
from mail.parsing import parse
from tickets.models import Attachment, Category

# Attributes (MS-OXTNEF 2.1.3.3): (type << 16) | id.
ATT_TNEF_VERSION = 0x00089006
ATT_OEM_CODEPAGE = 0x00069007
ATT_BODY = 0x0002800C
ATT_MAPI_PROPS = 0x00069003
ATT_ATTACH_REND_DATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005
# MAPI property types and ids.
PT_LONG, PT_UNICODE, PT_BINARY = 0x0003, 0x001F, 0x0102
PR_BODY, PR_HTML, PR_INTERNET_CPID = 0x1000, 0x1013, 0x3FDE
PR_ATTACH_DATA_OBJ, PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME = 0x3701, 0x3705, 0x3707

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" * 40
NOTES = "Steps to reproduce:\r\n1. Open the export page\r\n2. Press Export\r\n".encode("cp1252")


def attribute(level: int, ident: int, data: bytes) -> bytes:
    return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def stream(*attributes: bytes) -> bytes:
    header = struct.pack("<IH", 0x223E9F78, 0x1234)
    version = attribute(1, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000))
    codepage = attribute(1, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0))
    return header + version + codepage + b"".join(attributes)


def padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def mapi(*properties: tuple[int, int, object]) -> bytes:
    """A MAPI property list: (type, id, value) with a str, bytes or int value."""
    out = struct.pack("<I", len(properties))
    for kind, ident, value in properties:
        out += struct.pack("<HH", kind, ident)
        if kind == PT_LONG:
            out += struct.pack("<i", value)
        else:
            data = (value + "\x00").encode("utf-16-le") if kind == PT_UNICODE else value
            out += struct.pack("<II", 1, len(data)) + padded(data)
    return out


def attachment(title: str, data: bytes, *, long_name: str | None = None) -> bytes:
    """An attachment block as Outlook writes it: rendering data, title (8.3 name), data; with
    `long_name`, also its MAPI properties, which carry the long name and the data again."""
    block = (
        attribute(2, ATT_ATTACH_REND_DATA, struct.pack("<HIIH", 1, 0xFFFFFFFF, 0, 0))
        + attribute(2, ATT_ATTACH_TITLE, title.encode("cp1252") + b"\x00")
        + attribute(2, ATT_ATTACH_DATA, data)
    )
    if long_name is not None:
        properties = mapi(
            (PT_LONG, PR_ATTACH_METHOD, 1),
            (PT_UNICODE, PR_ATTACH_LONG_FILENAME, long_name),
            (PT_BINARY, PR_ATTACH_DATA_OBJ, data),
        )
        block += attribute(2, ATT_ATTACHMENT, properties)
    return block


def plain_body(text: str) -> bytes:
    return attribute(1, ATT_BODY, text.encode("cp1252") + b"\x00")


def html_body(html: str) -> bytes:
    return attribute(1, ATT_MAPI_PROPS, mapi((PT_LONG, PR_INTERNET_CPID, 65001), (PT_BINARY, PR_HTML, html.encode())))


def docx() -> bytes:
    """A small .docx-like zip: a zip ends with its directory's record, whose last two bytes are 0."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>Quarterly figures</w:document>")
    return buffer.getvalue()


def outlook_email(
    winmail: bytes, *, text: str | None = "Please see the report attached.", ident: str = "tnef-1"
) -> bytes:
    """An email as Outlook sends it to the outside: a short text and winmail.dat; without text,
    the whole email is the TNEF part."""
    message = EmailMessage()
    message["From"] = "Olga Outlook <olga@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = "Export fails"
    message["Message-ID"] = f"<{ident}@example.org>"
    if text is None:
        message.set_content(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    else:
        message.set_content(text)
        message.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


# --- The encoder and the decoder ------------------------------------------------------------


def test_tnefparse_reads_what_the_encoder_writes():
    decoded = TNEF(stream(plain_body("Hello"), attachment("report.pdf", PDF), attachment("notes.txt", NOTES)))
    assert decoded.body == b"Hello\x00"
    assert [(item.long_filename(), item.data) for item in decoded.attachments] == [
        ("report.pdf", PDF),
        ("notes.txt", NOTES),
    ]


def test_unpack_gives_the_files_byte_for_byte_with_their_long_names():
    data = docx()
    assert data.endswith(b"\x00\x00")
    blob = stream(attachment("QUARTE~1.DOC", data, long_name="Quarterly report.docx"))
    # tnefparse alone takes the copy in the MAPI properties, its trailing NUL bytes cut.
    assert TNEF(blob).attachments[0].data == data.rstrip(b"\x00")
    (opened,) = tnef.unpack([blob], max_files=10, max_bytes=10**6)
    assert opened.files == [("Quarterly report.docx", data)]


def test_unpack_reads_a_plain_and_an_html_body():
    plain, html = tnef.unpack(
        [stream(plain_body("Grüße")), stream(html_body("<p>Привет</p>"))], max_files=10, max_bytes=10**6
    )
    assert (plain.text.decode(plain.text_charset), plain.html, plain.files) == ("Grüße", b"", [])
    assert (html.text, html.html.decode(html.html_charset)) == (b"", "<p>Привет</p>")


def test_unpack_keeps_whole_what_it_cannot_open_or_what_is_over_the_limits():
    good = stream(attachment("report.pdf", PDF), attachment("notes.txt", NOTES))
    not_tnef = b"PK\x03\x04 a zip named winmail.dat"
    orphan = stream(attribute(2, ATT_ATTACH_DATA, b"data before any attachment began"))
    assert tnef.unpack([not_tnef, orphan, good], max_files=10, max_bytes=10**6)[:2] == [None, None]
    assert tnef.unpack([good], max_files=1, max_bytes=10**6) == [None]
    assert tnef.unpack([good], max_files=10, max_bytes=len(PDF)) == [None]
    # The limits are shared: the second TNEF does not fit in what the first left.
    first, second = tnef.unpack([good, good], max_files=3, max_bytes=10**6)
    assert [name for name, _ in first.files] == ["report.pdf", "notes.txt"] and second is None


def test_a_tnef_that_would_make_the_decoder_loop_for_hours_is_given_up(monkeypatch):
    # 4 billion MAPI properties announced in 4 bytes: tnefparse loops over them all.
    monkeypatch.setattr(tnef, "WALL_SECONDS", 0.5)
    hostile = stream(attribute(1, ATT_MAPI_PROPS, struct.pack("<I", 0xFFFFFFFF)))
    started = time.monotonic()
    assert tnef.unpack([hostile], max_files=10, max_bytes=10**6) == [None]
    assert time.monotonic() - started < 5


# --- Parsing an email -------------------------------------------------------------------------


def test_winmail_dat_sent_as_octet_stream_is_opened_by_its_name():
    message = EmailMessage()
    message["From"] = "olga@example.org"
    message["Subject"] = "Export fails"
    message.set_content("See attached.")
    message.add_attachment(
        stream(attachment("notes.txt", NOTES)), maintype="application", subtype="octet-stream", filename="WINMAIL.DAT"
    )
    email = parse(message.as_bytes())
    assert [(item.name, item.content_type, item.data) for item in email.attachments] == [
        ("notes.txt", "text/plain", NOTES)
    ]
    assert email.text == "See attached."


def test_a_winmail_dat_with_more_files_than_the_parts_left_stays_whole(settings):
    # multipart/mixed, its text and winmail.dat are 3 parts: 1 left for 2 files.
    settings.MAIL_MAX_PARTS = 4
    winmail = stream(attachment("report.pdf", PDF), attachment("notes.txt", NOTES))
    email = parse(outlook_email(winmail))
    assert [(item.name, item.content_type, item.data) for item in email.attachments] == [
        ("winmail.dat", "application/ms-tnef", winmail)
    ]
    settings.MAIL_MAX_PARTS = 5
    assert [item.name for item in parse(outlook_email(winmail)).attachments] == ["report.pdf", "notes.txt"]


# --- Ingesting: the ticket ------------------------------------------------------------------


@pytest.fixture
def _mail_settings(settings, db):
    settings.SUPPORT_EMAIL = "support@example.com"
    Category.objects.create(slug="general", name="General")


def files_of(ticket) -> list[tuple[str, int, str]]:
    return [(row.name, row.size, row.content_type) for row in Attachment.objects.filter(ticket=ticket).order_by("id")]


@pytest.mark.usefixtures("_mail_settings")
def test_the_files_inside_winmail_dat_are_the_tickets_attachments():
    # Outlook writes the body into winmail.dat too: the email's own text wins.
    winmail = stream(plain_body("Please see the report attached. (TNEF copy)"), attachment("report.pdf", PDF))
    raw = outlook_email(winmail + attachment("notes.txt", NOTES))
    row = ingest(raw, route="pipe")
    assert row.outcome == Outcome.TICKET, row.reason
    assert row.ticket.description == "Please see the report attached."
    assert files_of(row.ticket) == [
        ("report.pdf", len(PDF), "application/pdf"),
        ("notes.txt", len(NOTES), "text/plain"),
    ]
    stored = {item.name: item.file.read() for item in Attachment.objects.filter(ticket=row.ticket)}
    assert stored == {"report.pdf": PDF, "notes.txt": NOTES}
    assert original_bytes(row) == raw  # winmail.dat and all, for the agents


@pytest.mark.usefixtures("_mail_settings")
@pytest.mark.parametrize(
    ("body", "description"),
    [
        (
            plain_body("Hello,\r\nthe export button does nothing since Monday.\r\nOlga"),
            "Hello,\nthe export button does nothing since Monday.\nOlga",
        ),
        # New Outlook may carry only the HTML body (verdammelt/tnef#38).
        (
            html_body("<div><p>Hello,</p><p>the export button does nothing since <b>Monday</b>.</p></div>"),
            "Hello,\n\nthe export button does nothing since Monday.",
        ),
    ],
    ids=["plain", "html"],
)
def test_the_body_inside_winmail_dat_is_the_tickets_description(body, description):
    row = ingest(outlook_email(stream(body), text=None), route="pipe")
    assert row.outcome == Outcome.TICKET, row.reason
    assert row.ticket.description == description
    assert files_of(row.ticket) == []


@pytest.mark.usefixtures("_mail_settings")
def test_a_corrupt_winmail_dat_still_opens_the_ticket_with_the_emails_text():
    # Signed as TNEF; an attachment's data before any attachment began, and cut short.
    corrupt = stream(attribute(2, ATT_ATTACH_DATA, b"orphan"), attachment("report.pdf", PDF))[:-100]
    assert tnef.unpack([corrupt], max_files=10, max_bytes=10**6) == [None]
    row = ingest(outlook_email(corrupt, text="The report is attached (Outlook)."), route="pipe")
    assert row.outcome == Outcome.TICKET, row.reason
    # Kept as it came: not a type the helpdesk attaches, so the description names it.
    assert row.ticket.description.startswith("The report is attached (Outlook).\n\nNot attached here")
    assert "winmail.dat" in row.ticket.description
    assert files_of(row.ticket) == []
