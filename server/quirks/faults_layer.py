"""The fault mix applied around the mock SIS, as an ASGI layer (see rosterlab.server.quirks.faults)."""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from rosterlab.server.errors import error_body, version_of_path
from rosterlab.server.quirks.asgi import ASGIApp, Receive, Scope, Send, answer, buffered, query_pairs
from rosterlab.server.quirks.faults import VIEW_REFRESH, Faults

COUNT_HEADERS = frozenset({b"x-total-count", b"link"})
USERS = re.compile(r"/ims/oneroster/(?:v1p1|rostering/v1p2)/users")


def _without_count_headers(send: Send) -> Send:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in COUNT_HEADERS]
            message = {**message, "headers": headers}
        await send(message)

    return sending


class FaultsLayer:
    """Wraps the mock SIS with seeded faults. Mid-pull, `change` alters the data set (`change_mid_pull=1`), or
    `refresh(offset, seed)` refreshes it as a materialised view would (`change_mid_pull=2`); each is called
    once."""

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        change: Callable[[], None] | None = None,
        refresh: Callable[[int, int], object] | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.change = change
        self.refresh = refresh
        self.seen: Counter[str] = Counter()
        self.bursts: dict[str, int] = {}
        self.uses: Counter[str] = Counter()
        self.expired: set[str] = set()
        self.changed = False

    def _dice(self, scope: Scope) -> random.Random:
        key = f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
        self.seen[key] += 1
        return random.Random(f"{self.faults.seed}|{key}|{self.seen[key]}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/ims/oneroster/"):
            await self.app(scope, receive, send)
            return
        f, path = self.faults, scope["path"]
        if f.change_mid_pull == VIEW_REFRESH:  # such providers never send a total, so the shift goes unseen
            send = _without_count_headers(send)
        dice = self._dice(scope)
        if f.latency:
            await asyncio.sleep(min(2.0, dice.lognormvariate(math.log(f.latency), 0.6) / 1000))
        if self._expired_token(scope):
            body = error_body(version_of_path(path), "unauthorisedrequest", "the access token expired")
            await answer(send, 401, body, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        if dice.random() < f.rate429:
            await answer(
                send,
                429,
                error_body(version_of_path(path), "server_busy", "slow down"),
                {"Retry-After": str(f.retry_after)},
            )
            return
        burst_key = path
        if self.bursts.get(burst_key, 0) == 0 and dice.random() < f.burst:
            self.bursts[burst_key] = f.burst_length
        if self.bursts.get(burst_key, 0) > 0:
            self.bursts[burst_key] -= 1
            await answer(send, 503, error_body(version_of_path(path), "server_busy", "temporarily unavailable"))
            return
        await self._change_mid_pull(scope)
        reset, truncate = dice.random() < f.reset, dice.random() < f.truncate
        if not (reset or truncate) or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        response = await buffered(self.app, scope, receive)
        if response.status != 200:
            await response.send(send)
            return
        cut = response.body[: len(response.body) // 2]
        if truncate:
            await response.send(send, cut)  # a complete HTTP response whose JSON stops half-way
            return
        response.set_header("content-length", str(len(response.body)))  # promises more than it sends
        await send({"type": "http.response.start", "status": 200, "headers": response.headers})
        await send({"type": "http.response.body", "body": cut, "more_body": True})
        # returning now leaves the response unfinished: the server drops the connection

    def _expired_token(self, scope: Scope) -> bool:
        if not self.faults.expire_token_after:
            return False
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if not authorization.startswith("Bearer "):
            return False
        if authorization in self.expired:
            return True
        self.uses[authorization] += 1
        if self.uses[authorization] > self.faults.expire_token_after:
            self.expired.add(authorization)
            return True
        return False

    async def _change_mid_pull(self, scope: Scope) -> None:
        if self.faults.change_mid_pull == VIEW_REFRESH:
            await self._refresh_mid_pull(scope)
            return
        if not self.faults.change_mid_pull or self.changed or self.change is None or scope["method"] != "GET":
            return
        if not scope["path"].endswith("/users"):  # the change adds a user: it lands while users are paged
            return
        if any(k == "offset" and v not in ("", "0") for k, v in query_pairs(scope)):
            self.changed = True
            await asyncio.get_running_loop().run_in_executor(None, self.change)

    async def _refresh_mid_pull(self, scope: Scope) -> None:
        # The refresh picks users by their place among all users in sourcedId order: it lands on the first page
        # past the start of a listing in that order, whose earlier places are those places.
        if self.changed or self.refresh is None or scope["method"] != "GET" or not USERS.fullmatch(scope["path"]):
            return
        query = dict(reversed(query_pairs(scope)))  # the first value of each parameter
        if query.get("filter") or query.get("sort", "sourcedId") != "sourcedId" or query.get("orderBy") == "desc":
            return
        offset = query.get("offset", "")
        if offset.isascii() and offset.isdigit() and len(offset) <= 10 and int(offset) > 0:
            self.changed = True
            refresh, seed = self.refresh, self.faults.seed
            await asyncio.get_running_loop().run_in_executor(None, lambda: refresh(int(offset), seed))
