"""The customer's and the agent's journeys in Russian, in chromium (issue 21, point 5): a
customer whose browser asks for Russian writes in, an agent whose profile says Russian
answers from a workspace in Russian, and every email to the customer is Russian. A second,
English customer in the same run gets English emails. Screenshots of the Russian pages go to
docs/screenshots/ (ru-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


@pytest.mark.parametrize("width", [1280, 375])
def test_a_russian_customer_and_a_russian_agent_from_question_to_answer(new_page, width):
    general = CategoryFactory(slug="general", name="Общие вопросы")
    SLAPolicyFactory(priority="normal", first_response_hours=4, resolution_hours=24)
    AgentFactory(user__username="olga", name="Ольга Смирнова", language="ru", specializations=[general])

    # The customer writes in from a Russian browser.
    customer = new_page(width, locale="ru-RU")
    customer.goto("/portal/tickets/new")
    expect(customer.locator("html")).to_have_attribute("lang", "ru")
    customer.get_by_label("Ваше имя").fill("Иван Петров")
    customer.get_by_label("Ваш адрес эл. почты").fill("ivan@example.org")
    customer.get_by_label("О чём ваш вопрос?").select_option("general")
    customer.get_by_label("Тема").fill("Не приходит письмо")
    customer.get_by_label("Чем мы можем помочь?").fill("Письмо для сброса пароля не приходит уже второй день.")
    customer.screenshot(path=str(SHOTS / f"ru-contact-form-{width}.png"), full_page=True)
    customer.get_by_role("button", name="Отправить обращение").click()
    customer.wait_for_url("**/submitted")
    ticket = Ticket.objects.get()
    assert ticket.language == "ru"
    expect(customer.get_by_role("heading", name=f"Спасибо, мы получили ваше обращение #{ticket.pk}")).to_be_visible()
    private_link = customer.get_by_role("link", name="Открыть обращение").get_attribute("href")
    [acknowledgement] = mail.outbox
    assert cyrillic(acknowledgement.subject) and cyrillic(acknowledgement.body)

    # The agent works in Russian (her profile), though her browser asks for English.
    agent = new_page(width)
    agent.goto("/accounts/login/")
    agent.get_by_label("Username").fill("olga")
    agent.get_by_label("Password").fill("password")
    agent.get_by_role("button", name="Sign in").click()
    agent.wait_for_url("**/agent/**")
    expect(agent.get_by_role("link", name="Очередь")).to_be_visible()
    agent.goto(f"/agent/tickets/{ticket.pk}")
    agent.get_by_role("button", name="Взять себе").click()
    expect(agent.get_by_text("Назначено: Ольга Смирнова.")).to_be_visible()
    agent.get_by_label("Сообщение").fill("Проверили: письмо ушло на старый адрес. Отправили ещё раз.")
    agent.get_by_role("button", name="Отправить").click()
    expect(agent.get_by_text("Ответ отправлен клиенту.")).to_be_visible()
    assert "язык: русский" in agent.locator("main").inner_text()
    agent.screenshot(path=str(SHOTS / f"ru-ticket-{width}.png"), full_page=True)
    wide = agent.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 1 && e.children.length === 0)
            .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))""",
        width,
    )
    assert agent.evaluate("document.documentElement.scrollWidth") <= width, wide

    # The customer reads the answer in Russian, and the email about it is Russian.
    reply_email = mail.outbox[-1]
    assert reply_email.to == ["ivan@example.org"] and cyrillic(reply_email.subject)
    customer.goto(private_link)
    expect(customer.get_by_text("Проверили: письмо ушло на старый адрес.")).to_be_visible()
    expect(customer.get_by_label("Ваш ответ")).to_be_visible()
    customer.screenshot(path=str(SHOTS / f"ru-private-ticket-{width}.png"), full_page=True)
    assert customer.evaluate("document.documentElement.scrollWidth") <= width

    # In the same run an English customer is written to in English.
    english = new_page(width)
    english.goto("/portal/tickets/new")
    english.get_by_label("Your name").fill("Jane Roe")
    english.get_by_label("Your email").fill("jane@example.org")
    english.get_by_label("What is it about?").select_option("general")
    english.get_by_label("Subject").fill("Password email missing")
    english.get_by_label("How can we help?").fill("The password reset email never arrives.")
    english.get_by_role("button", name="Send request").click()
    english.wait_for_url("**/submitted")
    jane = [m for m in mail.outbox if m.to == ["jane@example.org"]]
    assert jane and not any(cyrillic(m.subject + m.body) for m in jane)
    assert re.search(r"\[#\d+\]", jane[0].subject)
