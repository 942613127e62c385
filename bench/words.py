"""Words of the benchmark's tickets and articles (no Django here: the load generator, a
process of its own, writes its tickets from the same words as the seeded ones, so that the
tickets it creates look like the others to the search)."""

from __future__ import annotations

import random

COMMON = [
    "login",
    "password",
    "account",
    "invoice",
    "refund",
    "payment",
    "card",
    "billing",
    "order",
    "delivery",
    "shipping",
    "export",
    "import",
    "report",
    "dashboard",
    "email",
    "notification",
    "error",
    "crash",
    "slow",
    "timeout",
    "sync",
    "mobile",
    "app",
    "browser",
    "update",
    "upgrade",
    "subscription",
    "plan",
    "license",
    "user",
    "permission",
    "access",
    "team",
    "workspace",
    "integration",
    "api",
    "webhook",
    "token",
    "calendar",
    "schedule",
    "upload",
    "download",
    "file",
    "attachment",
    "printer",
    "screen",
    "setting",
    "language",
    "address",
    "phone",
]
VERBS = [
    "cannot",
    "can't",
    "unable",
    "failing",
    "broken",
    "missing",
    "wrong",
    "stuck",
    "delayed",
    "duplicated",
    "charged",
]
PRODUCTS = [f"{name}-{n}" for name in ("Nimbus", "Atlas", "Vega", "Orion", "Lyra", "Draco") for n in range(1, 41)]
FILLER = [
    "please",
    "help",
    "since",
    "yesterday",
    "after",
    "the",
    "latest",
    "version",
    "we",
    "tried",
    "again",
    "and",
    "it",
    "still",
    "does",
    "not",
    "work",
    "our",
    "customers",
    "are",
    "waiting",
    "the",
    "same",
    "happens",
    "on",
    "every",
    "device",
    "thank",
    "you",
    "in",
    "advance",
    "for",
    "looking",
    "into",
    "this",
    "as",
    "soon",
    "as",
    "possible",
    "it",
    "worked",
    "last",
    "week",
]
RUSSIAN = [
    "пароль",
    "вход",
    "счёт",
    "оплата",
    "возврат",
    "карта",
    "доставка",
    "заказ",
    "отчёт",
    "ошибка",
    "приложение",
    "уведомление",
    "настройка",
    "доступ",
    "команда",
    "интеграция",
    "файл",
    "загрузка",
    "подписка",
    "тариф",
    "телефон",
    "адрес",
    "язык",
    "принтер",
    "пожалуйста",
    "помогите",
    "после",
    "обновления",
    "не",
    "работает",
    "снова",
    "проверьте",
    "учётная",
    "запись",
]


def text(rng: random.Random, words: int, vocabulary: list[str] = COMMON) -> str:
    chosen = []
    for _ in range(words):
        roll = rng.random()
        if roll < 0.45:
            chosen.append(rng.choice(FILLER))
        elif roll < 0.9:
            chosen.append(rng.choice(vocabulary))
        elif roll < 0.97:
            chosen.append(rng.choice(VERBS))
        else:
            chosen.append(rng.choice(PRODUCTS))
    return " ".join(chosen)


def subject(rng: random.Random) -> str:
    return f"{rng.choice(PRODUCTS)}: {rng.choice(COMMON)} {rng.choice(VERBS)} {rng.choice(COMMON)}".capitalize()
