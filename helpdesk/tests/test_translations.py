"""Russian and English (issue 21): the catalog, who reads which language, and every email to a
customer in their ticket's language."""

from __future__ import annotations

import importlib.util
from datetime import UTC
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from agents.tests.factories import AgentFactory
from conftest import BASE_DIR, api_client_for
from notifications.models import Channel, Notification
from tickets.languages import customer_language, of_text, supported
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

CATALOG = BASE_DIR / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def _messages_script():
    spec = importlib.util.spec_from_file_location("messages_script", BASE_DIR / "scripts" / "messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- The catalog -----------------------------------------------------------------------


def test_every_entry_is_translated_with_russian_plurals_and_the_compiled_catalog_is_current():
    """What make messages-check checks, but the extraction (which needs GNU gettext)."""
    catalog = polib.pofile(str(CATALOG))
    script = _messages_script()

    assert len(catalog) > 500
    assert [e.msgid for e in catalog if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)] == []
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=3;")
    assert all(len(e.msgstr_plural) == 3 for e in catalog if e.msgid_plural)
    assert Path(CATALOG.with_suffix(".mo")).read_bytes() == script._compiled("ru")


def test_russian_plurals_follow_the_number():
    with translation.override("ru"):
        words = [
            translation.ngettext("%(counter)s ticket", "%(counter)s tickets", n) % {"counter": n} for n in (1, 2, 5, 21)
        ]
    assert words == ["1 заявка", "2 заявки", "5 заявок", "21 заявка"]


# --- Pages -----------------------------------------------------------------------------


def test_the_portal_follows_the_browser_and_the_switcher_remembers_the_choice():
    english = Client().get("/portal/tickets/new")
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").get("/portal/tickets/new")

    assert english["Content-Language"] == "en" and '<html lang="en">' in english.content.decode()
    assert russian["Content-Language"] == "ru" and '<html lang="ru">' in russian.content.decode()
    assert "Отправить обращение" in russian.content.decode()

    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    switched = visitor.post("/i18n/setlang/", {"language": "ru", "next": "/kb/"})
    cookie = switched.cookies["django_language"]
    assert switched.status_code == 302 and switched["Location"] == "/kb/"
    assert cookie.value == "ru" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert visitor.get("/kb/")["Content-Language"] == "ru"


def test_an_agent_reads_the_workspace_in_their_profile_language_whatever_the_browser(agent):
    agent.language = "ru"
    agent.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent.user)

    page = client.get("/agent/")

    assert page["Content-Language"] == "ru"
    assert "Очередь" in page.content.decode()


def test_the_workspace_switcher_sets_the_profile_and_refuses_an_unknown_language(agent):
    client = Client()
    client.force_login(agent.user)

    refused = client.post("/agent/language", {"language": "de", "next": "/agent/"})
    chosen = client.post("/agent/language", {"language": "ru", "next": "/agent/tickets?x=1"})

    assert refused.status_code == 400 and "language: choose one of en, ru" in refused.content.decode()
    assert chosen.status_code == 302 and chosen["Location"] == "/agent/tickets?x=1"
    agent.refresh_from_db()
    assert agent.language == "ru"
    assert client.post("/agent/language", {"language": "en", "next": "https://evil.example/"})["Location"] == "/"


def test_api_errors_follow_accept_language_and_the_schema_stays_english(agent_api):
    russian = agent_api.post("/api/support/tickets", {}, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    english = agent_api.post("/api/support/tickets", {}, format="json")
    schema = agent_api.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="ru")

    assert russian.status_code == english.status_code == 400
    assert russian.json() != english.json()
    assert "Обязательное поле." in str(russian.json())
    assert schema["Content-Language"] == "en"
    assert "Обязательное" not in schema.content.decode() and "Открыта" not in schema.content.decode()


# --- The ticket's language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("stated", "texts", "language"),
    [
        ("ru", ("Printer broken",), "ru"),
        ("ru-RU, en;q=0.5", ("",), "ru"),
        ("de", ("Принтер не печатает",), "ru"),  # unsupported: the text decides
        (None, ("Принтер не печатает", "Since yesterday"), "ru"),
        (None, ("Printer broken", "It says: ошибка"), "en"),
        (None, ("12345", "!!"), "en"),  # no letters: the site's
    ],
)
def test_the_customer_language_comes_from_what_is_stated_then_the_text(settings, stated, texts, language):
    settings.LANGUAGE_CODE = "en"
    assert customer_language(stated, *texts) == language


def test_language_helpers_read_codes_and_letters():
    assert supported("RU_ru") == "ru" and supported("fr, en-GB") == "en" and supported("") is None
    assert of_text("Добрый день") == "ru" and of_text("42") is None


