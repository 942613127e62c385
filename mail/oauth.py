"""OAuth2 access tokens for the IMAP mailboxes that sign in with XOAUTH2 (Microsoft 365,
Google Workspace, or any provider with an OAuth2 token endpoint).

A mailbox (mail.models.Mailbox, auth "oauth2") names its provider, its app's client ID and the
environment variables holding the client secret and, for delegated access, a refresh token an
administrator obtained once with the provider's consent flow. Without a refresh token the
client-credentials grant is used (Microsoft 365 apps granted IMAP.AccessAsApp).

access_token(mailbox):
- reads a token from Django's cache (one key per mailbox; the entry remembers the
  configuration it was issued for, so a changed mailbox never gets an old token), usable until
  REFRESH_MARGIN before the provider's expires_in;
- else asks the token endpoint: a form POST through the guarded client (core.outbound), the
  whole answer read within MAIL_IMAP_TIMEOUT and TOKEN_ANSWER_MAX_BYTES;
- a refusal of the grant or of the client (invalid_grant, invalid_client,
  unauthorized_client, invalid_scope, unsupported_grant_type, invalid_request: an HTTP 400
  or 401 with that error) marks the mailbox "needs re-authorization" with the provider's text
  (e.g. "invalid_grant: AADSTS50173: The provided grant has expired ...") and raises
  ReauthorizationNeeded: polls skip the mailbox, without asking the provider again, until an
  administrator saves it or retries its sign-in in admin. Anything else (no answer, a 5xx,
  an answer that is not a token) raises TokenError: an ordinary failed poll, tried again at
  the next poll, never in a loop;
- a new refresh token in the answer (Microsoft rotates them; a refresh token unused for 90
  days expires there) is kept on the mailbox, encrypted (Fernet, with a key derived from
  SECRET_KEY; SECRET_KEY_FALLBACKS still decrypt), and used from then on, for as long as the
  environment holds the refresh token it descends from: a new refresh token put in the
  environment takes over. Google keeps one refresh token (it rotates none).

Call it with the mailbox's poll lock held (mail.imap does): a rotated refresh token is then
never used twice.

The refresh token itself is obtained once by an administrator (manage.py mail_oauth_consent):
Microsoft's device code flow (start_device_flow, finish_device_flow) or Google's
authorization code flow with PKCE (authorization_request, code_from_redirect, exchange_code).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core import crypto, outbound
from core.crypto import InvalidToken
from mail.models import Mailbox

logger = logging.getLogger(__name__)

# The token endpoint's answer is read up to this size (a token answer is a few kilobytes).
TOKEN_ANSWER_MAX_BYTES = 64 * 1024
# A cached token is used until this long before it expires (a tenth of its lifetime when
# that is shorter): a token is never presented at the edge of its validity.
REFRESH_MARGIN = 300
# Lifetime assumed for an answer without expires_in (a wrong guess costs one retry: a token
# the IMAP server refuses is dropped from the cache and a fresh one asked for).
DEFAULT_LIFETIME = 600
# Errors of RFC 6749, 5.2: the provider refused the client or the grant. Asking again with
# the same configuration gets the same answer: an administrator has to act.
REFUSALS = {
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "unsupported_grant_type",
    "invalid_request",
}
ERROR_MAX_CHARS = 1000
ROTATED_MAX_CHARS = 16 * 1024
CACHE_PREFIX = "mail:oauth2:token:"
KEY_SALT = "mail.oauth.rotated-refresh-token"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class TokenError(Exception):
    """No access token this time (the reason is the message): an ordinary failed poll."""


class ReauthorizationNeeded(TokenError):
    """The provider refused the grant or the client; the mailbox is marked and skipped."""


@dataclass(frozen=True)
class AccessToken:
    value: str
    cached: bool  # taken from the cache, not issued for this call


def access_token(mailbox: Mailbox) -> AccessToken:
    """A valid access token for the mailbox (see the module's docstring)."""
    if mailbox.needs_reauthorization:
        raise ReauthorizationNeeded(reauthorization_message(mailbox))
    secret = _env(mailbox.oauth_client_secret_env, "the client secret") if mailbox.oauth_client_secret_env else ""
    refresh_token, origin = _refresh_token(mailbox)
    fingerprint = _fingerprint(mailbox, secret, origin)
    entry = cache.get(_cache_key(mailbox))
    if isinstance(entry, dict) and entry.get("fingerprint") == fingerprint and entry.get("until", 0) > time.time():
        return AccessToken(value=entry["token"], cached=True)
    answer = _ask(mailbox, secret, refresh_token)
    token = answer["access_token"]
    lifetime = _lifetime(answer.get("expires_in"))
    usable = lifetime - min(REFRESH_MARGIN, lifetime / 10)
    if usable >= 1:
        cache.set(
            _cache_key(mailbox),
            {"fingerprint": fingerprint, "token": token, "until": time.time() + usable},
            timeout=int(usable),
        )
    rotated = answer.get("refresh_token")
    if refresh_token and isinstance(rotated, str) and rotated and rotated != refresh_token:
        _keep_rotated(mailbox, rotated, origin)
    return AccessToken(value=token, cached=False)


def forget_token(mailbox: Mailbox) -> None:
    """Drop the mailbox's cached access token (refused by the server, or its mailbox changed)."""
    cache.delete(_cache_key(mailbox))


def clear_reauthorization(mailbox: Mailbox) -> None:
    """An administrator fixed the configuration (or wants the sign-in tried again): polls go on."""
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_needs_reauthorization=False, oauth_error="", oauth_error_at=None)
    mailbox.oauth_needs_reauthorization, mailbox.oauth_error, mailbox.oauth_error_at = False, "", None
    forget_token(mailbox)


