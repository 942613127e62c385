"""mail.parsing: reading one raw email, whatever its client did to it (no database)."""

from __future__ import annotations

import base64
import contextlib
import inspect
import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from mail.parsing import (
    Refused,
    Unreadable,
    check_bounds,
    content_hash,
    decode_text,
    html_to_text,
    parse,
    repair_headers,
    sanitize_html,
    unflow,
)
from mail.tests import corpus
from tickets.threading import normalize_message_id

HELLO = "Привет"


# --- Charsets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("koi8-r", "koi8-r"),
        ("cp1251", "windows-1251"),
        ("utf-8", "koi8-r"),  # a KOI8-R label over UTF-8 bytes
        ("cp1251", "x-user-defined"),  # no such charset
        ("cp1251", "koi8-r"),  # a label that lies
        ("koi8-r", "windows-1251"),
        ("koi8-r", None),
        ("cp1251", None),
        ("iso-8859-5", "iso-8859-5"),
        ("cp866", "cp866"),
    ],
)
def test_russian_text_reads_as_russian_whatever_the_label(encoding, label):
    assert decode_text(HELLO.encode(encoding), label) == HELLO
    sentence = corpus.RU_TEXT
    assert decode_text(sentence.encode(encoding), label) == sentence


def test_latin_text_keeps_its_declared_charset():
    assert decode_text("Grüße, café".encode("iso-8859-1"), "iso-8859-1") == "Grüße, café"
    assert decode_text("Dzień dobry".encode("iso-8859-2"), "iso-8859-2") == "Dzień dobry"


def test_unlabelled_8_bit_latin_text_is_not_taken_for_russian():
    assert decode_text("Grüße aus München".encode("cp1252"), None) == "Grüße aus München"
    assert decode_text("“Quoted” – dash".encode("cp1252"), None) == "“Quoted” – dash"
    assert decode_text(b"\x81\x8d odd", None) == "\x81\x8d odd"  # Latin-1 reads anything


@pytest.mark.parametrize(
    "builder", ["koi8r_body", "cp1251_body", "koi8r_label_over_utf8", "x_user_defined_over_cp1251"]
)
def test_cyrillic_bodies_of_the_corpus(builder):
    assert parse(corpus.MEMBERS[builder]()).text == corpus.RU_TEXT


@pytest.mark.parametrize("builder", ["rfc2047_subject_utf8_b", "rfc2047_subject_utf8_q", "rfc2047_subject_cp1251"])
def test_rfc_2047_subjects(builder):
    assert parse(corpus.MEMBERS[builder]()).subject == corpus.RU_SUBJECT


def test_quoted_printable_and_base64_bodies():
    assert parse(corpus.iso8859_quoted_printable()).text == "Dzień dobry, drukarka nie działa. Proszę o pomoc."
    assert parse(corpus.x_user_defined_over_cp1251()).text == corpus.RU_TEXT  # base64


def test_text_has_plain_line_ends():
    email = parse(corpus.plain_request())

    assert "\r" not in email.text
    assert email.text == "Hello,\n\nthe printer on the second floor has been offline since this morning.\n\nAnna"


# --- format=flowed ---------------------------------------------------------------------------


def test_flowed_lines_are_joined_as_typed():
    text = "A long line that was \nwrapped twice by the \nclient.\nA new line.\n\n> quoted and \n> wrapped\n-- \nAnna"

    assert unflow(text) == (
        "A long line that was wrapped twice by the client.\nA new line.\n\n> quoted and wrapped\n-- \nAnna"
    )


def test_flowed_with_delsp_drops_the_space_of_the_break():
    assert unflow("Donau \ndampfschiff", delsp=True) == "Donaudampfschiff"


def test_space_stuffed_lines_lose_their_stuffing():
    assert unflow(" From the start\n >not a quote") == "From the start\n>not a quote"


def test_thunderbird_flowed_text_is_joined():
    sent = corpus.Sent(
        message_id="<t1.x@127.0.0.1>",
        reply_to="support+t1-0123456789abcdef@example.com",
        sender="helpdesk@localhost",
        subject="[#1] We received your request",
        references="",
        text="Hello Anna,\nwe received your request.\n",
    )

    email = parse(corpus.thunderbird_reply(sent))

    assert email.text.startswith(corpus.THUNDERBIRD_ANSWER + "\n\nOn 30.11.2026 10:15, Helpdesk wrote:\n> Hello Anna,")


# --- Malformed headers -----------------------------------------------------------------------


