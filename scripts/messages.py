"""The translation catalogs: extract, compile, check (docs/development.md, "Translations").

    python scripts/messages.py extract   # new msgids from the code into locale/*/django.po
    python scripts/messages.py compile   # django.po -> django.mo (polib; no gettext needed)
    python scripts/messages.py check     # what CI runs (make messages-check)

`extract` runs Django's makemessages (it needs GNU gettext's xgettext and msgmerge) with
fuzzy matching off (helpdesk/management/commands/makemessages.py). `compile` uses polib, so
`make run` and `make test` need no gettext: the compiled django.mo files are committed, and
`check` fails when one is not what compiling its django.po gives.

`check` fails when:
- extracting the code's messages (in a copy of the tree) would add a msgid the catalog lacks;
- an entry is untranslated (any plural form empty) or fuzzy;
- a catalog's plural forms are not its language's (Russian: three);
- a django.mo is missing or stale.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404 - runs manage.py makemessages with fixed arguments
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ru"]
PLURALS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
}
# Not the product's code: tests, benchmarks and tooling carry no strings a person reads here.
IGNORED = [".venv/*", "var/*", "node_modules/*", "*/tests/*", "e2e/*", "bench/*", "soak/*", "scripts/*", "docs/*"]


def po_path(root: Path, language: str) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / "django.po"


def extract(root: Path = ROOT) -> None:
    arguments = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--add-location=file"]
    for language in LANGUAGES:
        arguments += ["--locale", language]
    for pattern in IGNORED:
        arguments += ["--ignore", pattern]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "true"}
    environment.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1/unused")  # nothing connects
    subprocess.run(arguments, cwd=root, env=environment, check=True)  # noqa: S603  # nosec B603 - fixed arguments
    for language in LANGUAGES:
        catalog = polib.pofile(str(po_path(root, language)), wrapwidth=0)
        catalog.metadata["Plural-Forms"] = PLURALS[language]
        catalog.metadata["Language"] = language
        catalog.metadata["Content-Type"] = "text/plain; charset=UTF-8"
        catalog.metadata_is_fuzzy = False
        catalog.save()


def _compiled(language: str, root: Path = ROOT) -> bytes:
    catalog = polib.pofile(str(po_path(root, language)))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "django.mo"
        catalog.save_as_mofile(str(target))
        return target.read_bytes()


def compile_catalogs() -> None:
    for language in LANGUAGES:
        po_path(ROOT, language).with_suffix(".mo").write_bytes(_compiled(language))
        print(f"compiled locale/{language}/LC_MESSAGES/django.mo")


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def problems() -> list[str]:
    found = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "tree"
        shutil.copytree(
            ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "__pycache__")
        )
        extract(copy)
        for language in LANGUAGES:
            extracted = {_key(e) for e in polib.pofile(str(po_path(copy, language)))}
            catalog = polib.pofile(str(po_path(ROOT, language)))
            have = {_key(e) for e in catalog if not e.obsolete}
            for context, msgid, _plural in sorted(extracted - have):
                where = f" (context {context!r})" if context else ""
                found.append(f"{language}: not in the catalog (run make messages): {msgid!r}{where}")
            for _context, msgid, _plural in sorted(have - extracted):
                found.append(f"{language}: no longer in the code (run make messages): {msgid!r}")
    for language in LANGUAGES:
        catalog = polib.pofile(str(po_path(ROOT, language)))
        if catalog.metadata.get("Plural-Forms", "").replace(" ", "") != PLURALS[language].replace(" ", ""):
            found.append(f"{language}: Plural-Forms is not {PLURALS[language]!r}")
        for entry in catalog:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                found.append(f"{language}: fuzzy: {entry.msgid!r}")
            translated = (
                [entry.msgstr] if not entry.msgid_plural else [entry.msgstr_plural.get(i, "") for i in range(3)]
            )
            if not all(text.strip() for text in translated):
                found.append(f"{language}: untranslated: {entry.msgid!r}")
        mo = po_path(ROOT, language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _compiled(language):
            found.append(f"{language}: {mo.relative_to(ROOT)} is missing or stale (run make messages)")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "extract":
        extract()
        return 0
    if command == "compile":
        compile_catalogs()
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s) in the translation catalogs." if found else "Translation catalogs complete.")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
