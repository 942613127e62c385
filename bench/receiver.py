"""A local Slack webhook for the delivery benchmark: counts requests and distinct notifications.

`python -m bench.receiver PORT`; on SIGTERM prints {"requests": N, "distinct": M} and exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from aiohttp import web


def main() -> None:
    port = int(sys.argv[1])
    seen: dict[str, int] = {}
    requests = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal requests
        body = await request.json()
        requests += 1
        key = body.get("text", "")
        seen[key] = seen.get(key, 0) + 1
        return web.Response(text="ok")

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"requests": requests, "distinct": len(seen)})

    async def serve() -> None:
        app = web.Application()
        app.add_routes([web.post("/hook", hook), web.get("/count", count)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(serve())
    print(json.dumps({"requests": requests, "distinct": len(seen)}))


if __name__ == "__main__":
    main()