def test_a_line_without_a_colon_between_headers_is_dropped():
    email = parse(corpus.header_without_colon())

    assert (email.subject, email.to, email.message_id) == (
        "Broken header above",
        ["support@example.com"],
        "no-colon@mail.example.org",
    )
    assert email.text == "The body is fine."


def test_a_missing_empty_line_before_the_body_is_supplied():
    raw = b"From: anna@example.org\r\nSubject: No gap\r\nThe body starts here\r\nand goes on.\r\n"

    email = parse(raw)

    assert (email.subject, email.text) == ("No gap", "The body starts here\nand goes on.")


def test_a_continuation_of_a_dropped_line_goes_with_it():
    raw = b"From: anna@example.org\nBroken line\n continued\nSubject: Kept\n\nBody\n"

    assert repair_headers(raw) == b"From: anna@example.org\nSubject: Kept\n\nBody\n"


def test_well_formed_headers_are_not_rewritten():
    raw = corpus.eight_bit_headers_utf8()

    assert repair_headers(raw) is raw
    assert repair_headers(corpus.plain_request()) == corpus.plain_request()


def test_8_bit_headers_in_windows_1251_are_read_and_the_body_left_alone():
    raw = corpus.eight_bit_headers_cp1251()

    repaired = repair_headers(raw)

    head, body = repaired.split(b"\r\n\r\n", 1)
    assert "Иван Петров".encode() in head
    assert body == raw.split(b"\r\n\r\n", 1)[1]
    email = parse(raw)
    assert (email.from_name, email.from_address, email.subject) == (
        "Иван Петров",
        "ivan@example.ru",
        "Не печатает принтер",
    )
    assert email.text == corpus.RU_TEXT


def test_8_bit_headers_in_koi8_r_are_read():
    raw = "From: Иван Петров <ivan@example.ru>\nSubject: Не печатает\n\nbody\n".encode("koi8-r")

    email = parse(raw)

    assert (email.from_name, email.subject) == ("Иван Петров", "Не печатает")


def test_an_email_without_a_sender_is_unreadable():
    with pytest.raises(Unreadable, match="no sender address"):
        parse(corpus.empty_from())


@pytest.mark.parametrize("raw", [b"", b"just some text, no headers at all\n", b"\r\n\r\nbody only\r\n"])
def test_what_is_not_an_email_is_unreadable(raw):
    with pytest.raises(Unreadable):
        parse(raw)


def test_a_bad_date_falls_back_to_the_newest_received_header():
    raw = (
        b"Received: from a by b; Tue, 01 Dec 2026 08:00:00 +0000\r\n"
        b"Received: from c by a; Tue, 01 Dec 2026 07:59:00 +0000\r\n" + corpus.bad_date()
    )

    assert parse(raw).date == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_bad_date_without_received_headers_is_now():
    before = timezone.now()

    moment = parse(corpus.bad_date()).date

    assert before <= moment <= timezone.now()


def test_a_date_without_a_zone_is_utc():
    raw = corpus.plain_request().replace(b"Mon, 30 Nov 2026 10:15:00 +0300", b"Mon, 30 Nov 2026 10:15:00 -0000")

    assert parse(raw).date == datetime(2026, 11, 30, 10, 15, tzinfo=UTC)


# --- Bounds ----------------------------------------------------------------------------------


def test_5000_parts_are_refused_before_any_parse(monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("the email was handed to the MIME parser")

    monkeypatch.setattr("mail.parsing.BytesParser", no_parse)
    for raw in (corpus.five_thousand_parts(), corpus.five_thousand_bare_parts()):
        with pytest.raises(Refused, match="more than 200 parts"):
            parse(raw)


def test_parts_up_to_the_limit_are_read(settings):
    settings.MAIL_MAX_PARTS = 20
    raw = corpus._many_parts(15, part_headers=False)

    assert parse(raw).text == "\n\n".join(["part"] * 15)


def test_a_boundary_in_the_text_of_an_email_without_parts_does_not_count(settings):
    settings.MAIL_MAX_PARTS = 3
    raw = corpus.plain_request().replace(b"Anna\r\n", b"Anna\r\n" + b'boundary="x"\r\n--x\r\n' * 2)

    check_bounds(raw)  # four lines that look like parts, and a limit of 3: 2 * 3 + 1 allowed


def test_too_large_an_email_is_refused(settings):
    settings.MAIL_MAX_BYTES = 1000

    with pytest.raises(Refused, match="the limit is 0 MB"):
        check_bounds(b"x" * 1001)
    check_bounds(b"x" * 1000)


def test_too_deep_a_nesting_is_refused(settings):
    settings.MAIL_MAX_DEPTH = 3
    head = b"From: a@example.org\nSubject: deep\nMIME-Version: 1.0\n"
    body = b"hello\n"
    for level in range(5):
        body = (
            b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level) + body + b"\n--b%d--\n" % level
        )
    with pytest.raises(Refused, match="nests parts more than 3 deep"):
        parse(head + body)


