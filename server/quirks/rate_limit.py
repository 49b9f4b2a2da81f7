"""A fixed-window request limit per client address, answered the way express-rate-limit answers it (Ed-Fi's
OneRoster API uses it in front of every OneRoster route, before the token is checked)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = 60.0  # seconds
REFUSAL = b"Too many requests, please try again later."


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass, and the RateLimit headers of its response."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """At most `limit` requests per client address in each window of `WINDOW` seconds."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.windows: dict[str, tuple[float, int]] = {}

    def admit(self, address: str) -> Verdict:
        """Count one request from `address`."""
        now = self.clock()
        started, count = self.windows.get(address, (now, 0))
        if now - started >= WINDOW:
            started, count = now, 0
        count += 1
        self.windows[address] = (started, count)
        reset = max(1, math.ceil(started + WINDOW - now))
        headers = {
            "RateLimit-Policy": f"{self.limit};w={int(WINDOW)}",
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.limit - count)),
            "RateLimit-Reset": str(reset),
        }
        if count > self.limit:
            return Verdict(False, {**headers, "Retry-After": str(reset)})
        return Verdict(True, headers)