def reauthorization_message(mailbox: Mailbox) -> str:
    return f"needs re-authorization: {mailbox.oauth_error or 'the provider refused the sign-in'}"


def token_host(mailbox: Mailbox) -> str:
    return urlsplit(mailbox.oauth_effective_token_url).netloc or "(no token URL)"


# --- Secrets -------------------------------------------------------------------------------


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise TokenError(f"the environment variable {name!r} ({what}) is not set")
    return value


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def encrypt(value: str) -> str:
    return crypto.encrypt(value, salt=KEY_SALT)


def decrypt(value: str) -> str:
    return crypto.decrypt(value, salt=KEY_SALT)


def _refresh_token(mailbox: Mailbox) -> tuple[str, str]:
    """(the refresh token to use, the SHA-256 of the environment's) or ("", "") without one."""
    if not mailbox.oauth_refresh_token_env:
        return "", ""
    configured = _env(mailbox.oauth_refresh_token_env, "the refresh token")
    origin = _digest(configured)
    if mailbox.oauth_rotated_refresh_token and mailbox.oauth_rotated_from == origin:
        try:
            return decrypt(mailbox.oauth_rotated_refresh_token), origin
        except InvalidToken:
            logger.warning(
                "mailbox %s: the stored refresh token cannot be decrypted (SECRET_KEY changed?); using the one in %s",
                mailbox.name,
                mailbox.oauth_refresh_token_env,
            )
    return configured, origin


def _keep_rotated(mailbox: Mailbox, rotated: str, origin: str) -> None:
    if len(rotated) > ROTATED_MAX_CHARS:
        logger.warning("mailbox %s: a rotated refresh token of %d characters was not kept", mailbox.name, len(rotated))
        return
    fields = {
        "oauth_rotated_refresh_token": encrypt(rotated),
        "oauth_rotated_from": origin,
        "oauth_rotated_at": timezone.now(),
    }
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)


def _fingerprint(mailbox: Mailbox, secret: str, origin: str) -> str:
    """What a cached token was issued for: another configuration needs another token."""
    parts = [
        mailbox.oauth_effective_token_url,
        mailbox.oauth_client_id,
        mailbox.oauth_grant,
        mailbox.oauth_effective_scope,
        mailbox.username,
        _digest(secret),
        origin,
    ]
    return _digest("\x00".join(parts))


def _cache_key(mailbox: Mailbox) -> str:
    return f"{CACHE_PREFIX}{mailbox.pk}"


# --- The token endpoint --------------------------------------------------------------------


