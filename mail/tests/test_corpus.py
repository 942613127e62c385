"""The corpus (mail/tests/corpus.py), ingested email by email as an MTA pipe delivers it:
where each lands (a new ticket, a reply on its ticket, an internal note, recorded only),
the text kept (quotes and signatures cut) and the attachments kept."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from django.core import mail
from django.utils import timezone

from agents.roles import Actor
from agents.tests.factories import AgentFactory
from mail.ingest import ingest, original_bytes
from mail.models import BouncedAddress, InboundEmail, Outcome
from mail.tests import corpus
from mail.tests.corpus import CUSTOMER, CUSTOMER_NAME, MB, RU_CUSTOMER, RU_CUSTOMER_NAME, RU_SUBJECT, RU_TEXT, Sent
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from tickets import services
from tickets.assignment import ticket_assign
from tickets.models import Attachment, AuthorType, Message, Source, Status, Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_settings(settings, db):
    settings.SUPPORT_EMAIL = corpus.SUPPORT
    CategoryFactory(slug="general", name="General")


def deliver() -> list:
    """Send what the outbox holds; the emails that left."""
    before = len(mail.outbox)
    notifications_deliver_due()
    return mail.outbox[before:]


def open_ticket(raw: bytes | None = None) -> tuple[Ticket, Sent]:
    """A ticket opened by email, and its acknowledgement as the customer received it."""
    row = ingest(raw or corpus.plain_request(), route="pipe")
    assert row.outcome == Outcome.TICKET, row.reason
    acks = [email for email in deliver() if email.to == [row.ticket.customer_email]]
    assert len(acks) == 1
    return row.ticket, Sent.of(acks[0])


def russian_ticket() -> tuple[Ticket, Sent]:
    return open_ticket(corpus.plain_request(sender=f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>", name="ru-request"))


def agent_actor(agent) -> Actor:
    return Actor(type="agent", name=agent.name, user=agent.user, agent=agent)


def attachments_of(ticket: Ticket, message: Message | None = None) -> list[tuple[str, int, str]]:
    rows = Attachment.objects.filter(ticket=ticket, message=message).order_by("id")
    return [(row.name, row.size, row.content_type) for row in rows]


def test_the_corpus_has_at_least_30_emails():
    assert len(corpus.MEMBERS) >= 30


# --- New tickets ---------------------------------------------------------------------------

PLAIN_TEXT = "Hello,\n\nthe printer on the second floor has been offline since this morning.\n\nAnna"

NEW_TICKETS = [
    # builder, subject, description, customer email, customer name, attachments (name, size, type)
    ("plain_request", "Printer offline", PLAIN_TEXT, CUSTOMER, CUSTOMER_NAME, []),
    ("koi8r_body", "koi8r-body", RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    ("cp1251_body", "cp1251-body", RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    ("koi8r_label_over_utf8", "koi8r-label-utf8", RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    ("x_user_defined_over_cp1251", "x-user-defined", RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    (
        "iso8859_quoted_printable",
        "Drukarka",
        "Dzień dobry, drukarka nie działa. Proszę o pomoc.",
        "zofia@example.pl",
        "Zofia Nowak",
        [],
    ),
    ("rfc2047_subject_utf8_b", RU_SUBJECT, "See the subject.", CUSTOMER, "", []),
    ("rfc2047_subject_utf8_q", RU_SUBJECT, "See the subject.", CUSTOMER, "", []),
    ("rfc2047_subject_cp1251", RU_SUBJECT, "See the subject.", CUSTOMER, "", []),
    (
        "html_only",
        "VPN drops",
        "The VPN drops every 10 minutes.\n\ndetails\n\nWindows 11\nClient 5.2",
        CUSTOMER,
        CUSTOMER_NAME,
        [],
    ),
    (
        "related_inline_images",
        "Error on the login page",
        "The login page shows this error (screenshot inline).",
        CUSTOMER,
        CUSTOMER_NAME,
        [("screenshot.png", len(corpus.PNG), "image/png"), ("part-5.png", 2 * len(corpus.PNG), "image/png")],
    ),
    (
        "forwarded_text",
        "Fwd: Invoice 2026-118",
        f"Is this invoice ours? We paid it last week.\n\n{corpus.FORWARD_INNER.strip()}",
        CUSTOMER,
        CUSTOMER_NAME,
        [],
    ),
    ("eight_bit_headers_utf8", RU_SUBJECT, RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    ("eight_bit_headers_cp1251", RU_SUBJECT, RU_TEXT, RU_CUSTOMER, RU_CUSTOMER_NAME, []),
    ("header_without_colon", "Broken header above", "The body is fine.", CUSTOMER, CUSTOMER_NAME, []),
    ("mbox_from_line", "From an mbox", "Cut from an mbox file.", CUSTOMER, CUSTOMER_NAME, []),
    ("bad_date", "Bad date", "The date above is not a date.", CUSTOMER, CUSTOMER_NAME, []),
    ("long_message_id_request", "Long id", "My client makes very long ids.", CUSTOMER, CUSTOMER_NAME, []),
    ("no_message_id", "No id", "My client sends no Message-ID.", CUSTOMER, CUSTOMER_NAME, []),
    (
        "forwarded_as_attachment",
        "FW: Invoice 2026-118",
        "Is this invoice ours?\n\n---------- Forwarded message ----------\n"
        "From: Billing <billing@vendor.example>\nDate: Fri, 04 Dec 2026 18:02:00 +0000\n"
        f"Subject: Invoice 2026-118\nTo: {CUSTOMER}\n\nDear customer,\nyour invoice 2026-118 is overdue.",
        CUSTOMER,
        CUSTOMER_NAME,
        [("invoice-2026-118.pdf", 3000, "application/pdf")],
    ),
    (
        "attachments_mixed",
        "Files",
        "The files you asked for.\n\nNot attached here (the original email has them):\n"
        "- setup.exe (setup.exe: files of type application/x-msdownload cannot be attached.)",
        CUSTOMER,
        CUSTOMER_NAME,
        [("report.pdf", 20_000, "application/pdf"), ("data.csv", 8, "text/csv")],
    ),
]


@pytest.mark.parametrize(
    ("builder", "subject", "description", "email", "name", "files"), NEW_TICKETS, ids=[row[0] for row in NEW_TICKETS]
)
def test_a_new_email_opens_a_ticket(builder, subject, description, email, name, files):
    raw = corpus.MEMBERS[builder]()

    row = ingest(raw, route="pipe")

    assert (row.outcome, row.reason) == (Outcome.TICKET, "")
    ticket = row.ticket
    assert (ticket.subject, ticket.description) == (subject, description)
    assert (ticket.customer_email, ticket.customer_name) == (email, name)
    assert (ticket.channel, ticket.status, ticket.follow_up_of) == (Ticket.Channel.EMAIL, Status.NEW, None)
    assert attachments_of(ticket) == files
    assert original_bytes(row) == raw
    # Acknowledged once, threaded on the customer's email.
    sent = deliver()
    assert [email.to for email in sent] == [[email]]
    assert sent[0].extra_headers["Auto-Submitted"] == "auto-replied"
    assert row.acknowledged


def test_html_only_mail_keeps_no_script_in_its_text():
    row = ingest(corpus.html_only(), route="pipe")

    text = row.ticket.description
    assert "document.cookie" not in text and "steal" not in text and "color:red" not in text


def test_a_9_mb_attachment_is_kept():
    row = ingest(corpus.attachment_9mb(), route="pipe")

    assert row.outcome == Outcome.TICKET
    assert attachments_of(row.ticket) == [("contract-9mb.pdf", 9 * MB, "application/pdf")]
    stored = Attachment.objects.get(ticket=row.ticket)
    with stored.file.open("rb") as handle:
        assert handle.read(9) == b"%PDF-1.4\n"
    assert row.ticket.description == "The scanned contract is attached."


def test_an_email_with_a_bad_date_keeps_the_time_it_arrived_on_its_message():
    _, sent = open_ticket()
    reply = corpus.crlf(corpus.gmail_reply(sent).replace(b"Date: Mon, 30 Nov 2026 10:15:00 +0300", b"Date: soon"))
    before = timezone.now()

    row = ingest(reply, route="pipe")

    assert row.outcome == Outcome.REPLY
    assert before <= row.message.email_date <= timezone.now()


def test_a_header_in_8_bit_windows_1251_is_stored_as_text():
    row = ingest(corpus.eight_bit_headers_cp1251(), route="pipe")

    assert (row.from_name, row.subject) == (RU_CUSTOMER_NAME, RU_SUBJECT)


# --- Replies from each mail client ---------------------------------------------------------

ENGLISH_REPLIES = [
    ("gmail_reply", corpus.GMAIL_ANSWER),
    ("gmail_html_only_reply", corpus.GMAIL_HTML_ANSWER),
    ("outlook_reply", corpus.OUTLOOK_ANSWER),
    ("apple_mail_reply", corpus.APPLE_ANSWER),
    ("thunderbird_reply", corpus.THUNDERBIRD_ANSWER),
]


@pytest.mark.parametrize(("builder", "answer"), ENGLISH_REPLIES, ids=[row[0] for row in ENGLISH_REPLIES])
def test_a_customer_reply_lands_on_its_ticket_with_the_quote_cut(builder, answer):
    ticket, sent = open_ticket()

    row = ingest(corpus.MEMBERS[builder](sent), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    message = row.message
    assert message.body == answer
    assert (message.author_type, message.internal, message.source) == (AuthorType.CUSTOMER, False, Source.EMAIL)
    assert (message.email_from, message.email_to) == (CUSTOMER, sent.reply_to)
    assert message.email_date is not None
    assert Ticket.objects.count() == 1
    assert deliver() == []  # a reply is not acknowledged


RUSSIAN_REPLIES = [
    ("gmail_reply_russian", corpus.RU_ANSWER),
    ("outlook_reply_russian", "Добрый день!\nСчёт №42 так и не пришёл."),
    ("apple_mail_reply_russian", "Да, проблема повторяется каждое утро."),
    ("thunderbird_reply_russian", "Добрый день! Прикладываю журнал ошибок."),
]


@pytest.mark.parametrize(("builder", "answer"), RUSSIAN_REPLIES, ids=[row[0] for row in RUSSIAN_REPLIES])
def test_a_russian_reply_lands_on_its_ticket_with_the_quote_and_signature_cut(builder, answer):
    ticket, sent = russian_ticket()

    row = ingest(corpus.MEMBERS[builder](sent), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    assert row.message.body == answer
    assert row.message.author_type == AuthorType.CUSTOMER


def test_html_kept_for_display_is_sanitized():
    _, sent = open_ticket()

    row = ingest(corpus.gmail_html_only_reply(sent), route="pipe")

    html = row.message.body_html
    assert "<b>LJ-4000</b>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "onclick" not in html and "steal()" not in html


def test_the_attachments_of_a_reply_are_kept_on_its_message():
    ticket, sent = open_ticket()

    row = ingest(corpus.reply_with_attachment(sent), route="pipe")

    assert (row.outcome, row.message.body) == (Outcome.REPLY, "The screenshot and the log are attached.")
    assert attachments_of(ticket, row.message) == [
        ("screenshot.png", len(corpus.PNG), "image/png"),
        ("spooler.log.txt", len(b"12:00 spooler stopped\n"), "text/plain"),
    ]
    assert attachments_of(ticket) == []  # none on the ticket itself


def test_an_answer_to_an_agent_reply_is_cut_at_the_marker():
    ticket, _ = open_ticket()
    agent = AgentFactory()
    services.message_create(ticket=ticket, body="Does Friday at 3 pm suit you?", actor=agent_actor(agent))
    [reply] = [email for email in deliver() if email.to == [CUSTOMER]]
    sent = Sent.of(reply)
    assert sent.text.startswith("--- reply above this line ---")

    row = ingest(corpus.marker_reply(sent), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    assert row.message.body == "Friday at 3 pm suits me."


def test_a_reply_threads_by_its_subject_tag_only_from_the_customer():
    ticket, _ = open_ticket()

    row = ingest(corpus.subject_tag_reply(ticket.pk), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    assert row.message.body == "One more thing: the printer shows error E-52."


def test_a_subject_tag_from_a_stranger_opens_a_new_ticket():
    ticket, _ = open_ticket()

    row = ingest(corpus.subject_tag_reply(ticket.pk, sender="Mallory <mallory@example.net>"), route="pipe")

    assert row.outcome == Outcome.TICKET
    assert row.ticket != ticket
    assert (row.ticket.customer_email, row.ticket.follow_up_of) == ("mallory@example.net", None)
    assert not ticket.messages.exists()


def test_a_third_party_in_the_thread_becomes_an_internal_note():
    ticket, sent = open_ticket()

    row = ingest(corpus.third_party_reply(sent, ticket.pk), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.NOTE, ticket)
    assert row.reason == "from another sender than the customer (reply address)"
    note = row.message
    assert (note.internal, note.author_type, note.author_name) == (True, AuthorType.SYSTEM, "Bob Manager")
    assert note.email_from == "bob@example.org"
    assert note.body == "I am Anna's manager: please also replace the toner while you are there."
    ticket.refresh_from_db()
    assert (ticket.customer_email, ticket.customer_name, ticket.status) == (CUSTOMER, CUSTOMER_NAME, Status.NEW)
    assert deliver() == []


def test_a_reply_to_a_closed_ticket_opens_a_follow_up():
    ticket, sent = open_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, closed_at=timezone.now())

    row = ingest(corpus.gmail_reply(sent), route="pipe")

    assert row.outcome == Outcome.TICKET
    assert row.reason == f"follow-up of closed ticket #{ticket.pk}"
    follow_up = row.ticket
    assert (follow_up.follow_up_of, follow_up.customer_email) == (ticket, CUSTOMER)
    assert follow_up.description == corpus.GMAIL_ANSWER
    assert follow_up.subject == sent.reply_subject
    assert [email.to for email in deliver()] == [[CUSTOMER]]


def test_a_customer_reply_reopens_a_pending_ticket_and_tells_the_assignee():
    ticket, sent = open_ticket()
    agent = AgentFactory()
    ticket_assign(ticket=ticket, agent=agent, actor=agent_actor(agent))
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent_actor(agent))
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None
    deliver()
    Notification.objects.all().delete()

    row = ingest(corpus.gmail_reply(sent), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.sla_paused_at) == (Status.OPEN, None)
    told = Notification.objects.filter(user=agent.user, kind="ticket.customer_reply")
    assert {row.channel for row in told} == {"email", "dashboard"}
    assert [email.to for email in deliver()] == [[agent.email]]


# --- Recorded only: automatic mail, bounces, spam, our own mail ------------------------------

AUTOMATIC = [
    ("auto_submitted", Outcome.AUTOMATIC),
    ("x_autoreply", Outcome.AUTOMATIC),
    ("precedence_bulk", Outcome.AUTOMATIC),
    ("list_mail", Outcome.AUTOMATIC),
    ("empty_return_path", Outcome.AUTOMATIC),
    ("mailer_daemon", Outcome.BOUNCE),
    ("dsn_delayed", Outcome.AUTOMATIC),
    ("read_receipt", Outcome.AUTOMATIC),
]


@pytest.mark.parametrize(("builder", "outcome"), AUTOMATIC, ids=[row[0] for row in AUTOMATIC])
def test_automatic_mail_on_a_pending_ticket_changes_nothing(builder, outcome):
    ticket, sent = open_ticket()
    agent = AgentFactory()
    ticket_assign(ticket=ticket, agent=agent, actor=agent_actor(agent))
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent_actor(agent))
    deliver()
    ticket.refresh_from_db()
    paused_at, notifications = ticket.sla_paused_at, Notification.objects.count()

    row = ingest(corpus.MEMBERS[builder](sent), route="pipe")

    assert row.outcome == outcome
    assert row.message is None
    assert not row.acknowledged
    ticket.refresh_from_db()
    assert (ticket.status, ticket.sla_paused_at) == (Status.PENDING, paused_at)
    assert not ticket.messages.exists()
    assert Notification.objects.count() == notifications
    assert deliver() == []
    assert Ticket.objects.count() == 1
    assert not BouncedAddress.objects.exists()


@pytest.mark.parametrize("builder", ["auto_submitted", "x_autoreply", "precedence_bulk", "list_mail", "spam_flagged"])
def test_automatic_mail_out_of_the_blue_is_recorded_and_never_answered(builder):
    row = ingest(corpus.MEMBERS[builder](), route="pipe")

    assert row.outcome == Outcome.AUTOMATIC
    assert row.ticket is None
    assert not Ticket.objects.exists()
    assert deliver() == []


def test_spam_flagged_by_the_receiving_server_is_recorded_only():
    row = ingest(corpus.spam_flagged(), route="pipe")

    assert (row.outcome, row.reason) == (
        Outcome.AUTOMATIC,
        "marked as spam by the receiving server (X-Spam-Flag)",
    )
    assert row.subject == "You won a prize"


def test_mail_from_our_own_address_is_ignored():
    row = ingest(corpus.own_mail(), route="pipe")

    assert row.outcome == Outcome.OWN
    assert not Ticket.objects.exists()
    assert deliver() == []


def test_our_acknowledgement_coming_back_is_ignored():
    """A customer's address that forwards to the support address sends our email back."""
    ticket, _ = open_ticket()
    ack = mail.outbox[-1].message().as_bytes()

    row = ingest(ack, route="pipe")

    assert row.outcome == Outcome.OWN
    assert Ticket.objects.count() == 1
    assert not ticket.messages.exists()
    assert deliver() == []


