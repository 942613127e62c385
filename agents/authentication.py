"""API authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from agents.queries import token_user_agent
from agents.tokens import digest


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, checked against the digests of django-rest-knox's tokens
    (agents.tokens), reading the user's agent profile in the same query.

    Every API request asks who the caller is to the helpdesk (agents.roles.agent_for); with
    the profile joined to the token lookup, that answer costs no second query. The query is
    written once per process (agents.queries.token_user_agent) and its row built into the
    three models with Model.from_db: the ORM would compile the same three-model join on every
    request, about half a millisecond of CPU each (docs/performance.md). The digest is the
    primary key, so the lookup is one index probe; an expired token is not found.
    """

    def authenticate_credentials(self, key):
        found = token_user_agent(digest(key), timezone.now())
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        token, user, agent = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user._helpdesk_agent = agent  # None when the user has no profile
        return user, token
