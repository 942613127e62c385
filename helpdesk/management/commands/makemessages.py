"""Django's makemessages without fuzzy matching: msgmerge would otherwise fill a new msgid
with the translation of a similar old one and mark it fuzzy ("My tickets" took the Russian
of "Open tickets"), and a fuzzy guess is a wrong translation waiting to be shipped. A new
msgid arrives empty, and `make messages-check` fails until someone translates it."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