def test_a_bounce_of_our_mail_flags_the_customer_address():
    ticket, sent = open_ticket()

    row = ingest(corpus.dsn_bounce(sent), route="pipe")

    assert row.outcome == Outcome.BOUNCE
    assert row.ticket == ticket  # linked to the ticket whose email bounced; no ticket opened
    assert Ticket.objects.count() == 1
    assert not ticket.messages.exists()
    bounced = BouncedAddress.objects.get()
    assert (bounced.email, bounced.bounces) == (CUSTOMER, 1)
    assert deliver() == []


def test_a_bounce_naming_no_recipient_flags_the_customer_of_the_returned_email():
    ticket, sent = open_ticket()

    row = ingest(corpus.bounce_returning_the_message(sent), route="pipe")

    assert (row.outcome, row.ticket) == (Outcome.BOUNCE, ticket)
    assert list(BouncedAddress.objects.values_list("email", flat=True)) == [CUSTOMER]
    assert Ticket.objects.count() == 1
    assert deliver() == []


def test_a_delay_notice_is_not_a_bounce():
    _, sent = open_ticket()

    row = ingest(corpus.dsn_delayed(sent), route="pipe")

    assert (row.outcome, row.reason) == (Outcome.AUTOMATIC, "delivery status notification (delayed)")
    assert not BouncedAddress.objects.exists()
    assert deliver() == []


