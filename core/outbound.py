"""The one client for every outgoing HTTP call the helpdesk makes (Slack alerts, OAuth token
requests, webhooks), guarded against being turned on the helpdesk's own network.

A URL someone typed into a form (an SLA policy's Slack webhook, a mailbox's token endpoint)
must not make the worker POST ticket data to the cloud metadata service, to Redis on
loopback, or to any port of the private network, nor tell the typist what answered there.
So, for every request:

1. **Scheme**: https only; http too when DEBUG is on or the host is on the allowlist.
2. **Addresses**: the host name is resolved, and every address it resolves to must be public:
   loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, where the metadata services
   answer, and fe80::/10), carrier-grade NAT, multicast, reserved, unspecified, documentation
   and IPv4-mapped forms of those are refused, as are the metadata addresses by name.
3. **No DNS rebinding**: the connection goes to the address that was checked (the TLS
   certificate is still verified against the host name), never to a second lookup's answer.
4. **Bounded**: `timeout` bounds the connection and every wait, and the whole exchange must
   end within it; an answer's body is read up to `max_body` bytes and no further.
5. **Redirects are not followed**: the answer (3xx included) goes back to the caller. No
   caller needs one, and a redirect is how a checked URL would reach an unchecked one.

OUTGOING_URL_ALLOWLIST (comma-separated `host` or `host:port`) lifts checks 1 and 2 for the
hosts an operator names on purpose: a chat server on the office network, a receiver on
localhost in tests. Nothing else does.

A refused call raises `Refused`, whose message names the rule and never anything that came
back from the network: callers record it as "refused by policy".

Connections are kept alive, one per (scheme, host, port) per process and thread: a new TCP
and TLS connection for every Slack alert cost more than the alert (issue 8). Reuse never
re-sends a request: a kept connection the server closed while idle is replaced before use;
after an error or a timeout the connection is dropped, so a late answer to one request is
never read as the next one's; a connection opened before a fork is never used by the child.
Where an HTTP(S) proxy is configured for the URL (HTTPS_PROXY/HTTP_PROXY, as urllib reads
them), the request goes through urllib's proxy handling, without reuse, after the same checks
where the name resolves here (behind an egress proxy it may resolve only there); the proxy
then resolves the name itself, so point 3 holds only without a proxy.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import select
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from django.conf import settings
from django.core.exceptions import ValidationError

# Answers longer than this are not read to the end; the connection is dropped instead.
MAX_BODY = 64 * 1024

# Cloud metadata services, refused whatever the address checks say of them.
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(value)
    for value in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "168.63.129.16")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: someone's private network


class Refused(Exception):
    """The URL or the address it resolves to is not one the helpdesk may call."""


class Unresolvable(Refused):
    """The host name does not resolve (now)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes = b""
    complete: bool = True  # False: the body was longer than max_body, and cut there


# --- Checks ----------------------------------------------------------------------------------


def _allowlist() -> set[str]:
    value = getattr(settings, "OUTGOING_URL_ALLOWLIST", [])
    entries = value.split(",") if isinstance(value, str) else value
    return {entry.strip().lower() for entry in entries if entry and entry.strip()}


def allowlisted(host: str, port: int) -> bool:
    allowed = _allowlist()
    host = host.lower().strip("[]")
    return host in allowed or f"{host}:{port}" in allowed or f"[{host}]:{port}" in allowed


def address_refusal(address: str) -> str:
    """Why the helpdesk may not connect to this IP address ("" when it may)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return f"{ip} is a shared (carrier-grade NAT) address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return f"{ip} is a private or reserved address"
    return ""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    trusted: bool  # allowlisted: no address check


def parse(url: str) -> Target:
    """Check what can be checked without the network (point 1); raise Refused."""
    try:
        parts = urllib.parse.urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise Refused("the URL cannot be read") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https"):
        raise Refused("only http(s) URLs can be called")
    if not host:
        raise Refused("the URL names no host")
    if parts.username or parts.password:
        raise Refused("the URL must not carry a user name or password")
    port = port or (443 if scheme == "https" else 80)
    trusted = allowlisted(host, port)
    if scheme == "http" and not (settings.DEBUG or trusted):
        raise Refused("only https URLs can be called (http needs the host in OUTGOING_URL_ALLOWLIST)")
    if not trusted and (host in _METADATA_HOSTS or host.endswith(".internal") or host == "localhost"):
        raise Refused(f"{host} is an internal host name")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port, path, trusted)


def resolve(target: Target) -> list[tuple]:
    """getaddrinfo's answers for the target, every one of them allowed (point 2); Refused
    when any is not (a name that also resolves to 10.0.0.1 is refused whichever comes
    first) or when the name does not resolve."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"{target.host} could not be resolved") from error
    if not answers:
        raise Unresolvable(f"{target.host} could not be resolved")
    if not target.trusted:
        for answer in answers:
            reason = address_refusal(answer[4][0])
            if reason:
                raise Refused(f"{target.host} resolves to {reason}")
    return answers


