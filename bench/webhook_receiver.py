"""A local webhook receiver for the webhooks benchmark: verifies every signature, counts
deliveries by X-Helpdesk-Delivery and checks each ticket's events arrive in order.

`python -m bench.webhook_receiver PORT SECRET STATE [TIMEOUT_SECONDS]`. What it has seen is
loaded from and saved to STATE (JSON), so the benchmark can stop it (a receiver down) and
start it again without losing count; SIGTERM saves and exits. `POST /mode` with `ok`, `500`
or `timeout` sets how it answers: `timeout` holds each request past the sender's timeout
(TIMEOUT_SECONDS + 1) and never processes it. `GET /count` answers the counts so far.

A delivery is counted when it is processed: signature valid, answered 2xx. One processed
twice is a duplicate (the sender retried a delivery that had been answered).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import sys
import time
from pathlib import Path

from aiohttp import web


def main() -> None:
    port, secret, state_path = int(sys.argv[1]), sys.argv[2].encode(), Path(sys.argv[3])
    hold = float(sys.argv[4]) + 1 if len(sys.argv) > 4 else 11.0
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    processed: set[str] = set(state.get("processed", []))
    counts = {
        "requests": 0,
        "duplicates": 0,
        "bad_signatures": 0,
        "answered_500": 0,
        "held_past_timeout": 0,
        "out_of_order": 0,
        **state.get("counts", {}),
    }
    last_sequence: dict[str, int] = state.get("last_sequence", {})
    mode = {"now": "ok"}

    def signed(header: str, body: bytes) -> bool:
        fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        if abs(time.time() - int(fields.get("t", "0"))) > 300:
            return False
        expected = hmac.new(secret, f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("v1", ""))

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        counts["requests"] += 1
        if not signed(request.headers.get("X-Helpdesk-Signature", ""), body):
            counts["bad_signatures"] += 1
            return web.Response(status=400, text="bad signature")
        if mode["now"] == "500":
            counts["answered_500"] += 1
            return web.Response(status=500, text="down for maintenance")
        if mode["now"] == "timeout":
            counts["held_past_timeout"] += 1
            await asyncio.sleep(hold)
            return web.Response(status=503, text="too late")
        delivery = request.headers["X-Helpdesk-Delivery"]
        if delivery in processed:
            counts["duplicates"] += 1
        processed.add(delivery)
        data = json.loads(body)["data"]
        key, sequence = str(data["ticket"]["id"]), data["sequence"]
        if sequence < last_sequence.get(key, -1):
            counts["out_of_order"] += 1
        last_sequence[key] = max(sequence, last_sequence.get(key, -1))
        return web.Response(text="ok")

    async def set_mode(request: web.Request) -> web.Response:
        mode["now"] = (await request.text()).strip()
        return web.Response(text=mode["now"])

    async def count(request: web.Request) -> web.Response:
        return web.json_response({**counts, "processed": len(processed)})

    async def serve() -> None:
        app = web.Application()
        app.add_routes([web.post("/hook", hook), web.post("/mode", set_mode), web.get("/count", count)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.shutdown()
        await runner.cleanup()

    asyncio.run(serve())
    state_path.write_text(
        json.dumps({"processed": sorted(processed), "counts": counts, "last_sequence": last_sequence})
    )
    print(json.dumps({**counts, "processed": len(processed)}))


if __name__ == "__main__":
    main()