# --- HTML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<div>Answer</div><div class="gmail_quote"><div class="gmail_attr">On … wrote:</div>'
        "<blockquote>old</blockquote></div>",
        '<div>Answer</div><div id="divRplyFwdMsg"><b>From:</b> Helpdesk</div><div>old</div><p>older</p>',
        '<p>Answer</p><div class="moz-cite-prefix">30.11.2026 10:15, Helpdesk пишет:</div>'
        '<blockquote type="cite">old</blockquote>',
        '<div>Answer</div><blockquote type="cite"><div>On 30 Nov 2026, at 10:15, X wrote:</div>old</blockquote>',
    ],
    ids=["gmail", "outlook", "thunderbird", "apple mail"],
)
def test_html_quotes_of_each_client_are_dropped(html):
    assert html_to_text(html) == "Answer"
    assert "old" in html_to_text(html, drop_quotes=False)


def test_html_becomes_text_without_scripts_or_styles():
    assert parse(corpus.html_only()).text == "The VPN drops every 10 minutes.\n\ndetails\n\nWindows 11\nClient 5.2"


def test_sanitized_html_keeps_formatting_and_drops_what_runs():
    html = sanitize_html(corpus.HTML_ONLY + '<img src="cid:shot@example.org"><img src="https://tracker.example/p.gif">')

    assert "<b>VPN</b>" in html and "<li>Windows 11</li>" in html
    for danger in ("<script", "document.cookie", "onload", "onclick", "javascript:", "<style", "color:red"):
        assert danger not in html
    assert 'src="cid:shot@example.org"' in html


def test_the_email_keeps_its_sanitized_html():
    email = parse(corpus.html_only())

    assert "<b>VPN</b>" in email.html
    assert "<script" not in email.html and "onload" not in email.html


# --- Attachments ----------------------------------------------------------------------------


def test_inline_images_are_attachments_marked_inline():
    email = parse(corpus.related_inline_images())

    assert [(a.name, a.content_type, len(a.data), a.inline) for a in email.attachments] == [
        ("screenshot.png", "image/png", len(corpus.PNG), True),
        ("part-5.png", "image/png", 2 * len(corpus.PNG), True),
    ]
    assert email.attachments[0].data == corpus.PNG


def test_a_non_ascii_file_name_is_read():
    message = corpus._email(subject="Счёт", text="Счёт во вложении.", name="rfc2231")
    message.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="Счёт №42.pdf")

    [attachment] = parse(message.as_bytes()).attachments

    assert (attachment.name, attachment.data) == ("Счёт №42.pdf", b"%PDF-1.4 x")


def test_a_forwarded_email_is_read_into_the_text_with_its_attachments():
    email = parse(corpus.forwarded_as_attachment())

    assert email.text.startswith("Is this invoice ours?\n\n---------- Forwarded message ----------\n")
    assert "Subject: Invoice 2026-118\n" in email.text
    assert email.text.endswith("Dear customer,\nyour invoice 2026-118 is overdue.")
    assert [(a.name, len(a.data)) for a in email.attachments] == [("invoice-2026-118.pdf", 3000)]


def test_a_9_mb_attachment_is_read_whole():
    [attachment] = parse(corpus.attachment_9mb()).attachments

    assert (attachment.name, attachment.content_type, len(attachment.data)) == (
        "contract-9mb.pdf",
        "application/pdf",
        9 * corpus.MB,
    )


# --- Ids and addresses ----------------------------------------------------------------------


def test_ids_and_recipients():
    raw = b"Delivered-To: support+t1-0123456789abcdef@example.com\r\n" + corpus.plain_request().replace(
        b"To: support@example.com", b"To: support@example.com, Bob <bob@example.org>\r\nCc: carol@example.org"
    ).replace(
        b"Message-ID:",
        b"In-Reply-To: <b@x>\r\nReferences: <a@x>\r\n <b@x> <c@x>\r\nMessage-ID:",
    )

    email = parse(raw)

    assert email.to == ["support@example.com", "bob@example.org"]
    assert email.cc == ["carol@example.org"]
    assert email.recipients == [
        "support@example.com",
        "bob@example.org",
        "carol@example.org",
        "support+t1-0123456789abcdef@example.com",
    ]
    assert email.thread_ids == ["b@x", "c@x", "a@x"]


