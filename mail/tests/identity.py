"""A local OAuth2 identity provider for the tests: a token endpoint and an introspection
endpoint, served by http.server in a thread.

The helpdesk asks /token for access tokens (client-credentials or refresh-token grant, a form
POST as Microsoft's and Google's token endpoints take it); the test dovecot's oauth2 passdb
asks /introspect whether a token presented over XOAUTH2 is valid, and for whom. So the test
decides which tokens work: an app registered for a user gets tokens for that user; a token
revoked here is refused by dovecot; a refresh token revoked here gets `invalid_grant`.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

# What Microsoft answers to a refresh token revoked by a password change (shortened).
REVOKED = (
    "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. "
    "The user might have changed or reset their password.\r\nTrace ID: 0000\r\nCorrelation ID: 1111"
)


@dataclass
class App:
    secret: str
    user: str


@dataclass
class Grant:
    client_id: str
    user: str
    rotate: bool = False  # answer with a new refresh token each time (as Microsoft does)


@dataclass
class IdentityProvider:
    """The scripted provider; `url` is its base (http://127.0.0.1:<port>)."""

    url: str = ""
    expires_in: int = 3600
    apps: dict[str, App] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> user
    # Every token request's form, in order.
    requests: list[dict[str, str]] = field(default_factory=list)
    # Scripted answers to the next token requests: (status, JSON body or raw bytes).
    answers: list[tuple[int, dict | bytes]] = field(default_factory=list)
    # The consent flows: device codes (Microsoft) -> {client_id, user once approved};
    # authorization codes (Google) -> {client_id, user, challenge, redirect_uri}.
    devices: dict[str, dict] = field(default_factory=dict)
    codes: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def introspection_url(self) -> str:
        return f"{self.url}/introspect"

    def register_app(self, user: str) -> tuple[str, str]:
        """An app allowed to read this user's mailbox with the client-credentials grant: (id, secret)."""
        client_id, secret = f"app-{secrets.token_hex(6)}", secrets.token_urlsafe(24)
        self.apps[client_id] = App(secret=secret, user=user)
        return client_id, secret

    def consent(self, client_id: str, user: str, *, rotate: bool = False) -> str:
        """The refresh token a user's consent gave this app."""
        token = f"rt-{secrets.token_urlsafe(24)}"
        self.grants[token] = Grant(client_id=client_id, user=user, rotate=rotate)
        return token

    def requests_of(self, client_id: str) -> list[dict[str, str]]:
        return [form for form in self.requests if form.get("client_id") == client_id]

    def revoke_access_tokens(self, user: str) -> None:
        with self.lock:
            self.tokens = {token: owner for token, owner in self.tokens.items() if owner != user}

    def approve_device(self, user_code: str, user: str) -> None:
        """The user signed in at the verification address, entered the code and allowed access."""
        with self.lock:
            [device] = [device for device in self.devices.values() if device["user_code"] == user_code]
            device["user"] = user

    def authorize(self, address: str, user: str) -> str:
        """What the browser does at the authorization address: the user signs in and allows
        access; the address it is sent back to, with the code and the state."""
        query = {key: values[0] for key, values in urllib.parse.parse_qs(urllib.parse.urlsplit(address).query).items()}
        assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
        assert query["access_type"] == "offline" and query["login_hint"] == user
        code = f"code-{secrets.token_urlsafe(12)}"
        with self.lock:
            self.codes[code] = {
                "client_id": query["client_id"],
                "user": user,
                "challenge": query["code_challenge"],
                "redirect_uri": query["redirect_uri"],
            }
        params = urllib.parse.urlencode({"state": query["state"], "code": code, "scope": query["scope"]})
        return f"{query['redirect_uri']}?{params}"

    # --- The endpoints ------------------------------------------------------------------

    def device_code(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("client_id") not in self.apps:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: unknown application"}
        device_code, user_code = secrets.token_urlsafe(24), secrets.token_hex(4).upper()
        with self.lock:
            self.devices[device_code] = {"client_id": form["client_id"], "user_code": user_code, "user": None}
        return 200, {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 5,
            "message": f"To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
            f"and enter the code {user_code} to authenticate.",
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict | bytes]:
        with self.lock:
            self.requests.append(form)
            if self.answers:
                return self.answers.pop(0)
            grant_type = form.get("grant_type")
            client_id = form.get("client_id", "")
            if grant_type == "client_credentials":
                app = self.apps.get(client_id)
                if app is None or form.get("client_secret") != app.secret:
                    return 401, {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    }
                return 200, self._issue(app.user)
            if grant_type == "refresh_token":
                grant = self.grants.get(form.get("refresh_token", ""))
                if grant is None or grant.client_id != client_id:
                    return 400, {"error": "invalid_grant", "error_description": REVOKED}
                answer = self._issue(grant.user)
                if grant.rotate:
                    rotated = f"rt-{secrets.token_urlsafe(24)}"
                    self.grants[rotated] = Grant(client_id=client_id, user=grant.user, rotate=True)
                    answer["refresh_token"] = rotated
                return 200, answer
            if grant_type == "urn:ietf:params:oauth:grant-type:device_code":
                device = self.devices.get(form.get("device_code", ""))
                if device is None or device["client_id"] != client_id:
                    return 400, {"error": "expired_token", "error_description": "AADSTS70020: expired"}
                if device["user"] is None:
                    return 400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending"}
                del self.devices[form["device_code"]]
                return 200, self._consented(client_id, device["user"])
            if grant_type == "authorization_code":
                code = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
                app = self.apps.get(client_id)
                if (
                    code is None
                    or code["client_id"] != client_id
                    or code["redirect_uri"] != form.get("redirect_uri")
                    or code["challenge"] != challenge
                    or app is None
                    or form.get("client_secret") != app.secret
                ):
                    return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
                return 200, self._consented(client_id, code["user"])
            return 400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant_type!r}"}

    def _consented(self, client_id: str, user: str) -> dict:
        refresh_token = f"rt-{secrets.token_urlsafe(24)}"
        self.grants[refresh_token] = Grant(client_id=client_id, user=user)
        return {**self._issue(user), "refresh_token": refresh_token}

    def _issue(self, user: str) -> dict:
        token = f"at-{secrets.token_urlsafe(24)}"
        self.tokens[token] = user
        return {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token}

    def introspect(self, form: dict[str, str]) -> tuple[int, dict]:
        with self.lock:
            user = self.tokens.get(form.get("token", ""))
        if user is None:
            return 200, {"active": False}
        return 200, {"active": True, "username": user, "exp": int(time.time()) + 3600}


def start(provider: IdentityProvider) -> http.server.ThreadingHTTPServer:
    """Serve the provider on a free localhost port (sets provider.url); shut it down when done."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}
            if self.path.startswith("/token"):
                status, answer = provider.token(form)
            elif self.path.startswith("/devicecode"):
                status, answer = provider.device_code(form)
            elif self.path.startswith("/introspect"):
                status, answer = provider.introspect(form)
            else:
                status, answer = 404, {"error": "not_found"}
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
