"""mail.replies.latest_reply: the answer a person wrote, without the history quoted under it
or the signature, in English and Russian, and nothing of the answer lost."""

from __future__ import annotations

import pytest

from mail.replies import latest_reply
from tickets.threading import REPLY_MARKER

QUOTE = "> Hello Anna,\n>\n> we received your request.\n>\n> — Helpdesk\n"

HEADERS = [
    # English
    ("On Mon, 30 Nov 2026 at 10:15, Helpdesk <support@example.com> wrote:", "gmail"),
    ("On Mon, 30 Nov 2026 at 10:15 AM Helpdesk <support+t1-0123456789abcdef@example.com>\nwrote:", "gmail wrapped"),
    ("> On 30 Nov 2026, at 10:15, Helpdesk <support@example.com> wrote:\n>", "apple mail"),
    ("On 30.11.2026 10:15, Helpdesk wrote:", "thunderbird"),
    (
        "________________________________\nFrom: Helpdesk <support@example.com>\nSent: Monday, November 30, 2026 "
        "10:15 AM\nTo: Anna Smith <anna@example.org>\nSubject: [#1] We received your request",
        "outlook",
    ),
    (
        "-----Original Message-----\nFrom: Helpdesk [mailto:support@example.com]\nSent: Monday, November 30, 2026"
        "\nTo: Anna\nSubject: RE: [#1]",
        "outlook original message",
    ),
    # Russian
    ("пн, 30 нояб. 2026 г. в 10:15, Helpdesk <support@example.com>:", "gmail ru"),
    ("пн, 30 нояб. 2026 г. в 10:15, Helpdesk <\nsupport+t1-0123456789abcdef@example.com>:", "gmail ru wrapped"),
    ("30.11.2026 10:15, Helpdesk пишет:", "thunderbird ru"),
    ("> 30 нояб. 2026 г., в 10:15, Helpdesk <support@example.com> написал(а):\n>", "apple mail ru"),
    (
        "________________________________\nОт: Helpdesk <support@example.com>\nОтправлено: 30 ноября 2026 г. 10:15"
        "\nКому: Иван Петров <ivan@example.ru>\nТема: [#1] Заявка получена",
        "outlook ru",
    ),
    (
        "-----Исходное сообщение-----\nОт: Helpdesk [mailto:support@example.com]\nОтправлено: 30 ноября 2026 г."
        "\nКому: Иван\nТема: RE: [#1]",
        "outlook ru original message",
    ),
]


@pytest.mark.parametrize("answer", ["The printer works again.", "Принтер снова работает."])
@pytest.mark.parametrize("header", [header for header, _ in HEADERS], ids=[name for _, name in HEADERS])
def test_the_quote_header_ends_the_answer(header, answer):
    text = f"{answer}\n\n{header}\n\n{QUOTE}"

    assert latest_reply(text) == answer


@pytest.mark.parametrize(
    ("signature", "kept"),
    [
        ("Best regards,\nAnna Smith\nACME Ltd.\n+1 555 0100", ""),
        ("Kind regards\nAnna", ""),
        ("Thanks,\nAnna", ""),
        ("Thanks, Anna", ""),
        ("С уважением,\nИван Петров\nООО «Ромашка»", ""),
        ("Спасибо!\nИван", ""),
        ("Отправлено с iPhone", ""),
        ("Sent from my iPhone", ""),
        ("Get Outlook for Android", ""),
        ("-- \nAnna Smith | ACME Ltd.\nhttps://acme.example", ""),
        ("Best regards,\nAnna\n\nSent from my iPhone", ""),
    ],
)
def test_a_signature_under_the_answer_goes(signature, kept):
    text = f"The export fails with error 500.\n\n{signature}\n\nOn Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n{QUOTE}"

    assert latest_reply(text) == "The export fails with error 500." + kept


def test_the_marker_of_our_email_ends_the_answer_whatever_the_client_quoted():
    text = (
        "Friday suits me.\n\nС уважением,\nИван\n\n"
        "Le mar. 1 déc. 2026 à 09:00, Helpdesk <support@example.com> a écrit :\n"
        f"> {REPLY_MARKER}\n>\n> Agent Smith replied to your request #1:\n> Does Friday suit you?\n"
    )

    assert latest_reply(text) == "Friday suits me."


