"""A corpus of raw emails, written here, as the mail clients and mail systems people use send them.

Every builder returns the bytes of one email (RFC 5322). Most are built with the standard
library's EmailMessage; where the point is odd or malformed input (8-bit headers, a header
line without a colon, a lying charset label, 5,000 parts) the bytes are written by hand.

Replies are built from the email the helpdesk really sent (`Sent.of(...)`, read back from
django.core.mail.outbox): they answer its Message-ID, go to its Reply-To, and quote its text
the way each client quotes: Gmail ("On … wrote:" and `>`; div.gmail_quote in HTML), Outlook
(a "From: … Sent: … To: … Subject:" block, or "От: … Отправлено: … Кому: … Тема:"), Apple
Mail ("On …, at …, X wrote:", blockquote type=cite) and Thunderbird (div.moz-cite-prefix,
"… wrote:" / "… пишет:").

`MEMBERS` names every builder: the corpus the tests ingest (mail/tests/test_corpus.py).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import lru_cache

SUPPORT = "support@example.com"
CUSTOMER = "anna@example.org"
CUSTOMER_NAME = "Anna Smith"
RU_CUSTOMER = "ivan@example.ru"
RU_CUSTOMER_NAME = "Иван Петров"
DATE = "Mon, 30 Nov 2026 10:15:00 +0300"
MB = 1024 * 1024

MEMBERS: dict[str, Callable[..., bytes]] = {}


def member(builder: Callable[..., bytes]) -> Callable[..., bytes]:
    MEMBERS[builder.__name__] = builder
    return builder


def crlf(raw: bytes) -> bytes:
    """Line ends as they travel (IMAP and SMTP give CRLF)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _email(
    *,
    subject: str,
    text: str | None = None,
    sender: str = f"{CUSTOMER_NAME} <{CUSTOMER}>",
    to: str = SUPPORT,
    message_id: str | None = "<{name}@mail.example.org>",
    date: str = DATE,
    headers: dict[str, str] | None = None,
    name: str = "",
) -> EmailMessage:
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    if message_id:
        message["Message-ID"] = message_id.format(name=name or "m")
    for key, value in (headers or {}).items():
        message[key] = value
    if text is not None:
        message.set_content(text)
    return message


def _bytes(message: EmailMessage) -> bytes:
    return crlf(message.as_bytes())


# --- The email the helpdesk sent, as the customer's client reads it -----------------------


@dataclass(frozen=True)
class Sent:
    message_id: str  # with its angle brackets
    reply_to: str
    sender: str
    subject: str
    references: str
    text: str

    @classmethod
    def of(cls, outgoing) -> Sent:
        """One email of django.core.mail.outbox, read back from its bytes."""
        message = BytesParser(policy=policy.default).parsebytes(outgoing.message().as_bytes())
        body = message.get_body(("plain",))
        return cls(
            message_id=str(message["Message-ID"]),
            reply_to=str(message["Reply-To"]),
            sender=str(message["From"]),
            subject=str(message["Subject"]),
            references=" ".join(str(message.get("References", "")).split()),
            text=body.get_content() if body is not None else "",
        )

    @property
    def reply_subject(self) -> str:
        return f"Re: {self.subject}"

    @property
    def thread(self) -> dict[str, str]:
        """The headers of an answer to it, as every client here writes them."""
        return {
            "In-Reply-To": self.message_id,
            "References": f"{self.references} {self.message_id}".strip(),
        }


def _quoted(text: str, prefix: str = "> ") -> str:
    return "\n".join((prefix + line).rstrip() for line in text.strip().splitlines())


def _html_lines(text: str) -> str:
    return "<br>\n".join(html.escape(line) for line in text.strip().splitlines())


def _reply(
    sent: Sent,
    *,
    text: str | None,
    html_body: str | None = None,
    sender: str = f"{CUSTOMER_NAME} <{CUSTOMER}>",
    to: str | None = None,
    headers: dict[str, str] | None = None,
    name: str,
) -> bytes:
    message = _email(
        subject=sent.reply_subject,
        sender=sender,
        to=to or sent.reply_to,
        headers={**sent.thread, **(headers or {})},
        name=name,
    )
    if text is not None:
        message.set_content(text)
        if html_body is not None:
            message.add_alternative(html_body, subtype="html")
    else:
        message.set_content(html_body or "", subtype="html")
    return _bytes(message)


