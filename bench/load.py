"""A small load generator: N concurrent clients repeat one GET for a while; throughput and latencies.

It runs on the same machine as the server (and shares its cores), which every figure it gives includes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(url: str, headers: Callable[[str], dict[str, str]], seconds: float = 4.0, concurrency: int = 16) -> Load:
    """Hammer `url` for `seconds` with `concurrency` clients; `headers(url)` signs each request."""
    return asyncio.run(_run(url, headers, seconds, concurrency))


async def _run(url: str, headers, seconds: float, concurrency: int) -> Load:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await client.get(url, headers=headers(url))  # warm up: connections, caches
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url, headers=headers(url))
                if response.status_code != 200:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return Load(len(latencies), errors, elapsed, statistics.median(ordered) * 1000 if ordered else 0.0, p99 * 1000)