def _ask(mailbox: Mailbox, secret: str, refresh_token: str) -> dict:
    """The token endpoint's answer to the mailbox's grant: a dict with an access_token."""
    url = mailbox.oauth_effective_token_url
    host = token_host(mailbox)
    if not url:
        raise TokenError("no token URL: set the provider (and the tenant for Microsoft) or the token URL")
    form = {
        "grant_type": mailbox.oauth_grant,
        "client_id": mailbox.oauth_client_id,
        "scope": mailbox.oauth_effective_scope,
    }
    if secret:
        form["client_secret"] = secret
    if refresh_token:
        form["refresh_token"] = refresh_token
    status, answer = _post(url, form)
    token = answer.get("access_token")
    if status == 200 and isinstance(token, str) and token:
        token_type = answer.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TokenError(f"the token endpoint {host} issued a token of type {str(token_type)[:40]!r}, not Bearer")
        return answer
    code = answer.get("error") if isinstance(answer.get("error"), str) else ""
    description = answer.get("error_description") if isinstance(answer.get("error_description"), str) else ""
    if status in (400, 401) and code in REFUSALS:
        message = _refusal(mailbox, _clean(code), _clean(description))
        _mark(mailbox, message)
        raise ReauthorizationNeeded(reauthorization_message(mailbox))
    said = f": {_clean(code)}" if code else ""
    said += f": {_clean(description)}" if description else ""
    if status == 200:
        raise TokenError(f"the token endpoint {host} answered without an access token{said}")
    raise TokenError(f"the token endpoint {host} answered HTTP {status}{said}")


def _post(url: str, form: dict[str, str]) -> tuple[int, dict]:
    """POST a form to the provider through the guarded client (core.outbound): (HTTP status,
    the JSON object answered or {})."""
    host = urlsplit(url).netloc
    timeout = settings.MAIL_IMAP_TIMEOUT
    try:
        answer = outbound.post(
            url,
            urlencode(form).encode(),
            headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
            max_body=TOKEN_ANSWER_MAX_BYTES,
        )
    except outbound.Refused as error:
        raise TokenError(f"the token endpoint {host} is refused by policy: {error}") from None
    except TimeoutError:
        raise TokenError(f"the token endpoint {host} did not answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:
        raise TokenError(f"could not reach the token endpoint {host}: {type(error).__name__}") from None
    if not answer.complete:
        raise TokenError(f"the token endpoint {host} answered more than {TOKEN_ANSWER_MAX_BYTES} bytes")
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    return answer.status, data if isinstance(data, dict) else {}


def _lifetime(value) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME
    if seconds != seconds:  # NaN
        return DEFAULT_LIFETIME
    return max(0.0, min(seconds, 24 * 3600.0))


def _seconds(value, default: float, *, at_most: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    if seconds != seconds or seconds <= 0:  # NaN, or no wait at all
        return default
    return min(seconds, at_most)


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())[:ERROR_MAX_CHARS]


def _refusal(mailbox: Mailbox, code: str, description: str) -> str:
    """The provider's words, then what to do about them."""
    said = f"{code}: {description}" if description else code
    if code == "invalid_grant" and mailbox.oauth_grant == "refresh_token":
        todo = (
            "the refresh token is no longer valid (revoked, expired, or the password changed): obtain a new one "
            f"with the consent flow, put it in {mailbox.oauth_refresh_token_env}, then save the mailbox"
        )
    elif code == "invalid_client":
        todo = (
            f"check the client ID and the client secret in {mailbox.oauth_client_secret_env or '(none named)'} "
            "(a client secret expires), then save the mailbox"
        )
    else:
        todo = "check the app's registration (API permissions, admin consent) and the mailbox's scope, then save it"
    return f"{said} ({token_host(mailbox)}) - {todo}"[: ERROR_MAX_CHARS + 400]


def _mark(mailbox: Mailbox, message: str) -> None:
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        oauth_needs_reauthorization=True, oauth_error=message, oauth_error_at=now
    )
    mailbox.oauth_needs_reauthorization, mailbox.oauth_error, mailbox.oauth_error_at = True, message, now
    forget_token(mailbox)
    logger.warning("mailbox %s: OAuth2 sign-in refused, needs re-authorization: %s", mailbox.name, message)


# --- Consent: a refresh token, obtained once by an administrator (manage.py mail_oauth_consent) --

GOOGLE_AUTHORIZATION_URL = "https://accounts.google.com/o/oauth2/v2/auth"
# Where Google sends the browser back with the code ("Desktop app" clients accept any port on
# the loopback address). Nothing needs to listen there: the administrator copies the address.
LOOPBACK_REDIRECT = "http://127.0.0.1:8765/"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_wait = time.sleep  # between two asks of the device code flow (a test makes the sign-in happen then)


