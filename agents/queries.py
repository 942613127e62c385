"""The agents app's hand-written SQL: the API token lookup (agents.authentication), checked
against the ORM in agents/tests/test_queries.py."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from core.rows import columns, joined


@cache
def _token_statement() -> tuple[str, list]:
    """One SELECT of the token, its user and the user's agent profile (NULLs without one),
    and the parts (core.rows.joined) its row splits into."""
    # Models are imported on first use: REST framework imports the authentication class
    # (and so this module) while reading its settings, possibly before the apps are ready.
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken as Token

    from agents.models import Agent

    user = get_user_model()
    quote = connection.ops.quote_name
    aliased = ((Token, "t"), (user, "u"), (Agent, "a"))
    selected = ", ".join(columns(model, connection, alias) for model, alias in aliased)
    # Table and column names come from the models' own meta; the key is a parameter.
    sql = (
        f"SELECT {selected} FROM {quote(Token._meta.db_table)} AS t "  # noqa: S608  # nosec B608
        f"JOIN {quote(user._meta.db_table)} AS u ON u.{quote(user._meta.pk.column)} = t.{quote('user_id')} "
        f"LEFT JOIN {quote(Agent._meta.db_table)} AS a ON a.{quote('user_id')} = u.{quote(user._meta.pk.column)} "
        f"WHERE t.{quote(Token._meta.pk.column)} = %s "
        f"AND (t.{quote('expiry')} IS NULL OR t.{quote('expiry')} > %s)"
    )
    return sql, [(Token, None), (user, None), (Agent, None)]


def token_user_agent(digest: str, now: datetime) -> tuple | None:
    """The token whose digest is `digest` and which has not expired at `now`, its user and
    the user's agent profile (None without one), each with the other two cached on it as
    the ORM would; None when there is no such token."""
    sql, parts = _token_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, now])
        row = cursor.fetchone()
    if row is None:
        return None
    token, user, agent = joined(connection, row, parts)
    token.user = user
    if agent is not None:
        agent.user = user
    return token, user, agent
