"""A local webhook receiver for the tests: a real HTTP server on loopback."""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass


@dataclass
class Received:
    delivery: str
    event: str
    signature: str
    body: bytes
    headers: dict[str, str]
    answered: int  # the status it was answered with

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Records every POST; `responses` is consumed one per request, (status, headers, delay
    seconds); when it runs out `default` answers. `script`, when set, picks the answer
    from the request's body instead: a function (body dict) -> (status, headers, delay)."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, dict[str, str], float]] = []
        self.default: tuple[int, dict[str, str], float] = (200, {}, 0.0)
        self.script = None
        self.received: list[Received] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake.lock:
                    if fake.script is not None:
                        status, headers, delay = fake.script(json.loads(body))
                    else:
                        status, headers, delay = fake.responses.pop(0) if fake.responses else fake.default
                    fake.received.append(
                        Received(
                            delivery=self.headers.get("X-Helpdesk-Delivery", ""),
                            event=self.headers.get("X-Helpdesk-Event", ""),
                            signature=self.headers.get("X-Helpdesk-Signature", ""),
                            body=body,
                            headers=dict(self.headers.items()),
                            answered=status,
                        )
                    )
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/helpdesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