# --- Replies, client by client ------------------------------------------------------------

GMAIL_ANSWER = "Yes, the printer on the second floor is still offline after the restart."


@member
def gmail_reply(sent: Sent) -> bytes:
    """Gmail: text with the attribution wrapped before "wrote:" and `>` quotes; HTML with
    div.gmail_quote."""
    attribution = f"On Mon, 30 Nov 2026 at 10:15, Helpdesk <{sent.reply_to}>\nwrote:"
    text = f"{GMAIL_ANSWER}\n\n{attribution}\n\n{_quoted(sent.text)}\n"
    html_body = (
        f'<div dir="ltr">{html.escape(GMAIL_ANSWER)}</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"On Mon, 30 Nov 2026 at 10:15, Helpdesk &lt;{html.escape(sent.reply_to)}&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">'
        f"{_html_lines(sent.text)}</blockquote></div>"
    )
    return _reply(sent, text=text, html_body=html_body, name="gmail-reply")


GMAIL_HTML_ANSWER = "Here is a screenshot of the error, and the printer model is LJ-4000."


@member
def gmail_html_only_reply(sent: Sent) -> bytes:
    """Gmail in HTML only, with a script and an event handler that must not survive."""
    html_body = (
        '<div dir="ltr" onclick="steal()">Here is a screenshot of the error, and the printer model is '
        "<b>LJ-4000</b>.<script>alert(1)</script></div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"On Mon, 30 Nov 2026 at 10:15, Helpdesk &lt;{html.escape(sent.reply_to)}&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote">{_html_lines(sent.text)}</blockquote></div>'
    )
    return _reply(sent, text=None, html_body=html_body, name="gmail-html-reply")


RU_ANSWER = "Спасибо, после перезагрузки всё заработало."


