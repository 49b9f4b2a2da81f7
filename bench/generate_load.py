"""Benchmark: generate a district and load it into a store.

Data size: about 100,000 users by default (`--users` to change; 1,000,000 for the memory ceiling check).
Compared against: the targets of the project (100,000 users within 30 s; a million users under 1 GB of peak
RSS). Prints a table and writes bench/results/generate.json.

    python -m bench.generate_load [--users 100000] [--database sqlite:///path] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from rosterlab.server.generate import DistrictGenerator, DistrictPlan
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load

RESULTS = Path(__file__).parent / "results"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=None, help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    database = args.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='rosterlab-bench-')) / 'district.db'}"
    plan = DistrictPlan.for_users(args.users, seed=args.seed)

    started = time.perf_counter()
    generated = {entity: sum(1 for _ in stream) for entity, stream in DistrictGenerator(plan).streams().items()}
    generate_seconds = time.perf_counter() - started
    generate_rss = peak_rss_mb()

    started = time.perf_counter()
    loaded = load(connect(database), DistrictGenerator(plan).streams(), bulk=True)
    load_seconds = time.perf_counter() - started
    assert loaded == generated, "the load wrote a different number of records than were generated"

    figures = {
        "users_requested": args.users,
        "users": loaded["user"],
        "records": sum(loaded.values()),
        "enrollments": loaded["enrollment"],
        "generate_seconds": round(generate_seconds, 2),
        "generate_and_load_seconds": round(load_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_after_generate_only_mb": round(generate_rss, 1),
        "database": database.split("://")[0],
        "target_100k_users_seconds": 30,
        "target_1m_users_peak_rss_mb": 1024,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "generate.json").write_text(json.dumps(figures, indent=2) + "\n")
    size = f"{loaded['user']:,} users ({figures['records']:,} records)"
    print(f"generate and load a district of {size} into {figures['database']}")
    print(f"  {'generate only (stream, count)':<38} {generate_seconds:8.2f} s")
    print(f"  {'generate and load (one transaction)':<38} {load_seconds:8.2f} s")
    print(f"  {'peak RSS':<38} {figures['peak_rss_mb']:8.1f} MB")
    if args.users <= 100_000:
        verdict = "met" if load_seconds <= 30 else "NOT met"
        print(f"  target: {args.users:,} users within 30 s -> {verdict}")
    else:
        verdict = "met" if figures["peak_rss_mb"] < 1024 else "NOT met"
        print(f"  target: peak RSS under 1 GB -> {verdict}")
    print(f"  figures written to {RESULTS / 'generate.json'}")


if __name__ == "__main__":
    main()
