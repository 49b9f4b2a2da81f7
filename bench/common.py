"""What the benchmarks share: a cached generated district, mock SIS processes, results and tables."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.generate import DISTRICT_SHAPE, DistrictGenerator, DistrictPlan
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load

HERE = Path(__file__).parent
RESULTS = HERE / "results"
CACHE = HERE / ".cache"
SECRET_KEY_FILE = CACHE / "secret.key"


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its finished children), in MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def district_file(users: int, seed: int = 1) -> tuple[Path, dict[str, int]]:
    """A SQLite store of a generated district, built once and kept in bench/.cache; its record counts."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"district-{users}-{seed}-shape{DISTRICT_SHAPE}.db"
    counts_file = path.with_suffix(".json")
    if not path.exists() or not counts_file.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        print(f"building a district of {users:,} users (kept in {path} for later runs)...", flush=True)
        counts = load(
            connect(f"sqlite:///{partial}"), DistrictGenerator(DistrictPlan.for_users(users, seed)).streams(), bulk=True
        )
        counts_file.write_text(json.dumps(counts))
        partial.rename(path)
    return path, json.loads(counts_file.read_text())


def fresh_copy(source: Path, folder: Path) -> str:
    """A SQLite URL of a private copy of a store (benchmarks that write must not touch the cache)."""
    target = folder / source.name
    shutil.copy(source, target)
    return f"sqlite:///{target}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mock_sis(database_url: str, workers: int = 1, *extra: str) -> Iterator[str]:
    """`rosterlab serve` on a free port over `database_url`, with the demo clients; yields its URL."""
    port = free_port()
    env = {**os.environ, "ROSTERLAB_SECRET_KEY_FILE": str(SECRET_KEY_FILE)}
    command = [sys.executable, "-m", "rosterlab", "serve", "--demo", "--database", database_url, "--port", str(port),
               "--workers", str(workers), "--secret-key-file", str(SECRET_KEY_FILE), *extra]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"}, timeout=2,
                           auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)).raise_for_status()  # fmt: skip
                break
            except (httpx.TransportError, httpx.HTTPStatusError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the mock did not start: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def bearer(url: str) -> dict[str, str]:
    """An Authorization header with a demo OAuth 2.0 token."""
    response = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret))  # fmt: skip
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def write_results(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console(width=150).print(table)
