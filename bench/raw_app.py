"""The ceiling: a minimal ASGI application that answers every request with the same bytes from memory
(the file named by ROSTERLAB_BENCH_BODY), for `uvicorn bench.raw_app:app`."""

from __future__ import annotations

import os
from pathlib import Path

BODY = Path(os.environ["ROSTERLAB_BENCH_BODY"]).read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
