"""API authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES)."""

from __future__ import annotations

from functools import cache

from django.db import connection
from rest_framework import authentication, exceptions

from core.rows import columns, joined


@cache
def _token_statement() -> tuple[str, list]:
    """One SELECT of the token, its user and the user's agent profile (NULLs without one),
    and the parts (core.rows.joined) its row splits into."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

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
        f"WHERE t.{quote(Token._meta.pk.column)} = %s"
    )
    return sql, [(Token, None), (user, None), (Agent, None)]


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the user's agent profile in the same query.

    Every API request asks who the caller is to the helpdesk (agents.roles.agent_for); with
    the profile joined to the token lookup, that answer costs no second query. The query is
    written once per process (_token_statement) and its row built into the three models
    with Model.from_db: the ORM would compile the same three-model join on every request,
    about half a millisecond of CPU each (docs/performance.md).
    """

    def authenticate_credentials(self, key):
        sql, parts = _token_statement()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token, user, agent = joined(connection, row, parts)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        token.user = user
        if agent is not None:
            agent.user = user
        user._helpdesk_agent = agent  # None when the user has no profile
        return user, token
