"""Screenshots of every page with the demo data, at 1280 and 375 px (make screenshots).

PAGES is also the list the end-to-end page checks walk (e2e/test_pages.py): what is
photographed for the docs is what is checked for accessibility and layout. ADMIN_PAGES,
Django admin's pages this project adds to (the email channel's), are photographed only:
their markup and styles are Django's own (its action bar, its 13 px checkboxes, its
breadcrumbs), which the house's layout rules were not written for.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application
from django.urls import reverse

from agents.models import Team
from automation.models import Macro, TimeRule, Trigger
from feedback.models import SurveyInvitation
from feedback.services import survey_url
from helpdesk.management.commands.seed_demo import DEMO_EMAIL_SUBJECT
from knowledge.models import Article
from tickets.links import private_url
from tickets.models import AuthorType, Ticket

WIDTHS = (1280, 375)
DEMO_TICKET = "Charged twice for the annual plan"


def _contact_form_with_errors(page) -> None:
    page.goto("/portal/tickets/new")
    page.get_by_label("Your email").fill("jane@")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector(".error-summary")


def _submitted(page) -> None:
    page.goto("/portal/tickets/new")
    page.get_by_label("Your name").fill("Jane Roe")
    page.get_by_label("Your email").fill("jane@example.org")
    page.get_by_label("What is it about?").select_option(index=1)
    page.get_by_label("Subject").fill("The invoice for March is missing")
    page.get_by_label("How can we help?").fill("I cannot find the March invoice in my account.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/submitted")


def _bulk_change(page) -> None:
    page.goto("/agent/?view=open")
    boxes = page.locator('input[name="ticket"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    bar = page.locator("#bulk-form")
    bar.get_by_label("Add tags").fill("reviewed")
    bar.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/agent/bulk/*")


@dataclass(frozen=True)
class Page:
    name: str
    # "customer" (no account), "agent" (alice, a supervisor), "admin" (the superuser, in
    # Django admin) or "visitor" (signed out)
    who: str
    path: str = ""  # may name {ticket}, {email_ticket}, {article}, {private}, {survey} or {team}
    open: Callable[[Any], None] | None = None  # instead of a path: steps that end on the page


PAGES = [
    Page("home", "customer", "/"),
    Page("help-center", "customer", "/kb/"),
    Page("article", "customer", "/kb/{article}"),
    Page("faq", "customer", "/faq/"),
    Page("contact-form", "customer", "/portal/tickets/new"),
    Page("contact-form-errors", "customer", open=_contact_form_with_errors),
    Page("submitted", "customer", open=_submitted),
    Page("private-ticket", "customer", "{private}"),
    Page("lookup", "customer", "/portal/tickets/lookup"),
    Page("survey", "customer", "{survey}"),
    Page("sign-in", "visitor", "/accounts/login/"),
    Page("password-reset", "visitor", "/accounts/password_reset/"),
    Page("queue", "agent", "/agent/?view=open"),
    Page("queue-my-teams", "agent", "/agent/"),  # the default of an agent in a team
    Page("saved-view-new", "agent", "/agent/views/new?view=open&priority=urgent"),
    Page("ticket", "agent", "/agent/tickets/{ticket}"),
    Page("new-ticket", "agent", "/agent/tickets/new?q=customer+1"),  # a ticket by phone, customers found
    Page("notifications", "agent", "/agent/notifications"),
    Page("dashboard", "agent", "/agent/dashboard"),
    Page("email-ticket", "agent", "/agent/tickets/{email_ticket}"),
    Page("merge-confirm", "agent", "/agent/tickets/{email_ticket}/merge?ticket={ticket}"),
    Page("split", "agent", "{split}"),
    Page("security", "agent", "/accounts/2fa/"),
    Page("bulk-change", "agent", open=_bulk_change),  # last: it tags two of the demo tickets
]

ADMIN_PAGES = [
    Page("admin-mailboxes", "admin", "/admin/mail/mailbox/"),
    Page("admin-inbound-emails", "admin", "/admin/mail/inboundemail/"),
    Page("admin-team", "admin", "/admin/agents/team/{team}/change/"),
    Page("admin-trigger", "admin", "/admin/automation/trigger/{trigger}/change/"),
    Page("admin-time-rule", "admin", "/admin/automation/timerule/{time_rule}/change/"),
    Page("admin-macro", "admin", "/admin/automation/macro/{macro}/change/"),
]


def demo_paths() -> dict[str, str]:
    """What the paths of PAGES name, read from the demo data (manage.py seed_demo)."""
    ticket = Ticket.objects.filter(subject=DEMO_TICKET).first() or Ticket.objects.order_by("id").first()
    email_ticket = Ticket.objects.filter(subject=DEMO_EMAIL_SUBJECT).first()
    invitation = SurveyInvitation.objects.filter(answered_at__isnull=True).order_by("id").first()
    if ticket is None or invitation is None or email_ticket is None:
        raise CommandError("no demo data: run manage.py seed_demo first")
    site = settings.SITE_URL
    return {
        "ticket": str(ticket.pk),
        "email_ticket": str(email_ticket.pk),
        "split": _split_path(email_ticket),
        "article": Article.objects.filter(status="published").order_by("id").values_list("slug", flat=True)[0],
        "private": private_url(ticket).removeprefix(site),
        "survey": survey_url(invitation).removeprefix(site),
        "team": str(Team.objects.order_by("name").values_list("pk", flat=True).first()),
        "trigger": str(Trigger.objects.filter(name=DEMO_TRIGGER).values_list("pk", flat=True).first()),
        "time_rule": str(TimeRule.objects.filter(name=DEMO_TIME_RULE).values_list("pk", flat=True).first()),
        "macro": str(Macro.objects.filter(name=DEMO_MACRO, owner=None).values_list("pk", flat=True).first()),
    }


def _split_path(ticket: Ticket) -> str:
    """The split page of the ticket's first customer message (the ticket page without one)."""
    message = ticket.messages.filter(author_type=AuthorType.CUSTOMER).order_by("created_at", "id").first()
    if message is None:
        return reverse("agent:ticket", args=[ticket.pk])
    return reverse("agent:split", args=[ticket.pk, message.pk])