def test_the_marker_takes_the_quote_header_above_it_in_any_language():
    text = (
        "Friday suits me.\n\n"
        "Le mar. 1 déc. 2026 à 09:00, Helpdesk <support@example.com> a écrit :\n"
        f"> {REPLY_MARKER}\n>\n> Agent Smith replied to your request #1:\n> Does Friday suit you?\n"
    )

    assert latest_reply(text) == "Friday suits me."


def test_the_marker_alone_on_a_line_of_an_unquoted_copy():
    text = f"Yes please.\n\n{REPLY_MARKER}\n\nAgent Smith replied to your request #1:\nShall we call you?\n"

    assert latest_reply(text) == "Yes please."


def test_a_trailing_quote_in_another_language_goes_with_its_header_line():
    text = "Fixed, thanks!\n\nLe lun. 30 nov. 2026 à 10:15, Helpdesk <support@example.com> a écrit :\n" + QUOTE

    assert latest_reply(text) == "Fixed, thanks!"


def test_nothing_of_the_answer_is_taken_for_a_signature():
    answer = (
        "Hello,\n\nthe steps I tried:\n- restart the printer\n- reinstall the driver\n\n"
        "Thanks, but it still fails. The log says:\n"
        "    at Spooler.print (spooler.js:10)\n"
        "    at main (index.js:3)\n\n"
        "Best regards from all of us at the second floor, we really need it by Friday because the audit starts "
        "on Monday.\nAnna"
    )
    text = f"{answer}\n\nOn Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n{QUOTE}"

    assert latest_reply(text) == answer


def test_a_sign_off_that_is_the_whole_answer_stays():
    assert latest_reply("Thank you!\n\nOn Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n" + QUOTE) == "Thank you!"
    assert latest_reply("Sent from my iPhone") == "Sent from my iPhone"


def test_a_forward_is_kept_whole():
    forward = (
        "Please look at this.\n\n---------- Forwarded message ---------\nFrom: Billing <billing@vendor.example>\n"
        "Date: Fri, 4 Dec 2026 at 18:02\nSubject: Invoice\nTo: anna@example.org\n\nYour invoice is overdue.\n\n"
        "Best regards,\nBilling"
    )

    assert latest_reply(forward) == forward.strip()


def test_an_outlook_forward_is_known_by_its_subject():
    forward = (
        "See below.\n\n________________________________\nFrom: Billing <billing@vendor.example>\n"
        "Sent: Friday, December 4, 2026 6:02 PM\nTo: Anna\nSubject: Invoice\n\nYour invoice is overdue."
    )

    assert latest_reply(forward, subject="FW: Invoice") == forward
    assert latest_reply(forward, subject="Пересл: Invoice") == forward
    assert latest_reply(forward, subject="Re: Invoice") == "See below."


def test_a_quote_in_a_reply_to_an_earlier_forward_is_still_cut():
    text = (
        "Paid now.\n\nOn Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n"
        "> ---------- Forwarded message ---------\n> From: Billing\n> Your invoice is overdue.\n"
    )

    assert latest_reply(text) == "Paid now."


def test_an_answer_under_the_quote_is_kept_whole():
    """Bottom-posting: nothing above the quote, so nothing is cut."""
    text = f"On Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n{QUOTE}\nIt works now."

    assert latest_reply(text) == text.strip()


def test_text_with_no_quote_is_kept_as_written():
    text = "Line one\r\n    indented line\r\nLine three\r\n"

    assert latest_reply(text) == "Line one\n    indented line\nLine three"


def test_odd_input_is_never_lost():
    for text in ["", ">", "> > >", "\n\n\n", "От:\nКому:", "wrote:" * 1000]:
        assert latest_reply(text) == text.strip()


def test_a_crafted_long_line_is_kept_and_the_quote_under_it_still_cut():
    """The library's "On … wrote:" pattern takes time growing with the square of a line's
    length: lines longer than any header are never given to it (its cost is a figure of
    bench/mail.py, not a timed test)."""
    text = "answer\nOn " + "a " * 100_000 + "\n\nOn Mon, 30 Nov 2026 at 10:15, Helpdesk wrote:\n" + QUOTE

    assert latest_reply(text) == "answer\nOn " + ("a " * 100_000).strip()
