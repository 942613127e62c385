"""Every page as people see it: accessibility (axe-core) and layout, at 1280 and 375 px.

The pages are those `make screenshots` photographs (helpdesk/management/commands/screenshots.py),
over the demo data, so each has content. A failure names the page, the width and the
offending element. What the checks read:
- axe-core (bundled by axe-playwright-python): no violation of any impact, but moderate or
  minor ones accepted below with their reason (none today);
- element boxes (e2e/layout.js): no horizontal scrolling; at 375 px (and in the house's
  stacked forms at every width) no two form controls in one row (a group of radio buttons or checkboxes is one control, and so are buttons side by
  side, "Yes" / "No", answering one question); every label above or to the left of its
  control (a checkbox's or radio button's to its right, as usual); no text over other text or
  a control; touch targets at least 24 x 24 px at 375 px (links inside a sentence exempt, as
  WCAG 2.5.8 exempts inline targets).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from helpdesk.management.commands.screenshots import PAGES, WIDTHS, browser_contexts, demo_paths, visit

LAYOUT = (Path(__file__).parent / "layout.js").read_text()

# Moderate or minor axe findings accepted, rule id -> why. None today: every finding fails.
ACCEPTED: dict[str, str] = {}


@pytest.fixture
def demo_data(transactional_db):
    """The demo data (flushed after the test, as the live server's tests are); its pages' paths."""
    call_command("seed_demo", allow_production=True, verbosity=0)  # tests run with DEBUG off
    call_command("sla_scan", verbosity=0)
    return demo_paths()


def axe_problems(page) -> list[str]:
    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        impact = violation["impact"]
        if impact in ("moderate", "minor") and violation["id"] in ACCEPTED:
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        problems.append(f"axe {violation['id']} ({impact}): {violation['help']} at {targets}")
    return problems


def layout_problems(page, width: int) -> list[str]:
    found = page.evaluate(LAYOUT, width < 600)
    return [f"{p['check']}: {p['element']}" + (f" ({p['detail']})" if p["detail"] else "") for p in found]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_is_accessible_and_laid_out_at(width, browser, live_server, demo_data):
    problems = []
    with browser_contexts(browser, live_server.url, width) as pages:
        for spec in PAGES:
            page = pages[spec.who]
            visit(page, spec, demo_data)
            for problem in axe_problems(page) + layout_problems(page, width):
                problems.append(f"{spec.name} at {width} px: {problem}")
    assert not problems, "\n".join(problems)
