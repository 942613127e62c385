"""Sign-in, sign-out and password reset for agents, with throttling.

Failed sign-ins are limited per client address and per username (LOGIN_RATE), password
reset requests per address (PASSWORD_RESET_RATE); past a limit the answer is a 429 page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.decorators import method_decorator

from core.ratelimit import ratelimit


def _rate(setting: str):
    return lambda group, request: getattr(settings, setting)


@method_decorator(ratelimit(key="ip", rate=_rate("LOGIN_RATE"), method="POST", block=True), name="post")
@method_decorator(ratelimit(key="post:username", rate=_rate("LOGIN_RATE"), method="POST", block=True), name="post")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


@method_decorator(ratelimit(key="ip", rate=_rate("PASSWORD_RESET_RATE"), method="POST", block=True), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    pass


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
