"""API authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES)."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from agents.queries import token_user_agent


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the user's agent profile in the same query.

    Every API request asks who the caller is to the helpdesk (agents.roles.agent_for); with
    the profile joined to the token lookup, that answer costs no second query. The query is
    written once per process (agents.queries.token_user_agent) and its row built into the three models
    with Model.from_db: the ORM would compile the same three-model join on every request,
    about half a millisecond of CPU each (docs/performance.md).
    """

    def authenticate_credentials(self, key):
        found = token_user_agent(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token, user, agent = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        user._helpdesk_agent = agent  # None when the user has no profile
        return user, token