def test_an_email_without_a_message_id_gets_one_from_its_content():
    email = parse(corpus.no_message_id())

    assert email.message_id_derived
    assert email.message_id == f"derived.{email.content_hash[:40]}@helpdesk.invalid"
    assert parse(corpus.no_message_id()).message_id == email.message_id


def test_a_message_id_longer_than_the_column_is_stored_hashed():
    email = parse(corpus.long_message_id_request(300))

    assert email.message_id.startswith("sha256:")
    assert email.message_id == normalize_message_id("x" * (300 - len("@mail.example.org")) + "@mail.example.org")


def test_the_content_hash_ignores_transport_headers_and_line_ends():
    raw = corpus.plain_request()
    relayed = (
        b"Received: from a by b; Mon, 30 Nov 2026 10:15:02 +0300\r\n\tid 42\r\nDelivered-To: x@example.com\r\n" + raw
    )

    assert content_hash(relayed) == content_hash(raw) == content_hash(raw.replace(b"\r\n", b"\n"))
    assert content_hash(raw.replace(b"the printer", b"the scanner")) != content_hash(raw)


def test_every_corpus_email_is_parsed_refused_or_found_unreadable():
    """Every email that needs no context, one after another: nothing else escapes parse()
    (the time it takes is a figure of bench/mail.py)."""
    builders = [
        builder
        for name, builder in corpus.MEMBERS.items()
        if name not in {"attachment_9mb", "attachment_11mb"}
        and not any(p.default is p.empty for p in inspect.signature(builder).parameters.values())
    ]
    for builder in builders:
        with contextlib.suppress(Refused, Unreadable):
            parse(builder())
    assert len(builders) >= 25


def test_base64_in_a_header_charset_it_does_not_name_is_still_text():
    word = base64.b64encode("Счёт".encode("cp1251")).decode()
    raw = f"From: a@example.org\nSubject: =?koi8-r?B?{word}?=\n\nbody\n".encode()

    assert parse(raw).subject  # some text, never an error


def test_a_flood_of_boundary_parameters_is_refused_without_counting_each(settings):
    settings.MAIL_MAX_PARTS = 200
    flood = b"".join(b'boundary="b%d"\r\n' % n for n in range(200_000))
    raw = corpus.plain_request().replace(b"Anna\r\n", b"Anna\r\n" + flood)

    started = time.perf_counter()
    with pytest.raises(Refused, match="more than 200 parts"):
        check_bounds(raw)
    assert time.perf_counter() - started < 0.2


def test_html_text_keeps_pre_lines_and_joins_source_lines():
    html = "<p>Hello\n   world,</p><pre>line 1\n  line 2</pre><div>a<br>b</div>"

    assert html_to_text(html) == "Hello world,\n\nline 1\n  line 2\n\na\nb"


def test_outlooks_quote_goes_with_all_after_it_and_nothing_before():
    html = (
        "<html><body><div>Answer</div><div>Anna</div>"
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Helpdesk</div>'
        "<div>old text</div></body></html><p>after the body</p>"
    )

    assert html_to_text(html) == "Answer\nAnna\n\nafter the body"


def test_html_built_to_be_slow_is_read():
    """20,000 paragraphs, 20,000 nested divs, 80,000 stray end tags (the tree-editing version
    took 57 s on the first; the one-pass reader's time is a figure of bench/mail.py)."""
    paragraphs, nested, stray = (
        "<div>" + "<p>para x</p><br>" * 20_000 + "</div>",
        "<div>" * 20_000 + "deep" + "</div>" * 20_000,
        "<span>" * 80_000 + "x" + "</div>" * 80_000,
    )
    assert html_to_text(paragraphs).count("para x") == 20_000
    assert html_to_text(nested) == "deep"
    assert html_to_text(stray) == "x"


def test_text_after_a_large_inline_image_is_read():
    image = "data:image/png;base64," + "A" * 3_000_000
    html = f'<p><img src="{image}"></p><p>The text under the screenshot.</p>'

    assert html_to_text(html) == "The text under the screenshot."


def test_gmail_lines_are_lines_and_its_empty_line_a_paragraph():
    html = '<div dir="ltr"><div>Line&nbsp;1</div><div><br></div><div>Line <b>2</b></div><div>Line 3<br></div></div>'

    assert html_to_text(html) == "Line 1\n\nLine 2\nLine 3"