def check_url(url: str, *, resolve_name: bool = True) -> None:
    """Raise Refused unless the helpdesk may call `url`. With `resolve_name=False` (a form's
    check) a name that does not resolve passes: it is checked again when called."""
    target = parse(url)
    if target.trusted:
        return
    try:
        literal = ipaddress.ip_address(target.host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        reason = address_refusal(str(literal))
        if reason:
            raise Refused(reason)
        return
    try:
        resolve(target)
    except Unresolvable:
        if resolve_name:
            raise


def validate_url(value: str) -> None:
    """A model field's validator: the URL is one the helpdesk may call (check_url, without
    insisting that the name resolves now). The message names the rule."""
    if not value:
        return
    try:
        check_url(value, resolve_name=False)
    except Refused as error:
        raise ValidationError(f"This URL cannot be called: {error}.", code="outgoing_url_refused") from None


# --- Connections to the checked address (point 3) ------------------------------------------


def _connect(target: Target, timeout: float) -> socket.socket:
    last: OSError | None = None
    for family, kind, proto, _, address in resolve(target):
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            return sock
        except OSError as error:
            sock.close()
            last = error
    raise last or OSError(f"could not connect to {target.host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:  # every (re)connection resolves and checks again
        self.sock = _connect(self.target, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()  # certificates verified against the host name
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.target = target

    def connect(self) -> None:
        sock = _connect(self.target, self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.target.host)


# --- Kept-alive connections ----------------------------------------------------------------

_local = threading.local()


def _connections() -> dict[tuple[str, str, int], http.client.HTTPConnection]:
    pid = os.getpid()
    if getattr(_local, "pid", None) != pid:  # a fresh thread, or a child forked with the parent's
        _local.pid = pid
        _local.connections = {}
    return _local.connections


def close_all() -> None:
    """Close this thread's kept connections (tests, or a worker shutting down)."""
    for connection in _connections().values():
        connection.close()
    _connections().clear()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """True when an idle kept connection can no longer be used (the server closed it)."""
    sock = connection.sock
    if sock is None:
        return False  # not connected: http.client connects on the next request
    # Nothing is owed on an idle connection: readable means end of file, a reset, or bytes
    # that belong to no request. Either way it is not safe to send on.
    try:
        if hasattr(select, "poll"):  # no limit on the descriptor's number, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    connections = _connections()
    key = (target.scheme, target.host, target.port)
    connection = connections.get(key)
    if connection is not None and (_dropped(connection) or connection.target != target):
        connection.close()  # http.client opens a new one on the next request
        if connection.target != target:  # the allowlist changed: checked afresh
            connection = None
    if connection is None:
        kind = _GuardedHTTPSConnection if target.scheme == "https" else _GuardedHTTPConnection
        connection = kind(target, timeout)
        connections[key] = connection
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    return connection


def _forget(key: tuple[str, str, int]) -> None:
    connection = _connections().pop(key, None)
    if connection is not None:
        connection.close()


# --- Through a configured proxy --------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx answer goes back to the caller


def _through_proxy(
    url: str, method: str, body: bytes | None, headers: dict[str, str], timeout: float, max_body: int
) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - http(s) only, checked
    try:
        # A fresh opener: urlopen's shared one keeps the proxies of the moment it was built.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(urllib.request.getproxies()), _NoRedirects())
        with opener.open(request, timeout=timeout) as response:  # nosec B310  # http(s) only, checked
            data = response.read(max_body + 1)
            return Answer(response.status, response.headers, data[:max_body], len(data) <= max_body)
    except urllib.error.HTTPError as error:
        data = error.read(max_body + 1) if error.fp else b""
        return Answer(error.code, error.headers, data[:max_body], len(data) <= max_body)
    except urllib.error.URLError as error:
        reason = error.reason
        raise reason if isinstance(reason, OSError) else OSError(str(reason)) from error


def _proxied(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    return parts.scheme.lower() in proxies and not urllib.request.proxy_bypass(parts.netloc)


# --- The entry point -------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
    max_body: int = MAX_BODY,
) -> Answer:
    """Send one request to `url` and return the answer, whatever its status (3xx included).

    Raises Refused when the URL or its address is not allowed (nothing was sent), and OSError
    (a timeout included) or http.client.HTTPException when no answer came.
    """
    target = parse(url)
    headers = dict(headers or {})
    if _proxied(url):
        if not target.trusted:
            # The same checks; the proxy resolves the name again itself. Behind an egress proxy
            # names may resolve only there: then the proxy decides.
            with contextlib.suppress(Unresolvable):
                resolve(target)
        return _through_proxy(url, method, body, headers, timeout, max_body)
    key = (target.scheme, target.host, target.port)
    deadline = time.monotonic() + timeout
    connection = _connection(target, timeout)
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        data, complete = _read_body(response, max_body, deadline)
        if not response.isclosed():  # more body than we read: the connection cannot be reused
            _forget(key)
        return Answer(response.status, response.headers, data, complete)
    except BaseException:
        _forget(key)  # a late answer on this connection must never be read as another's
        raise


def _read_body(response: http.client.HTTPResponse, max_body: int, deadline: float) -> tuple[bytes, bool]:
    """At most max_body bytes of the body, read before the deadline; and whether that was all."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took too long")
        chunk = response.read(min(16384, max_body + 1 - size))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
        if size > max_body:
            return b"".join(chunks)[:max_body], False


def post(url: str, body: bytes, *, headers: dict[str, str], timeout: float, max_body: int = MAX_BODY) -> Answer:
    return request("POST", url, body=body, headers=headers, timeout=timeout, max_body=max_body)
