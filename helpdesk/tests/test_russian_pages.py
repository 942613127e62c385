"""Every page of the portal and the workspace, in Russian, shows no English msgid of the
catalog (issue 21, point 5): a string someone forgot to mark, or marked but left out of a
template's {% translate %}, is English on a Russian page and fails here.

The pages are the URL resolver's, named by the permission matrix's world (one ticket with
replies, notes and files, an article, a survey...), each fetched as a reader who may see it:
a customer (anonymous, with the private link) for the portal, an agent whose profile says
Russian for the workspace. What is compared is the page's text, node by node, and the
attributes a person reads (labels for screen readers, placeholders, titles, alt texts): a
node that is exactly an English msgid, or contains a whole English sentence of the catalog,
is a gap. The world's own data (subjects, names, message bodies) is English and is not a
msgid, so it passes; the few msgids short enough to be data too are listed below.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polib
import pytest
from django.test import Client

from conftest import BASE_DIR
from helpdesk.tests.test_permission_matrix import (
    APP_PATTERNS,
    PERSONAS,
    path_for,
    rows_for,
    world,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.django_db

# English msgids that are also words the world's data or a proper name uses as is.
SAME_IN_BOTH = {"API", "SLA", "FAQ", "Email", "English", "Русский", "Helpdesk", "Markdown", "OK", "ID", "URL"}
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea", "pre", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea", "pre", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def english_msgids() -> tuple[set[str], list[str]]:
    """(whole msgids a text node must not equal, sentences a node must not contain)."""
    catalog = polib.pofile(str(BASE_DIR / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    exact, sentences = set(), []
    for entry in catalog:
        for english in filter(None, [entry.msgid, entry.msgid_plural]):
            if entry.msgstr == english or english in SAME_IN_BOTH:
                continue
            plain = " ".join(english.split())
            if "<" in plain:
                continue
            if not _PLACEHOLDER.search(plain):
                exact.add(plain)
            for piece in _PLACEHOLDER.split(plain):  # the words around the placeholders
                piece = piece.strip(" .,:;()«»\"'")
                if len(piece.split()) >= 4:
                    sentences.append(piece)
    return exact, sentences


def persona_of(pattern, row) -> str:
    """Who reads the page: an agent for the workspace and the second factor's pages (a
    supervisor for what only supervisors see), a customer (anonymous, with the private
    links) everywhere else."""
    if not pattern.route.startswith(("agent/", "accounts/2fa")):
        return "customer"
    return "agent" if row.expected[PERSONAS.index("agent")] == 200 else "supervisor"


def reader_for(persona: str, world) -> Client:  # noqa: F811 - the fixture's value
    """A Russian reader: a Russian browser, and for an agent a profile that says Russian."""
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    if persona in ("agent", "supervisor"):
        agent = world["users"][persona].agent
        agent.language = "ru"
        agent.save(update_fields=["language"])
        client.force_login(world["users"][persona])
    return client


# Every GET row the matrix says that reader sees as a page (200), but machine answers: the
# API (its errors are tested in test_translations), downloads and the probes.
PAGES = [
    (pattern, row)
    for pattern in APP_PATTERNS
    if not pattern.route.startswith(("api/", "mail/", "metrics", "i18n/"))
    and "attachments" not in pattern.route
    and not pattern.route.endswith(".csv")  # the queue's export: its Russian is workspace/tests/test_export.py's
    and "original" not in (pattern.name or "")
    for row in rows_for(pattern)
    if row.method == "GET" and row.expected[PERSONAS.index(persona_of(pattern, row))] == 200
]


@pytest.mark.parametrize(
    ("pattern", "row"), PAGES, ids=lambda p: getattr(p, "route", None) or getattr(p, "variant", "")
)
def test_no_english_is_left_on_a_russian_page(pattern, row, world):  # noqa: F811 - the fixture
    exact, sentences = english_msgids()
    persona = persona_of(pattern, row)
    client = reader_for(persona, world)
    path = path_for(pattern, row, persona, world)

    response = client.get(path)

    assert response.status_code == 200, path
    parser = _Text()
    parser.feed(response.content.decode())
    left = sorted(
        {node for node in parser.nodes if node in exact}
        | {sentence for node in parser.nodes for sentence in sentences if sentence in node}
    )
    assert response["Content-Language"] == "ru"
    assert not left, f"English on the Russian page {path}:\n" + "\n".join(left)
