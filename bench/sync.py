"""Benchmark: a full sync of a district over loopback, then a delta after a 1 % change.

Data size: a generated district of 100,000 users (about 1,000,000 enrollments) by default (`--users`).
Compared against: the targets (full sync within 60 s; the delta within 10 % of the full sync's time; peak
RSS of the sync process within 500 MB). The mock SIS (SQLite, one worker) runs on the same 2 cores.
Prints a table and writes bench/results/sync.json.

    python -m bench.sync [--users 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.common import district_file, fresh_copy, mock_sis, peak_rss_mb, print_table, verdict, write_results
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.churn import set_record
from rosterlab.server.store.database import connect
from rosterlab.server.store.tables import ENTITY_TABLES


def timed_sync(database: str, *args: str) -> tuple[float, float]:
    """Run `rosterlab sync run` in its own process: seconds, and the peak RSS of the largest child so far."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rosterlab", "sync", "run", "bench", "--no-progress",
                           "--database", database, *args], capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise RuntimeError(f"the sync failed: {done.stderr[-2000:]}")
    return seconds, peak_rss_mb(children=True)


def change_one_percent(url: str) -> int:
    """Rename 1 % of the users (each a dated change the delta must carry)."""
    engine = connect(url)
    table = ENTITY_TABLES["user"]
    with engine.connect() as connection:
        documents = [row[0] for row in connection.execute(select(table.c.v1p2).order_by(table.c.sourced_id))]
    chosen = documents[::100]
    for document in chosen:
        record = {k: v for k, v in document.items() if k not in ("status", "dateLastModified")}
        set_record(engine, "user", {**record, "givenName": record.get("givenName", "") + " Jr."})
    engine.dispose()
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    path, counts = district_file(args.users)
    with tempfile.TemporaryDirectory(prefix="rosterlab-bench-sync-") as folder:
        served = fresh_copy(path, Path(folder))
        local = f"sqlite:///{Path(folder) / 'consumer.db'}"
        with mock_sis(served) as url:
            subprocess.run([sys.executable, "-m", "rosterlab", "sync", "connection", "add", "bench", "--url", url,
                            "--version", "1.2", "--client-id", DEMO_OAUTH2.client_id, "--client-secret",
                            DEMO_OAUTH2.secret, "--guard-count", "1000000000", "--database", local],
                           check=True, capture_output=True)  # fmt: skip
            full, full_rss = timed_sync(local)
            changed = change_one_percent(served)
            delta, delta_rss = timed_sync(local, "--delta")
    targets = {
        "full_sync_seconds": {"value": round(full, 1), "target": "<= 60", "met": full <= 60},
        "delta_vs_full": {"value": round(delta / full, 3), "target": "<= 0.10", "met": delta <= 0.10 * full},
        "peak_rss_mb": {
            "value": round(max(full_rss, delta_rss), 1),
            "target": "<= 500",
            "met": max(full_rss, delta_rss) <= 500,
        },
    }
    rows = [["full sync", f"{sum(counts.values()):,} records", f"{full:.1f}", f"{full_rss:.0f}"],
            ["delta sync", f"{changed:,} users changed", f"{delta:.1f}", f"{delta_rss:.0f}"]]  # fmt: skip
    title = (
        f"sync: {counts['user']:,} users, {counts['enrollment']:,} enrollments over loopback (mock on the same cores)"
    )
    print_table(title, ["run", "size", "seconds", "peak RSS MB"], rows)
    for name, target in targets.items():
        print(f"  {name}: {target['value']} (target {target['target']}) -> {verdict(target['met'])}")
    written = write_results("sync", {"users": counts["user"], "records": sum(counts.values()), "changed_users": changed,
                                     "full_seconds": full, "delta_seconds": delta, "targets": targets})  # fmt: skip
    print(f"  figures written to {written}")


if __name__ == "__main__":
    main()