@member
def gmail_reply_russian(sent: Sent) -> bytes:
    """Gmail in Russian: "пн, 30 нояб. 2026 г. в 10:15, Helpdesk <…>:", wrapped, with a signature."""
    attribution = f"пн, 30 нояб. 2026 г. в 10:15, Helpdesk <\n{sent.reply_to}>:"
    text = f"{RU_ANSWER}\n\nС уважением,\nИван\n\n{attribution}\n\n{_quoted(sent.text)}\n"
    return _reply(sent, text=text, sender=f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>", name="gmail-ru")


OUTLOOK_ANSWER = "The export works now, thank you.\nCould you also check the invoice numbering?"


@member
def outlook_reply(sent: Sent) -> bytes:
    """Outlook: no `>` quotes; a line of underscores and a From/Sent/To/Subject block."""
    block = (
        "________________________________\n"
        f"From: Helpdesk <{sent.reply_to}>\n"
        "Sent: Monday, November 30, 2026 10:15 AM\n"
        f"To: {CUSTOMER_NAME} <{CUSTOMER}>\n"
        f"Subject: {sent.subject}\n"
    )
    text = f"{OUTLOOK_ANSWER}\n\nBest regards,\nAnna\n\n{block}\n{sent.text.strip()}\n"
    html_body = (
        f"<div>{_html_lines(OUTLOOK_ANSWER)}</div><div>Best regards,<br>Anna</div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
        f"<b>From:</b> Helpdesk &lt;{html.escape(sent.reply_to)}&gt;<br><b>Sent:</b> Monday, November 30, 2026"
        f"<br><b>Subject:</b> {html.escape(sent.subject)}</div><div>{_html_lines(sent.text)}</div>"
    )
    return _reply(
        sent,
        text=text,
        html_body=html_body,
        name="outlook-reply",
        headers={"Thread-Index": "AQHXyZ1bQk9hYm1vZGVsAA==", "X-Mailer": "Microsoft Outlook 16.0"},
    )


@member
def outlook_reply_russian(sent: Sent) -> bytes:
    """Russian Outlook, answering the helpdesk's address (not the Reply-To) with In-Reply-To:
    an "От: … Отправлено: … Кому: … Тема:" block."""
    block = (
        "________________________________\n"
        f"От: Helpdesk <{SUPPORT}>\n"
        "Отправлено: 30 ноября 2026 г. 10:15\n"
        f"Кому: {RU_CUSTOMER_NAME} <{RU_CUSTOMER}>\n"
        f"Тема: {sent.subject}\n"
    )
    text = f"Добрый день!\nСчёт №42 так и не пришёл.\n\n{block}\n{sent.text.strip()}\n"
    return _reply(sent, text=text, sender=f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>", to=SUPPORT, name="outlook-ru")


APPLE_ANSWER = "Thanks, that did it. The scanner works again."


@member
def apple_mail_reply(sent: Sent) -> bytes:
    """Apple Mail: the attribution "On 30 Nov 2026, at 10:15, X wrote:" inside the quote, and
    blockquote type=cite in HTML; "Sent from my iPhone" under the answer."""
    attribution = f"On 30 Nov 2026, at 10:15, Helpdesk <{sent.reply_to}> wrote:"
    text = f"{APPLE_ANSWER}\n\nSent from my iPhone\n\n> {attribution}\n>\n{_quoted(sent.text)}\n"
    html_body = (
        f'<html><body dir="auto"><div dir="ltr">{html.escape(APPLE_ANSWER)}</div>'
        '<div dir="ltr"><br>Sent from my iPhone</div><div dir="ltr"><br>'
        f'<blockquote type="cite">On 30 Nov 2026, at 10:15, Helpdesk &lt;{html.escape(sent.reply_to)}&gt; wrote:'
        f'<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">{_html_lines(sent.text)}</div>'
        "</blockquote></body></html>"
    )
    return _reply(
        sent,
        text=text,
        html_body=html_body,
        name="apple-reply",
        headers={"X-Mailer": "iPhone Mail (22B83)"},
    )


@member
def apple_mail_reply_russian(sent: Sent) -> bytes:
    """Apple Mail in Russian: "30 нояб. 2026 г., в 10:15, X написал(а):" and "Отправлено с iPhone"."""
    attribution = f"30 нояб. 2026 г., в 10:15, Helpdesk <{sent.reply_to}> написал(а):"
    text = f"Да, проблема повторяется каждое утро.\n\nОтправлено с iPhone\n\n> {attribution}\n>\n{_quoted(sent.text)}\n"
    return _reply(sent, text=text, sender=f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>", name="apple-ru")


THUNDERBIRD_ANSWER = (
    "Here is the log you asked for. The error appears right after the nightly backup job starts and it "
    "stops when the job ends."
)


@member
def thunderbird_reply(sent: Sent) -> bytes:
    """Thunderbird: format=flowed text (soft line breaks end in a space) under "On …, X wrote:"."""
    flowed = (
        "Here is the log you asked for. The error appears right after the nightly \n"
        "backup job starts and it stops when the job ends.\n"
    )
    text = f"{flowed}\nOn 30.11.2026 10:15, Helpdesk wrote:\n{_quoted(sent.text, '>')}\n"
    message = _email(
        subject=sent.reply_subject,
        to=sent.reply_to,
        headers={**sent.thread, "User-Agent": "Mozilla Thunderbird"},
        name="thunderbird-reply",
    )
    message.set_content(text)
    message.replace_header("Content-Type", 'text/plain; charset="utf-8"; format=flowed')
    return _bytes(message)


@member
def thunderbird_reply_russian(sent: Sent) -> bytes:
    """Russian Thunderbird in HTML: div.moz-cite-prefix "… пишет:" and blockquote type=cite;
    its text part quotes under "30.11.2026 10:15, Helpdesk пишет:"."""
    answer = "Добрый день! Прикладываю журнал ошибок."
    text = f"{answer}\n\n30.11.2026 10:15, Helpdesk пишет:\n{_quoted(sent.text, '>')}\n"
    html_body = (
        f"<html><body><p>{html.escape(answer)}</p>"
        '<div class="moz-cite-prefix">30.11.2026 10:15, Helpdesk пишет:<br></div>'
        f'<blockquote type="cite" cite="mid:{html.escape(sent.message_id.strip("<>"))}">'
        f"{_html_lines(sent.text)}</blockquote></body></html>"
    )
    return _reply(
        sent,
        text=text,
        html_body=html_body,
        sender=f"{RU_CUSTOMER_NAME} <{RU_CUSTOMER}>",
        name="thunderbird-ru",
        headers={"User-Agent": "Mozilla Thunderbird"},
    )


@member
def reply_with_attachment(sent: Sent) -> bytes:
    """A Gmail reply carrying a screenshot and a log file."""
    attribution = "On Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:"
    text = f"The screenshot and the log are attached.\n\n{attribution}\n{_quoted(sent.text)}\n"
    message = _email(subject=sent.reply_subject, text=text, to=sent.reply_to, headers=sent.thread, name="reply-files")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    message.add_attachment(b"12:00 spooler stopped\n", maintype="text", subtype="plain", filename="spooler.log.txt")
    return _bytes(message)


@member
def marker_reply(sent: Sent, *, answer: str = "Friday at 3 pm suits me.") -> bytes:
    """An answer over an agent's reply: everything under the "reply above this line" marker goes."""
    text = f"{answer}\n\nOn Tue, 1 Dec 2026 at 09:00, Helpdesk <{sent.reply_to}> wrote:\n{_quoted(sent.text)}\n"
    return _reply(sent, text=text, name="marker-reply")


@member
def subject_tag_reply(ticket_id: int, *, sender: str = f"{CUSTOMER_NAME} <{CUSTOMER}>") -> bytes:
    """A new email (no threading headers) naming the ticket in its subject only."""
    message = _email(
        subject=f"Re: [#{ticket_id}] Printer offline",
        text="One more thing: the printer shows error E-52.",
        sender=sender,
        name=f"tag-{ticket_id}-{sender.split('<')[-1].split('@')[0]}",
    )
    return _bytes(message)


@member
def third_party_reply(sent: Sent, ticket_id: int) -> bytes:
    """A colleague of the customer answers in the thread, with In-Reply-To and [#id]."""
    message = _email(
        subject=f"Re: [#{ticket_id}] Printer offline",
        text="I am Anna's manager: please also replace the toner while you are there.",
        sender="Bob Manager <bob@example.org>",
        to=sent.reply_to,
        headers=sent.thread,
        name="third-party",
    )
    return _bytes(message)


# --- New requests, whatever they are written in -------------------------------------------


@member
def plain_request(*, subject: str = "Printer offline", name: str = "plain-request", sender: str = "") -> bytes:
    message = _email(
        subject=subject,
        text="Hello,\n\nthe printer on the second floor has been offline since this morning.\n\nAnna\n",
        sender=sender or f"{CUSTOMER_NAME} <{CUSTOMER}>",
        name=name,
    )
    return _bytes(message)


RU_TEXT = "Привет! Не работает принтер на втором этаже."


def _cyrillic_raw(charset_label: str, body: bytes, *, transfer: str = "8bit", name: str) -> bytes:
    headers = (
        f"From: =?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <{RU_CUSTOMER}>\n"
        f"To: {SUPPORT}\n"
        f"Subject: {name}\n"
        f"Date: {DATE}\n"
        f"Message-ID: <{name}@mail.example.ru>\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={charset_label}\n"
        f"Content-Transfer-Encoding: {transfer}\n\n"
    ).encode("ascii")
    return crlf(headers + body + b"\n")


@member
def koi8r_body() -> bytes:
    return _cyrillic_raw("koi8-r", RU_TEXT.encode("koi8-r"), name="koi8r-body")


@member
def cp1251_body() -> bytes:
    return _cyrillic_raw("windows-1251", RU_TEXT.encode("cp1251"), name="cp1251-body")


@member
def koi8r_label_over_utf8() -> bytes:
    """A KOI8-R label on UTF-8 bytes (a misconfigured client)."""
    return _cyrillic_raw("koi8-r", RU_TEXT.encode("utf-8"), name="koi8r-label-utf8")


@member
def x_user_defined_over_cp1251() -> bytes:
    """`x-user-defined` (no such charset) over windows-1251 bytes, base64 encoded."""
    import base64

    return _cyrillic_raw(
        "x-user-defined", base64.encodebytes(RU_TEXT.encode("cp1251")), transfer="base64", name="x-user-defined"
    )


@member
def iso8859_quoted_printable() -> bytes:
    """ISO-8859-2, quoted-printable (a Polish customer)."""
    import quopri

    body = quopri.encodestring("Dzień dobry, drukarka nie działa. Proszę o pomoc.".encode("iso-8859-2"))
    raw = (
        "From: Zofia Nowak <zofia@example.pl>\n"
        f"To: {SUPPORT}\nSubject: Drukarka\nDate: {DATE}\nMessage-ID: <iso8859-qp@example.pl>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-2\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    ).encode("ascii") + body
    return crlf(raw)


RU_SUBJECT = "Не печатает принтер"


@member
def rfc2047_subject_utf8_b() -> bytes:
    raw = (
        f"From: {CUSTOMER}\nTo: {SUPPORT}\nSubject: =?UTF-8?B?0J3QtSDQv9C10YfQsNGC0LDQtdGCINC/?=\n"
        " =?UTF-8?B?0YDQuNC90YLQtdGA?=\n"
        f"Date: {DATE}\nMessage-ID: <rfc2047-b@mail.example.org>\n\nSee the subject.\n"
    )
    return crlf(raw.encode("ascii"))


@member
def rfc2047_subject_utf8_q() -> bytes:
    raw = (
        f"From: {CUSTOMER}\nTo: {SUPPORT}\n"
        "Subject: =?utf-8?Q?=D0=9D=D0=B5_=D0=BF=D0=B5=D1=87=D0=B0=D1=82=D0=B0=D0=B5=D1=82?=\n"
        " =?utf-8?Q?_=D0=BF=D1=80=D0=B8=D0=BD=D1=82=D0=B5=D1=80?=\n"
        f"Date: {DATE}\nMessage-ID: <rfc2047-q@mail.example.org>\n\nSee the subject.\n"
    )
    return crlf(raw.encode("ascii"))


@member
def rfc2047_subject_cp1251() -> bytes:
    import base64

    word = base64.b64encode(RU_SUBJECT.encode("cp1251")).decode("ascii")
    raw = (
        f"From: {CUSTOMER}\nTo: {SUPPORT}\nSubject: =?windows-1251?B?{word}?=\n"
        f"Date: {DATE}\nMessage-ID: <rfc2047-cp1251@mail.example.org>\n\nSee the subject.\n"
    )
    return crlf(raw.encode("ascii"))


HTML_ONLY = (
    "<html><head><style>p{color:red}</style><script>document.cookie</script></head>"
    '<body onload="steal()"><p>The <b>VPN</b> drops every 10 minutes.</p>'
    '<p><a href="javascript:alert(1)" onclick="x()">details</a></p>'
    "<ul><li>Windows 11</li><li>Client 5.2</li></ul></body></html>"
)


@member
def html_only() -> bytes:
    message = _email(subject="VPN drops", name="html-only")
    message.set_content(HTML_ONLY, subtype="html")
    return _bytes(message)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@member
def related_inline_images() -> bytes:
    """multipart/alternative → multipart/related (HTML + two inline images by cid)."""
    message = _email(subject="Error on the login page", name="related")
    message.set_content("The login page shows this error (screenshot inline).")
    message.add_alternative(
        '<p>The login page shows this error:</p><img src="cid:shot@example.org"><img src="cid:logo@example.org">',
        subtype="html",
    )
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<shot@example.org>", filename="screenshot.png")
    html_part.add_related(PNG * 2, "image", "png", cid="<logo@example.org>")  # no file name
    return _bytes(message)


FORWARD_INNER = (
    "---------- Forwarded message ---------\n"
    "From: Billing <billing@vendor.example>\n"
    "Date: Fri, 4 Dec 2026 at 18:02\n"
    "Subject: Invoice 2026-118\n"
    f"To: <{CUSTOMER}>\n"
    "\n"
    "Dear customer,\n"
    "> your invoice 2026-118 of 320.00 EUR is overdue.\n"
    "\n"
    "Best regards,\n"
    "Billing\n"
)


@member
def forwarded_text() -> bytes:
    """Gmail's inline forward: what is under the forward line is the point, kept whole."""
    message = _email(
        subject="Fwd: Invoice 2026-118",
        text=f"Is this invoice ours? We paid it last week.\n\n{FORWARD_INNER}",
        name="forward",
    )
    return _bytes(message)


@member
def forwarded_as_attachment() -> bytes:
    """Outlook's "Forward as attachment": the forwarded email is a message/rfc822 part with an
    attachment of its own."""
    inner = _email(
        subject="Invoice 2026-118",
        text="Dear customer,\nyour invoice 2026-118 is overdue.",
        sender="Billing <billing@vendor.example>",
        to=CUSTOMER,
        date="Fri, 04 Dec 2026 18:02:00 +0000",
        message_id="<invoice-2026-118@vendor.example>",
    )
    inner.add_attachment(_pdf(3000), maintype="application", subtype="pdf", filename="invoice-2026-118.pdf")
    message = _email(subject="FW: Invoice 2026-118", text="Is this invoice ours?", name="forward-attached")
    message.add_attachment(inner)
    return _bytes(message)


# --- Automatic mail ------------------------------------------------------------------------


def _automatic(name: str, headers: dict[str, str], *, sender: str, thread: Sent | None = None) -> bytes:
    message = _email(
        subject=f"Automatic reply: {thread.subject}" if thread else "Automatic reply",
        text="I am out of the office until Monday and will read your email then.",
        sender=sender,
        to=thread.reply_to if thread else SUPPORT,
        headers={**(thread.thread if thread else {}), **headers},
        name=name,
    )
    return _bytes(message)


@member
def auto_submitted(thread: Sent | None = None) -> bytes:
    return _automatic("auto-submitted", {"Auto-Submitted": "auto-replied"}, sender=CUSTOMER, thread=thread)


@member
def x_autoreply(thread: Sent | None = None) -> bytes:
    return _automatic("x-autoreply", {"X-Autoreply": "yes"}, sender=CUSTOMER, thread=thread)


@member
def precedence_bulk(thread: Sent | None = None) -> bytes:
    return _automatic("bulk", {"Precedence": "bulk"}, sender="news@shop.example", thread=thread)


@member
def list_mail(thread: Sent | None = None) -> bytes:
    return _automatic(
        "list", {"List-Id": "Users <users.lists.example.org>"}, sender="someone@lists.example.org", thread=thread
    )


@member
def empty_return_path(thread: Sent | None = None) -> bytes:
    return _automatic("empty-return-path", {"Return-Path": "<>"}, sender=CUSTOMER, thread=thread)


@member
def mailer_daemon(thread: Sent | None = None) -> bytes:
    """A plain-text notice from MAILER-DAEMON (no delivery-status report in it)."""
    return _automatic(
        "mailer-daemon", {}, sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>", thread=thread
    )


@member
def spam_flagged() -> bytes:
    message = _email(
        subject="You won a prize",
        text="Claim your prize now!",
        sender="winner@prizes.example",
        headers={"X-Spam-Flag": "YES", "X-Spam-Status": "Yes, score=12.3"},
        name="spam",
    )
    return _bytes(message)


@member
def own_mail() -> bytes:
    """Mail from the support address itself (a loop through a forwarding rule)."""
    message = _email(subject="Your request", text="We received your request.", sender=f"Helpdesk <{SUPPORT}>")
    return _bytes(message)


@member
def dsn_bounce(returned: Sent, recipient: str = CUSTOMER) -> bytes:
    """Postfix's delivery status notification (RFC 3464), with our email's headers returned."""
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
        f"To: {SUPPORT}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {DATE}\n"
        "Message-ID: <20261130101501.4F2A1@mx.example.org>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="4F2A1.1765091701/mx.example.org"\n'
        "\n"
        "This is a MIME-encapsulated message.\n"
        "\n"
        "--4F2A1.1765091701/mx.example.org\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "This is the mail system at host mx.example.org.\n"
        "\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n"
        "\n"
        f"<{recipient}>: host mx.example.org said: 550 5.1.1 User unknown\n"
        "\n"
        "--4F2A1.1765091701/mx.example.org\n"
        "Content-Description: Delivery report\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.example.org\n"
        "X-Postfix-Queue-ID: 4F2A1\n"
        f"Arrival-Date: {DATE}\n"
        "\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
        "\n"
        "--4F2A1.1765091701/mx.example.org\n"
        "Content-Description: Undelivered Message Headers\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        f"From: {returned.sender}\n"
        f"To: {recipient}\n"
        f"Subject: {returned.subject}\n"
        f"Message-ID: {returned.message_id}\n"
        "\n"
        "--4F2A1.1765091701/mx.example.org--\n"
    )
    return crlf(raw.encode("utf-8"))


@member
def bounce_returning_the_message(returned: Sent) -> bytes:
    """A qmail-style bounce: no delivery-status report, our whole email returned (message/rfc822)
    and no recipient named in a form to read: the address is that of the ticket's customer."""
    inner = (
        f"From: {returned.sender}\nTo: someone@example.net\nSubject: {returned.subject}\n"
        f"Message-ID: {returned.message_id}\n\n{returned.text}\n"
    )
    raw = (
        "From: MAILER-DAEMON@mail.example.net\n"
        f"To: {SUPPORT}\n"
        "Subject: failure notice\n"
        f"Date: {DATE}\n"
        "Message-ID: <bounce-qmail@mail.example.net>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n'
        "\n--b\nContent-Type: text/plain\n\nHi. This is the qmail-send program. I'm afraid I wasn't able to "
        "deliver your message.\n"
        "\n--b\nContent-Type: message/rfc822\n\n" + inner + "\n--b--\n"
    )
    return crlf(raw.encode("utf-8"))


@member
def dsn_delayed(returned: Sent) -> bytes:
    """A delivery status notification that says "delayed, still trying": not a bounce."""
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
        f"To: {SUPPORT}\n"
        "Subject: Delayed Mail (still being retried)\n"
        f"Date: {DATE}\n"
        "Message-ID: <delayed@mx.example.org>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="d"\n'
        "\n--d\nContent-Type: text/plain\n\nYour message could not be delivered for 4 hours. It will be retried.\n"
        "\n--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {CUSTOMER}\nAction: delayed\nStatus: 4.4.1\n"
        "\n--d\nContent-Type: text/rfc822-headers\n\n"
        f"Message-ID: {returned.message_id}\nSubject: {returned.subject}\n"
        "\n--d--\n"
    )
    return crlf(raw.encode("utf-8"))


@member
def read_receipt(sent: Sent) -> bytes:
    """A read receipt (RFC 8098 disposition notification), sent by the customer's client."""
    raw = (
        f"From: {CUSTOMER_NAME} <{CUSTOMER}>\n"
        f"To: {sent.reply_to}\n"
        f"Subject: Read: {sent.subject}\n"
        f"Date: {DATE}\n"
        "Message-ID: <mdn@mail.example.org>\n"
        f"In-Reply-To: {sent.message_id}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"\n'
        "\n--r\nContent-Type: text/plain\n\nYour message was read on Monday.\n"
        "\n--r\nContent-Type: message/disposition-notification\n\n"
        f"Final-Recipient: rfc822; {CUSTOMER}\nOriginal-Message-ID: {sent.message_id}\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n"
        "\n--r--\n"
    )
    return crlf(raw.encode("utf-8"))


# --- Sizes and limits ----------------------------------------------------------------------


def _pdf(size: int) -> bytes:
    header = b"%PDF-1.4\n"
    block = bytes(range(256))
    return (header + block * (size // 256 + 1))[:size]


def _with_pdf(size: int, name: str) -> bytes:
    message = _email(subject=f"Scan {name}", text="The scanned contract is attached.", name=name)
    message.add_attachment(_pdf(size), maintype="application", subtype="pdf", filename=f"{name}.pdf")
    return _bytes(message)


@member
@lru_cache(maxsize=1)
def attachment_9mb() -> bytes:
    return _with_pdf(9 * MB, "contract-9mb")


@member
@lru_cache(maxsize=1)
def attachment_11mb() -> bytes:
    return _with_pdf(11 * MB, "contract-11mb")


@member
def attachments_mixed() -> bytes:
    """A PDF and a CSV kept; an executable refused by the upload rules (named in the text)."""
    message = _email(subject="Files", text="The files you asked for.", name="mixed")
    message.add_attachment(_pdf(20_000), maintype="application", subtype="pdf", filename="report.pdf")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="setup.exe")
    return _bytes(message)


def _many_parts(count: int, *, part_headers: bool) -> bytes:
    head = (
        f"From: {CUSTOMER}\nTo: {SUPPORT}\nSubject: Many parts\nDate: {DATE}\n"
        f"Message-ID: <many-{count}-{int(part_headers)}@mail.example.org>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="xx"\n\n'
    )
    part = "--xx\nContent-Type: text/plain\n\npart\n" if part_headers else "--xx\n\npart\n"
    return crlf((head + part * count + "--xx--\n").encode("ascii"))


@member
@lru_cache(maxsize=1)
def five_thousand_parts() -> bytes:
    return _many_parts(5000, part_headers=True)


@member
@lru_cache(maxsize=1)
def five_thousand_bare_parts() -> bytes:
    """5,000 parts with no headers of their own: only the boundaries tell how many."""
    return _many_parts(5000, part_headers=False)


# --- Malformed headers ---------------------------------------------------------------------


@member
def bad_date() -> bytes:
    raw = (
        f"From: {CUSTOMER_NAME} <{CUSTOMER}>\nTo: {SUPPORT}\nSubject: Bad date\n"
        "Date: yesterday at noon-ish\nMessage-ID: <bad-date@mail.example.org>\n\nThe date above is not a date.\n"
    )
    return crlf(raw.encode("ascii"))


@member
def empty_from() -> bytes:
    raw = f"From: \nTo: {SUPPORT}\nSubject: Who am I\nDate: {DATE}\nMessage-ID: <empty-from@x.example>\n\nNobody.\n"
    return crlf(raw.encode("ascii"))


@member
def eight_bit_headers_utf8() -> bytes:
    """A From and Subject in raw UTF-8, not RFC 2047-encoded (a broken client)."""
    raw = (
        f"From: {RU_CUSTOMER_NAME} <{RU_CUSTOMER}>\nTo: {SUPPORT}\nSubject: {RU_SUBJECT}\nDate: {DATE}\n"
        "Message-ID: <8bit-utf8@mail.example.ru>\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{RU_TEXT}\n"
    )
    return crlf(raw.encode("utf-8"))


@member
def eight_bit_headers_cp1251() -> bytes:
    """A From and Subject in raw windows-1251 bytes, the body labelled windows-1251."""
    raw = (
        f"From: {RU_CUSTOMER_NAME} <{RU_CUSTOMER}>\nTo: {SUPPORT}\nSubject: {RU_SUBJECT}\nDate: {DATE}\n"
        "Message-ID: <8bit-cp1251@mail.example.ru>\nContent-Type: text/plain; charset=windows-1251\n\n"
        f"{RU_TEXT}\n"
    )
    return crlf(raw.encode("cp1251"))


@member
def header_without_colon() -> bytes:
    """A line in the header block with no colon, before Subject: the headers after it count."""
    raw = (
        f"From: {CUSTOMER_NAME} <{CUSTOMER}>\n"
        "X-Mangled this line lost its colon\n"
        f"Subject: Broken header above\nTo: {SUPPORT}\nDate: {DATE}\n"
        "Message-ID: <no-colon@mail.example.org>\n\nThe body is fine.\n"
    )
    return crlf(raw.encode("ascii"))


@member
def mbox_from_line() -> bytes:
    """An mbox "From " separator line left on top (a Maildir file cut from an mbox)."""
    raw = (
        f"From {CUSTOMER} Mon Nov 30 10:15:00 2026\n"
        f"From: {CUSTOMER_NAME} <{CUSTOMER}>\nTo: {SUPPORT}\nSubject: From an mbox\nDate: {DATE}\n"
        "Message-ID: <mbox@mail.example.org>\n\nCut from an mbox file.\n"
    )
    return crlf(raw.encode("ascii"))


@member
def long_message_id_request(length: int = 140) -> bytes:
    """A request whose Message-ID is `length` characters long (legal; some systems do this)."""
    local = ("x" * length)[: length - len("@mail.example.org")]
    return _bytes(
        _email(subject="Long id", text="My client makes very long ids.", message_id=f"<{local}@mail.example.org>")
    )


@member
def no_message_id() -> bytes:
    return _bytes(_email(subject="No id", text="My client sends no Message-ID.", message_id=None))


@member
def same_id_other_content(text: str) -> bytes:
    """Two different emails under one Message-ID (a broken client reusing ids)."""
    return _bytes(_email(subject="Reused id", text=text, message_id="<reused@mail.example.org>"))
