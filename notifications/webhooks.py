"""POSTs to webhooks over one kept-alive HTTP connection per host and worker process.

A new TCP (and TLS) connection for every message cost more than the message itself: a worker
delivering thousands of Slack alerts after a scan spent its time connecting. Here each process
(and thread) keeps one `http.client` connection per (scheme, host, port) and sends every
request to that host over it, for as long as the server keeps it open.

What reuse must not change:
- One request, one attempt. A request is never re-sent here: if a kept connection turns out
  to be dead when used, the error goes back to the caller as any network error does (the
  outbox retries the row after its backoff). Before it is reused, a connection the server
  has closed while it sat idle is noticed (its socket reads as ready: end of file) and
  replaced, so that case costs a reconnect, not a failed attempt.
- An answer belongs to its request. After an error or a timeout the connection is closed and
  forgotten, so a late answer to one request can never be read as the answer to the next.
- A connection is its process's own: one opened before a fork (Celery's prefork pool) is
  never used by the child.
- Where an HTTP(S) proxy is configured for the URL (HTTPS_PROXY/HTTP_PROXY, as urllib reads
  them), the request goes through urllib's proxy handling as before, without reuse.
"""

from __future__ import annotations

import http.client
import os
import select
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

# Bodies longer than this are not read to the end; the connection is dropped instead.
_MAX_BODY = 64 * 1024

_local = threading.local()


class Answer:
    """The status and headers of a webhook's answer (its body is read and dropped)."""

    def __init__(self, status: int, headers: Message) -> None:
        self.status = status
        self.headers = headers


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


def _connection(scheme: str, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    connections = _connections()
    key = (scheme, host, port)
    connection = connections.get(key)
    if connection is not None and _dropped(connection):
        connection.close()  # http.client opens a new one on the next request
    if connection is None:
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connections[key] = connection
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    return connection


def _forget(key: tuple[str, str, int]) -> None:
    connection = _connections().pop(key, None)
    if connection is not None:
        connection.close()


def _through_proxy(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - http(s) only, checked by the caller
    try:
        # A fresh opener: urlopen's shared one keeps the proxies of the moment it was built.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(urllib.request.getproxies()))
        with opener.open(request, timeout=timeout) as response:  # nosec B310  # http(s) only
            response.read(_MAX_BODY)
            return Answer(response.status, response.headers)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers)
    except urllib.error.URLError as error:
        reason = error.reason
        raise reason if isinstance(reason, OSError) else OSError(str(reason)) from error


def _proxied(parts: urllib.parse.SplitResult) -> bool:
    proxies = urllib.request.getproxies()
    return parts.scheme in proxies and not urllib.request.proxy_bypass(parts.netloc)


def post(url: str, body: bytes, *, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to an http(s) `url` and return the answer, whatever its status.

    Raises OSError (a timeout included) or http.client.HTTPException when no answer came.
    Redirects are not followed: a webhook that answers 3xx gets that status back.
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {scheme}")
    if _proxied(parts):
        return _through_proxy(url, body, headers, timeout)
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    key = (scheme, host, port)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    connection = _connection(scheme, host, port, timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        if response.length is not None and response.length <= _MAX_BODY:
            response.read()
        else:
            response.read(_MAX_BODY)
        if not response.isclosed():  # more body than we read: the connection cannot be reused
            _forget(key)
        return Answer(response.status, response.headers)
    except BaseException:
        _forget(key)  # a late answer on this connection must never be read as another's
        raise
