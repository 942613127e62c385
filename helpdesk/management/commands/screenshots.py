"""Screenshots of the agent workspace with the demo data, at 1280 and 375 px (make screenshots)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application

from tickets.models import Ticket

PAGES = [
    ("queue", "/agent/?view=open"),
    ("ticket", "/agent/tickets/{ticket}"),
    ("dashboard", "/agent/dashboard"),
    ("help-center", "/kb/"),
    ("contact-form", "/portal/tickets/new"),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class Command(BaseCommand):
    help = "Take screenshots of the main pages with the demo data into docs/screenshots/."

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
        ticket = Ticket.objects.filter(subject="Charged twice for the annual plan").first() or Ticket.objects.first()
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for width in (1280, 375):
                context = browser.new_context(viewport={"width": width, "height": 900}, base_url=base)
                page = context.new_page()
                page.goto("/accounts/login/")
                page.get_by_label("Username").fill("alice")
                page.get_by_label("Password").fill("agent")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/agent/**")
                for name, url in PAGES:
                    page.goto(url.format(ticket=ticket.pk))
                    path = folder / f"{name}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    self.stdout.write(str(path.relative_to(settings.BASE_DIR)))
                context.close()
            browser.close()
        server.shutdown()
