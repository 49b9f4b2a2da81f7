"""Benchmark: serving paged GETs, against a raw ASGI baseline on the same machine.

Data size: a generated district of 100,000 users (about 1,000,000 enrollments) by default (`--users`).
Compared against: a minimal ASGI app returning the same bytes from memory (the ceiling for Python here), and
the first page of the same collection (for deep offsets). The load generator (16 concurrent httpx clients)
runs on the same 2 cores as the server. Prints a table and writes bench/results/serve.json.

    python -m bench.serve [--users 100000] [--seconds 3] [--concurrency 16] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from bench.common import bearer, district_file, free_port, mock_sis, print_table, verdict, write_results
from bench.load import Load, run_load
from rosterlab.server.auth.demo import DEMO_OAUTH1
from rosterlab.server.generate import DISTRICT_SHAPE, DistrictGenerator, DistrictPlan
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load

POSTGRES_ADMIN = os.environ.get("ROSTERLAB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
USERS_1P2 = "/ims/oneroster/rostering/v1p2/users"
ENROLLMENTS_1P2 = "/ims/oneroster/rostering/v1p2/enrollments"
USERS_100 = "users, limit 100"
ENROLLMENTS_100 = "enrollments, limit 100"


def postgres_district(users: int, seed: int = 1) -> str | None:
    """A PostgreSQL database holding the district (created and loaded once, then reused); None if unreachable."""
    name = f"rosterlab_bench_{users}_{seed}_shape{DISTRICT_SHAPE}"
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return None
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = connect(url)
    with engine.connect() as connection:
        from sqlalchemy import func, select

        from rosterlab.server.store.tables import entity_table

        try:
            loaded = connection.execute(select(func.count()).select_from(entity_table("user"))).scalar_one()
        except Exception:
            loaded = 0
    if not loaded:
        print(f"loading the district into PostgreSQL database {name} (kept for later runs)...", flush=True)
        load(engine, DistrictGenerator(DistrictPlan.for_users(users, seed)).streams(), bulk=True)
    engine.dispose()
    return url


def oauth1_headers(url: str) -> dict[str, str]:
    client = Client(DEMO_OAUTH1.client_id, client_secret=DEMO_OAUTH1.secret, signature_method=SIGNATURE_HMAC_SHA256)
    _, headers, _ = client.sign(url, "GET")
    return {"Authorization": headers["Authorization"]}


def served_body(database_url: str, page: tuple[str, dict[str, str]]) -> bytes:
    """The bytes the mock answers for a page: what the raw baseline serves from memory."""
    with mock_sis(database_url) as base:
        path, params = page
        return httpx.get(f"{base}{path}", params=params, headers=bearer(base), timeout=60).content


def raw_baseline(body: bytes, workers: int, seconds: float, concurrency: int) -> Load:
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        port = free_port()
        env = {**os.environ, "ROSTERLAB_BENCH_BODY": file.name}
        command = [sys.executable, "-m", "uvicorn", "bench.raw_app:app", "--port", str(port), "--workers", str(workers),
                   "--log-level", "warning", "--no-access-log"]  # fmt: skip
        process = subprocess.Popen(command, env=env, cwd=Path(__file__).parent.parent)
        try:
            url = f"http://127.0.0.1:{port}/"
            for _ in range(100):
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            return run_load(url, lambda _: {}, seconds, concurrency)
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    path, counts = district_file(args.users)
    enrollments, users = counts["enrollment"], counts["user"]

    def last(total: int, limit: int) -> int:
        return max(0, (total - 1) // limit * limit)

    deep = f"enrollments, limit 100, last page (offset {last(enrollments, 100):,})"
    pages = {
        USERS_100: (USERS_1P2, {"limit": "100"}),
        f"users, limit 100, last page (offset {last(users, 100):,})": (
            USERS_1P2,
            {"limit": "100", "offset": str(last(users, 100))},
        ),
        "users, limit 1000": (USERS_1P2, {"limit": "1000"}),
        ENROLLMENTS_100: (ENROLLMENTS_1P2, {"limit": "100"}),
        deep: (ENROLLMENTS_1P2, {"limit": "100", "offset": str(last(enrollments, 100))}),
        "enrollments, limit 1000": (ENROLLMENTS_1P2, {"limit": "1000"}),
        f"enrollments, limit 1000, last page (offset {last(enrollments, 1000):,})": (
            ENROLLMENTS_1P2,
            {"limit": "1000", "offset": str(last(enrollments, 1000))},
        ),
    }
    sqlite = f"sqlite:///{path}"
    plans = [
        ("sqlite", sqlite, 1, "oauth2", list(pages)),
        ("sqlite", sqlite, 1, "oauth1", [USERS_100, deep]),
        ("sqlite", sqlite, 2, "oauth2", [USERS_100, deep]),
    ]
    postgres = None if args.no_postgresql else postgres_district(args.users)
    if postgres:
        plans += [("postgresql", postgres, workers, "oauth2", [USERS_100, ENROLLMENTS_100, deep]) for workers in (1, 2)]
    cells: list[dict] = []
    body = served_body(sqlite, pages[USERS_100])
    first_baselines = {workers: raw_baseline(body, workers, args.seconds, args.concurrency) for workers in (1, 2)}
    for database, url, workers, auth, names in plans:
        with mock_sis(url, workers) as base:
            token = bearer(base)
            for name in names:
                path_, params = pages[name]
                if auth == "oauth1":  # OAuth 1.0a is 1.1's method: the same page on the 1.1 path
                    path_ = path_.replace("/rostering/v1p2/", "/v1p1/")
                target = f"{base}{path_}?{httpx.QueryParams(params)}"
                sign = (lambda _u, t=token: t) if auth == "oauth2" else oauth1_headers
                started = time.perf_counter()  # the first request of a page may build what later ones reuse
                first = httpx.get(target, headers=sign(target), timeout=120)
                cold_ms = (time.perf_counter() - started) * 1000
                if first.status_code != 200:
                    raise RuntimeError(f"{name}: HTTP {first.status_code} from {target}")
                result = run_load(target, sign, args.seconds, args.concurrency)
                cells.append({"database": database, "workers": workers, "auth": auth, "page": name,
                              "requests_per_second": round(result.per_second, 1), "p50_ms": round(result.p50_ms, 2),
                              "p99_ms": round(result.p99_ms, 2), "first_request_ms": round(cold_ms, 1),
                              "errors": result.errors})  # fmt: skip
    # The load generator shares the cores, so one short run of the baseline is noisy: it runs at the start and
    # at the end of the served cells, and the better of the two is the ceiling.
    baselines = {
        workers: max(
            (first_baselines[workers], raw_baseline(body, workers, args.seconds, args.concurrency)),
            key=lambda result: result.per_second,
        )
        for workers in (1, 2)
    }
    for workers, result in baselines.items():
        cells.append({"database": "(memory)", "workers": workers, "auth": "none", "page": "raw baseline, same bytes",
                      "requests_per_second": round(result.per_second, 1), "p50_ms": round(result.p50_ms, 2),
                      "p99_ms": round(result.p99_ms, 2), "first_request_ms": None,
                      "errors": result.errors})  # fmt: skip

    def cell(database, workers, auth, page):
        return next(
            c for c in cells if (c["database"], c["workers"], c["auth"], c["page"]) == (database, workers, auth, page)
        )

    served = cell("sqlite", 1, "oauth2", USERS_100)["requests_per_second"]
    ceiling = baselines[1].per_second
    first = cell("sqlite", 1, "oauth2", ENROLLMENTS_100)["p50_ms"]
    last = cell("sqlite", 1, "oauth2", deep)["p50_ms"]
    targets = {
        "throughput_vs_raw_baseline": {
            "value": round(served / ceiling, 3),
            "target": ">= 0.60",
            "met": served >= 0.6 * ceiling,
        },
        "deep_offset_p50_vs_first_page": {
            "value": round(last / first, 2),
            "target": "<= 2.0",
            "met": last <= 2 * first,
        },
    }
    if postgres:
        one, two = (cell("postgresql", w, "oauth2", USERS_100)["requests_per_second"] for w in (1, 2))
        targets["postgresql_scale_out_2_vs_1_workers"] = {
            "value": round(two / one, 2) if one else None,
            "target": "> 1 (no set figure)",
            "met": two > one,
        }
    keys = ("database", "workers", "auth", "page", "requests_per_second", "p50_ms", "p99_ms", "first_request_ms",
            "errors")  # fmt: skip
    rows = [[c[key] for key in keys] for c in cells]
    title = (
        f"serve: {users:,} users, {enrollments:,} enrollments; load generator on the same 2 cores, "
        f"{args.concurrency} clients, {args.seconds:.0f} s a cell;\n"
        "first ms: the first request of that page to a freshly started server"
    )
    columns = ["database", "workers", "auth", "page", "req/s", "p50 ms", "p99 ms", "first ms", "errors"]
    print_table(title, columns, rows)
    for name, target in targets.items():
        print(f"  {name}: {target['value']} (target {target['target']}) -> {verdict(target['met'])}")
    written = write_results(
        "serve", {"users": counts["user"], "enrollments": enrollments, "cells": cells, "targets": targets}
    )
    print(f"  figures written to {written}")


if __name__ == "__main__":
    main()
