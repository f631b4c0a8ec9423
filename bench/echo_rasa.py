"""A Rasa REST stand-in that answers at once: isolates the gateway's own cost in `bench/load.py`.

    .venv/bin/python bench/echo_rasa.py 5099 &
    RASA_URL=http://127.0.0.1:5099 HELPDESK_PORT=8099 HELPDESK_DB=/tmp/gw.db .venv/bin/helpdesk gateway &
    .venv/bin/python bench/load.py http://127.0.0.1:8099 -n 50 --think 0.5,1.5

Only for measuring: the real figures come from `helpdesk up` with the real bot.
"""
from __future__ import annotations

import sys

from aiohttp import web


async def webhook(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response([{"recipient_id": body["sender"], "text": f"echo: {body['message'][:200]}"}])


async def status(request: web.Request) -> web.Response:
    return web.json_response({"model_file": "echo"})


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5099
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/status", status)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