def test_a_second_bounce_counts_on_the_same_address():
    _, sent = open_ticket()
    ingest(corpus.dsn_bounce(sent), route="pipe")
    second = corpus.dsn_bounce(sent).replace(b"<20261130101501.4F2A1@mx.example.org>", b"<second@mx.example.org>")

    ingest(second, route="pipe")

    assert BouncedAddress.objects.get(email=CUSTOMER).bounces == 2


# --- Refused, quarantined ------------------------------------------------------------------


def test_an_11_mb_attachment_is_refused_with_one_polite_answer():
    raw = corpus.attachment_11mb()

    row = ingest(raw, route="pipe")
    again = ingest(raw, route="pipe")

    assert again.pk == row.pk
    assert row.outcome == Outcome.REFUSED
    assert "contract-11mb.pdf is 11.0 MB; the limit is 10 MB" in row.reason
    assert not Ticket.objects.exists()
    [answer] = deliver()
    assert answer.to == [CUSTOMER]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == "<contract-11mb@mail.example.org>"
    assert "contract-11mb.pdf is 11.0 MB" in answer.body
    # Only its headers are kept.
    assert original_bytes(row).startswith(b"From: Anna Smith")
    assert len(original_bytes(row)) < 2000


def test_a_refused_email_with_8_bit_headers_is_recorded_and_answered_by_name(settings):
    settings.MAIL_MAX_BYTES = 200

    row = ingest(corpus.eight_bit_headers_cp1251(), route="pipe")

    assert row.outcome == Outcome.REFUSED
    assert (row.from_name, row.from_address, row.subject) == (
        f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>",
        RU_CUSTOMER,
        RU_SUBJECT,
    )
    assert row.email_id == "8bit-cp1251@mail.example.ru"
    [answer] = deliver()
    assert answer.to == [RU_CUSTOMER]
    assert RU_SUBJECT in answer.subject


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "X-Autogenerated: Reply",
        "Precedence: bulk",
        "List-Unsubscribe: <mailto:leave@lists.example.org>",
        "Return-Path: <>",
    ],
)
def test_a_refused_email_from_an_automatic_sender_is_recorded_and_never_answered(settings, headers):
    """The rules are classify's (one set, automatic_reason): a too-large auto-reply must not
    start two systems answering each other."""
    settings.MAIL_MAX_BYTES = 200
    raw = (
        f"From: Anna Smith <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Away\r\n{headers}\r\n"
        f"Message-ID: <away@mail.example.org>\r\n\r\n" + "I am away. " * 40
    ).encode()

    row = ingest(raw, route="pipe")

    assert row.outcome == Outcome.REFUSED
    assert not row.acknowledged
    assert deliver() == []


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "no-reply@shop.example.org"])
def test_a_refused_email_from_a_system_address_is_never_answered(settings, sender):
    settings.MAIL_MAX_BYTES = 200
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Notice\r\n"
        f"Message-ID: <notice@mx.example.org>\r\n\r\n" + "Undeliverable. " * 40
    ).encode()

    row = ingest(raw, route="pipe")

    assert row.outcome == Outcome.REFUSED and not row.acknowledged
    assert deliver() == []