def test_a_portal_ticket_takes_the_page_language(category):
    form = {
        "customer_name": "Анна",
        "customer_email": "anna@example.org",
        "category": category.slug,
        "subject": "Printer",
        "description": "The printer does not print since Monday.",
    }
    Client(HTTP_ACCEPT_LANGUAGE="ru").post("/portal/tickets/new", form)

    assert Ticket.objects.get().language == "ru"  # the page's, though the text is English


def test_the_api_takes_a_language_field_and_shows_the_ticket_language(agent_api, category):
    body = {"subject": "Hello", "description": "Please call me back.", "customer_email": "a@example.org"}
    stated = agent_api.post(
        "/api/support/tickets", {**body, "category": category.slug, "language": "ru"}, format="json"
    )
    guessed = agent_api.post(
        "/api/support/tickets",
        {**body, "category": category.slug, "subject": "Здравствуйте", "description": "Перезвоните мне, пожалуйста."},
        format="json",
    )
    refused = agent_api.post(
        "/api/support/tickets", {**body, "category": category.slug, "language": "xx"}, format="json"
    )

    assert stated.status_code == 201 and stated.json()["language"] == "ru"
    assert guessed.json()["language"] == "ru"
    assert refused.status_code == 400 and "language" in str(refused.json())
    listed = {t["id"]: t["language"] for t in agent_api.get("/api/support/tickets").json()["results"]}
    assert listed[stated.json()["id"]] == "ru"


def test_every_email_to_a_customer_is_in_the_ticket_language(agent, category, django_capture_on_commit_callbacks):
    """One run, two customers: the Russian ticket's emails are Russian, the English one's
    English, whatever the language of the agent's page."""
    russian = TicketFactory(language="ru", category=category, customer_email="ivan@example.org")
    english = TicketFactory(language="en", category=category, customer_email="jane@example.org")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")  # the agent works in Russian
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        for ticket in (russian, english):
            client.post(f"/agent/tickets/{ticket.pk}/reply", {"body": "Done, see the attached guide."})
            client.post(f"/agent/tickets/{ticket.pk}/rotate-link")

    sent = {m.to[0]: [] for m in mail.outbox}
    for message in mail.outbox:
        sent[message.to[0]].append(message)
    assert len(sent["ivan@example.org"]) == len(sent["jane@example.org"]) == 2
    for message in sent["ivan@example.org"]:
        assert any("\u0400" <= ch <= "\u04ff" for ch in message.subject + message.body), message.subject
    for message in sent["jane@example.org"]:
        assert not any("\u0400" <= ch <= "\u04ff" for ch in message.subject + message.body), message.subject