class ConsentError(Exception):
    """The consent did not give a refresh token (the reason is the message)."""


def _consent_answer(status: int, answer: dict, what: str) -> dict:
    if status == 200 and isinstance(answer.get("refresh_token"), str) and answer["refresh_token"]:
        return answer
    code = _clean(answer.get("error") or "") if isinstance(answer.get("error"), str) else ""
    description = answer.get("error_description")
    said = f"{code}: {_clean(description)}" if isinstance(description, str) and description else code
    if status == 200:
        raise ConsentError(f"{what} gave no refresh token (is offline access in the scope?)")
    raise ConsentError(f"{what} was refused: HTTP {status}" + (f": {said}" if said else ""))


def device_code_url(mailbox: Mailbox) -> str:
    """Microsoft's device authorization endpoint, beside the token endpoint."""
    url = mailbox.oauth_effective_token_url
    if not url.endswith("/token"):
        raise ConsentError(f"no device authorization endpoint beside the token URL {url!r}")
    return url[: -len("token")] + "devicecode"


def start_device_flow(mailbox: Mailbox) -> dict:
    """Microsoft's device code flow, first half: the code the administrator enters at the
    verification address ("message" says where), and the device code to redeem."""
    status, answer = _post(
        device_code_url(mailbox), {"client_id": mailbox.oauth_client_id, "scope": mailbox.oauth_effective_scope}
    )
    if status != 200 or not all(isinstance(answer.get(key), str) for key in ("device_code", "user_code")):
        description = answer.get("error_description") if isinstance(answer.get("error_description"), str) else ""
        raise ConsentError(f"the device code request was refused: HTTP {status} {_clean(description)}".strip())
    return answer


def finish_device_flow(mailbox: Mailbox, device: dict) -> dict:
    """Second half: ask the token endpoint, every `interval` seconds, until the administrator
    has signed in and consented (or declined, or the code expired). The token answer."""
    interval = _seconds(device.get("interval"), 5, at_most=60)
    deadline = time.monotonic() + _seconds(device.get("expires_in"), 900, at_most=3600)
    form = {"grant_type": DEVICE_GRANT, "client_id": mailbox.oauth_client_id, "device_code": device["device_code"]}
    while True:
        status, answer = _post(mailbox.oauth_effective_token_url, form)
        if answer.get("error") == "authorization_pending" or answer.get("error") == "slow_down":
            interval += 5 if answer.get("error") == "slow_down" else 0
            if time.monotonic() + interval > deadline:
                raise ConsentError("the code expired before the sign-in was completed; run the command again")
            _wait(interval)
            continue
        return _consent_answer(status, answer, "the sign-in")


def authorization_request(mailbox: Mailbox, redirect_uri: str = LOOPBACK_REDIRECT) -> tuple[str, str, str]:
    """Google's authorization code flow with PKCE: (the address to open, the state, the verifier)."""
    state = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urlencode(
        {
            "client_id": mailbox.oauth_client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": mailbox.oauth_effective_scope,
            "access_type": "offline",  # a refresh token
            "prompt": "consent",  # a refresh token even when the user consented before
            "login_hint": mailbox.username,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{GOOGLE_AUTHORIZATION_URL}?{query}", state, verifier


def code_from_redirect(address: str, state: str) -> str:
    """The authorization code in the address the browser was sent back to."""
    query = parse_qs(urlsplit(address.strip()).query)
    if "error" in query:
        raise ConsentError(f"the consent was refused: {_clean(query['error'][0])}")
    if query.get("state", [""])[0] != state:
        raise ConsentError("that address belongs to another sign-in (its state differs): paste the latest one")
    code = query.get("code", [""])[0]
    if not code:
        raise ConsentError("no code in that address: copy the whole address from the browser's address bar")
    return code


def exchange_code(mailbox: Mailbox, code: str, verifier: str, redirect_uri: str = LOOPBACK_REDIRECT) -> dict:
    """The authorization code for tokens (the refresh token among them)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": mailbox.oauth_client_id,
        "code_verifier": verifier,
    }
    if mailbox.oauth_client_secret_env:
        form["client_secret"] = _env(mailbox.oauth_client_secret_env, "the client secret")
    status, answer = _post(mailbox.oauth_effective_token_url, form)
    return _consent_answer(status, answer, "the code exchange")