@pytest.mark.parametrize("builder", ["five_thousand_parts", "five_thousand_bare_parts"])
def test_a_message_with_5000_parts_is_refused(builder):
    """Refused before it is parsed (test_parsing); how quickly is a figure of bench/mail.py."""
    raw = corpus.MEMBERS[builder]()

    row = ingest(raw, route="pipe")

    assert row.outcome == Outcome.REFUSED
    assert row.reason == "the email has more than 200 parts"
    assert not Ticket.objects.exists()


def test_an_email_without_a_sender_is_quarantined():
    row = ingest(corpus.empty_from(), route="pipe")

    assert (row.outcome, row.reason) == (Outcome.QUARANTINED, "no sender address (From) could be read")
    assert row.ticket is None
    assert not Ticket.objects.exists()
    assert deliver() == []


# --- Nothing twice, no storms --------------------------------------------------------------


def test_the_same_email_twice_is_one_message():
    ticket, sent = open_ticket()
    raw = corpus.gmail_reply(sent)

    first = ingest(raw, route="pipe")
    second = ingest(raw, route="imap")

    assert second.pk == first.pk
    assert ticket.messages.count() == 1
    assert InboundEmail.objects.filter(email_id="gmail-reply@mail.example.org").count() == 1


def test_the_same_email_through_another_relay_is_one_message():
    """Transport headers (Received, Delivered-To, Return-Path) do not make it another email."""
    raw = corpus.plain_request()
    relayed = (
        b"Return-Path: <anna@example.org>\r\nDelivered-To: support@example.com\r\n"
        b"Received: from mx.example.org by mail.example.com; Mon, 30 Nov 2026 10:15:02 +0300\r\n" + raw
    )

    first = ingest(raw, route="webhook")
    second = ingest(relayed, route="imap")

    assert second.pk == first.pk
    assert Ticket.objects.count() == 1