def test_the_survey_goes_out_in_the_ticket_language(agent, category, django_capture_on_commit_callbacks):
    from feedback.services import survey_invite

    ticket = TicketFactory(language="ru", category=category, status="resolved", assigned_agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        survey_invite(ticket=ticket)

    [email] = mail.outbox
    assert any("\u0400" <= ch <= "\u04ff" for ch in email.subject)


def test_an_agent_gets_emails_and_notices_in_their_language(category, django_capture_on_commit_callbacks):
    from tickets.notices import notify_assignment

    russian = AgentFactory(language="ru", specializations=[category])
    english = AgentFactory(language="", specializations=[category])
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        for agent in (russian, english):
            ticket = TicketFactory(category=category, language="en", subject="Printer")
            notify_assignment(ticket=ticket, agent=agent, actor=None)

    titles = dict(Notification.objects.filter(channel=Channel.DASHBOARD).values_list("user_id", "payload__title"))
    assert "заявка" in titles[russian.user_id]
    assert titles[english.user_id].startswith("Ticket")
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert any("\u0400" <= ch <= "\u04ff" for ch in subjects[russian.email])
    assert not any("\u0400" <= ch <= "\u04ff" for ch in subjects[english.email])


def test_an_email_in_russian_opens_a_russian_ticket(category):
    from mail.ingest import ingest

    raw_ru = (
        "From: Ivan <ivan@example.org>\r\nTo: support@example.com\r\nSubject: Printer\r\n"
        "Message-ID: <ru-1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Принтер не печатает с понедельника, помогите.\r\n"
    ).encode()
    raw_stated = (
        b"From: Olga <olga@example.org>\r\nTo: support@example.com\r\nSubject: Printer\r\n"
        b"Content-Language: ru\r\nMessage-ID: <ru-2@example.org>\r\nContent-Type: text/plain\r\n\r\n"
        b"The printer does not print since Monday.\r\n"
    )
    raw_en = (
        b"From: Jane <jane@example.org>\r\nTo: support@example.com\r\nSubject: Printer\r\n"
        b"Message-ID: <en-1@example.org>\r\nContent-Type: text/plain\r\n\r\n"
        b"The printer does not print since Monday.\r\n"
    )
    for raw in (raw_ru, raw_stated, raw_en):
        ingest(raw, route="pipe")

    languages = dict(Ticket.objects.values_list("customer_email", "language"))
    assert languages == {"ivan@example.org": "ru", "olga@example.org": "ru", "jane@example.org": "en"}


def test_the_ticket_page_says_which_language_the_customer_is_written_to_in(agent):
    ticket = TicketFactory(language="ru", category=agent.specializations.first())
    client = Client()
    client.force_login(agent.user)

    assert "language: russian" in client.get(f"/agent/tickets/{ticket.pk}").content.decode()


def test_api_client_for_works_with_languages(agent):
    assert api_client_for(agent.user).get("/api/support/tickets", HTTP_ACCEPT_LANGUAGE="ru").status_code == 200


def test_durations_dates_and_numbers_are_in_the_reader_language():
    from datetime import datetime, timedelta

    from django.utils import formats

    from sla.badges import _clock

    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    due = now + timedelta(hours=2, minutes=15)
    with translation.override("en"):
        english = _clock("resolution", due, None, now).label
        english_date = formats.date_format(now, "DATE_FORMAT")
        english_number = formats.number_format(1234.5, 1, use_l10n=True, force_grouping=True)
    with translation.override("ru"):
        russian = _clock("resolution", due, None, now).label
        russian_date = formats.date_format(now, "DATE_FORMAT")
        russian_number = formats.number_format(1234.5, 1, use_l10n=True, force_grouping=True)

    assert english == "On track: resolution due in 2h 15m"
    assert "2 ч 15 мин" in russian and "решение" in russian
    assert english_date == "Dec. 5, 2026" and russian_date == "5 декабря 2026 г."
    assert english_number == "1,234.5" and russian_number == "1\xa0234,5"


# --- The help center -------------------------------------------------------------------


def test_the_help_center_shows_the_visitor_language_first_and_marks_the_others(category):
    import re as regex
    from datetime import timedelta

    from django.utils import timezone

    from knowledge.tests.factories import ArticleFactory, FAQFactory

    now = timezone.now()
    ArticleFactory(title="Reset your password", slug="reset-en", language="en", published_at=now)
    ArticleFactory(title="Сброс пароля", slug="reset-ru", language="ru", published_at=now - timedelta(days=3))
    FAQFactory(question="How do I reset my password?", answer="Use the link.", priority=90)
    FAQFactory(question="Как сбросить пароль?", answer="По ссылке на странице входа.", priority=10)

    def titles(page: str) -> list[str]:
        return regex.findall(r"<strong>([^<]+)</strong>", page)

    russian = Client(HTTP_ACCEPT_LANGUAGE="ru")
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert titles(russian.get("/kb/").content.decode())[:2] == ["Сброс пароля", "Reset your password"]
    assert titles(english.get("/kb/").content.decode())[:2] == ["Reset your password", "Сброс пароля"]
    ArticleFactory(title="Set up the VPN", slug="vpn-en", language="en", content="Install the VPN client first.")
    ArticleFactory(title="Настройка VPN", slug="vpn-ru", language="ru", content="Сначала установите клиент VPN.")
    assert titles(russian.get("/kb/?q=VPN").content.decode()) == ["Настройка VPN", "Set up the VPN"]
    assert titles(english.get("/kb/?q=VPN").content.decode()) == ["Set up the VPN", "Настройка VPN"]

    faq = russian.get("/faq/").content.decode()
    assert faq.index("Как сбросить пароль?") < faq.index("How do I reset my password?")
    assert 'lang="en"' in faq and "Английский" in faq  # the other language, marked
    english_faq = english.get("/faq/").content.decode()
    assert english_faq.index("How do I reset my password?") < english_faq.index("Как сбросить пароль?")


def test_the_customer_reads_the_status_of_their_request_in_their_words():
    from tickets.links import private_token

    ticket = TicketFactory(status="pending")
    url = f"/portal/tickets/{private_token(ticket)}/"

    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru").get(url).content.decode()

    assert "Waiting for your reply" in english and "waiting on customer" not in english
    assert "Ждём вашего ответа" in russian


@pytest.mark.parametrize("model", ["ticket", "agent"])
def test_the_database_refuses_a_language_it_does_not_know(model, agent):
    from django.db import IntegrityError, transaction

    row = TicketFactory() if model == "ticket" else agent
    with pytest.raises(IntegrityError), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(language="de")
    type(row).objects.filter(pk=row.pk).update(language="")  # unknown: the site's
