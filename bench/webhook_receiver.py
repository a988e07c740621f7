"""A callback receiver for bench/webhooks.py: a bare ASGI app under uvicorn that verifies each
callback's Standard Webhooks signature and answers 204; `GET /count` tells how many distinct
events arrived, how many requests and how many failed verification.

    python bench/webhook_receiver.py PORT   (the secret in WEBHOOK_SECRET)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from standardwebhooks import Webhook

Scope = dict[str, Any]
Message = dict[str, Any]

verifier = Webhook(os.environ["WEBHOOK_SECRET"])
seen: set[str] = set()
totals = {"requests": 0, "forged": 0}


async def app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        answer = json.dumps({"distinct": len(seen), **totals}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": answer})
        return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    totals["requests"] += 1
    try:
        verifier.verify(body, headers)
    except Exception:
        totals["forged"] += 1
    else:
        seen.add(headers["webhook-id"])
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