def test_two_emails_under_one_message_id_are_two_ledger_rows():
    first = ingest(corpus.same_id_other_content("The first email."), route="pipe")
    second = ingest(corpus.same_id_other_content("Another email, same id."), route="pipe")

    assert first.pk != second.pk
    assert first.email_id == second.email_id == "reused@mail.example.org"
    assert first.content_hash != second.content_hash
    assert InboundEmail.objects.count() == 2
    assert {first.ticket.description, second.ticket.description} == {"The first email.", "Another email, same id."}


def test_an_email_without_a_message_id_twice_is_one():
    raw = corpus.no_message_id()

    first = ingest(raw, route="pipe")
    second = ingest(raw, route="pipe")

    assert second.pk == first.pk
    assert first.email_id.startswith("derived.")
    assert Ticket.objects.count() == 1


def test_thirty_emails_in_a_minute_from_one_address_are_thirty_tickets_and_few_acknowledgements(settings):
    rows = [ingest(corpus.plain_request(subject=f"Problem {n}", name=f"storm-{n}"), route="pipe") for n in range(30)]

    assert [row.outcome for row in rows] == [Outcome.TICKET] * 30
    assert Ticket.objects.count() == 30
    acknowledged = [row for row in rows if row.acknowledged]
    assert len(acknowledged) == settings.MAIL_ACKS_PER_SENDER_PER_HOUR
    assert acknowledged == rows[: settings.MAIL_ACKS_PER_SENDER_PER_HOUR]
    sent = deliver()
    assert len(sent) == settings.MAIL_ACKS_PER_SENDER_PER_HOUR
    assert {email.to[0] for email in sent} == {CUSTOMER}


# --- The reply to a long Message-ID --------------------------------------------------------


def test_a_140_character_message_id_is_answered_as_written():
    raw = corpus.long_message_id_request(140)
    message_id = str(BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"])
    assert len(message_id.strip("<>")) == 140

    ingest(raw, route="pipe")
    [ack] = deliver()

    head = ack.message().as_bytes().split(b"\n\n", 1)[0]
    assert b"=?" not in head
    unfolded = head.replace(b"\r\n", b"\n").replace(b"\n ", b" ").replace(b"\n\t", b" ")
    lines = {line.split(b":", 1)[0].lower(): line.split(b":", 1)[1].strip() for line in unfolded.split(b"\n")}
    assert lines[b"in-reply-to"].decode() == message_id
    assert lines[b"references"].decode() == message_id