DEMO_SUPERVISOR = ("alice", "agent")  # seed_demo's supervisor and its demo password
# seed_demo's automation photographed in admin
DEMO_TRIGGER = "Outages are urgent"
DEMO_TIME_RULE = "Remind the customer after 3 days pending"
DEMO_MACRO = "Refund approved"
DEMO_ADMIN = ("admin", "admin")  # seed_demo's superuser, for Django admin's pages


def sign_in(page) -> None:
    username, password = DEMO_SUPERVISOR
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agent/**")


def sign_in_admin(page) -> None:
    username, password = DEMO_ADMIN
    page.goto("/admin/login/")  # sends to the one sign-in form, then back to the admin
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def visit(page, spec: Page, paths: dict[str, str]) -> None:
    if spec.open is not None:
        spec.open(page)
    else:
        page.goto(spec.path.format(**paths))
    page.wait_for_load_state("networkidle")


@contextmanager
def browser_contexts(browser, base_url: str, width: int, *, admin: bool = False) -> Iterator[dict[str, Any]]:
    """One browser context per kind of visitor at this width; the agent (and, with `admin`,
    Django admin's superuser) signed in."""
    viewport = {"width": width, "height": 900}
    visitors = ("customer", "agent", "visitor", *(["admin"] if admin else []))
    contexts = {who: browser.new_context(viewport=viewport, base_url=base_url) for who in visitors}
    try:
        pages = {who: context.new_page() for who, context in contexts.items()}
        sign_in(pages["agent"])
        if admin:
            sign_in_admin(pages["admin"])
        yield pages
    finally:
        for context in contexts.values():
            context.close()


def launch(playwright, chromium: str):
    return playwright.chromium.launch(
        executable_path=chromium,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class Command(BaseCommand):
    help = "Take screenshots of every page with the demo data into docs/screenshots/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(settings.BASE_DIR / "docs" / "screenshots"))
        parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")

    def handle(self, *args: Any, out: str, chromium: str, **options: Any) -> None:
        if not Path(chromium).exists():
            raise CommandError(f"chromium not found at {chromium} (apt-get install chromium)")
        call_command("seed_demo", verbosity=0)
        call_command("sla_scan", verbosity=0)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop only drives the browser
        server = make_server("127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()), handler_class=QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        settings.SITE_URL = base
        paths = demo_paths()
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        # Imported here: Playwright is a development dependency, and manage.py lists every
        # command (importing each module) in the runtime image too.
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch(playwright, chromium)
            for width in WIDTHS:
                with browser_contexts(browser, base, width, admin=True) as pages:
                    for spec in PAGES + ADMIN_PAGES:
                        page = pages[spec.who]
                        visit(page, spec, paths)
                        path = folder / f"{spec.name}-{width}.png"
                        page.screenshot(path=str(path), full_page=True)
                        self.stdout.write(str(path.relative_to(settings.BASE_DIR)))
            browser.close()
        server.shutdown()
