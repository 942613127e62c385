"""API authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES)."""

from __future__ import annotations

from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the user's agent profile in the same query.

    Every API request asks who the caller is to the helpdesk (agents.roles.agent_for); with
    the profile joined to the token lookup, that answer costs no second query.
    """

    def authenticate_credentials(self, key):
        from rest_framework.authtoken.models import Token

        try:
            token = Token.objects.select_related("user__agent").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        user._helpdesk_agent = getattr(user, "agent", None)  # None when the user has no profile
        return user, token
