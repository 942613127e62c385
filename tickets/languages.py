"""Which language a customer writes in, so that everything sent to them is in it.

The portal knows the page's language; an email may say it (Content-Language); the API may
be told (`language`). Otherwise the text decides: a subject and description mostly in
Cyrillic letters are Russian. Anything else is the site's language (LANGUAGE_CODE).
"""

from __future__ import annotations

from django.conf import settings

# A text is Russian when at least this share of its letters are Cyrillic.
CYRILLIC_SHARE = 0.5


def supported(code: str | None) -> str | None:
    """`code` ("ru", "ru-RU", "en-us, de") as one of settings.LANGUAGES, or None."""
    for part in (code or "").replace(";", ",").split(","):
        base = part.strip().lower().split("-")[0].split("_")[0]
        if base in dict(settings.LANGUAGES):
            return base
    return None


def of_text(*texts: str) -> str | None:
    """ "ru" for a text mostly in Cyrillic letters, "en" for one mostly in Latin ones, None
    for a text with too few letters to tell (numbers, an empty body)."""
    cyrillic = latin = 0
    for text in texts:
        for char in text[:5000]:
            if "\u0400" <= char <= "\u04ff":
                cyrillic += 1
            elif char.isascii() and char.isalpha():
                latin += 1
    letters = cyrillic + latin
    if letters < 3:
        return None
    return "ru" if cyrillic / letters >= CYRILLIC_SHARE else "en"


def customer_language(stated: str | None, *texts: str) -> str:
    """The ticket's language: the one stated (page, header, API) when supported, else the
    text's, else the site's."""
    return supported(stated) or of_text(*texts) or settings.LANGUAGE_CODE
