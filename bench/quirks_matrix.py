"""Benchmark: the quirk matrix, longer: every profile x {no faults, the fault mix under several seeds}, and
every quirk cell (tests/quirk_matrix.py, QUIRK_CELLS) under several seeds.

Data size: a generated district of about 2,000 users by default (`--users`), synced in full over loopback.
Compared against: each cell's expected outcome (tests/quirk_matrix.py), and the time of the same profile
without faults (of the strict profile, for quirk cells). A cell that fails where it was expected to be equal
is acceptable only as a clean failure (nothing applied, the cause named, e.g. retries exhausted by a fault
burst); a different or partial store never is. Prints a table and writes bench/results/quirks_matrix.json;
exits 1 on any unclean cell.

    python -m bench.quirks_matrix [--users 2000] [--seeds 3] [--page-size 100]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rosterlab.server.generate import DistrictGenerator, DistrictPlan
from rosterlab.server.quirks.faults import MIX
from tests.quirk_matrix import MATRIX, QUIRK_CELLS, run_cell, run_quirk_cell

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    # The reset fault leaves responses unfinished on purpose; uvicorn reports each one as an error.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    plan = DistrictPlan.for_users(args.users, seed=1)
    data = {entity: list(stream) for entity, stream in DistrictGenerator(plan).streams().items()}
    mixes = [None, *(replace(MIX, seed=seed) for seed in range(1, args.seeds + 1))]
    outcomes, labels = [], []
    for profile in MATRIX:
        for faults in mixes:
            with tempfile.TemporaryDirectory(prefix="rosterlab-matrix-") as folder:
                outcomes.append(run_cell(Path(folder), profile, faults, data, page_size=args.page_size, backoff=0.2))
            labels.append("none" if faults is None else f"mix seed {faults.seed}")
    for name in QUIRK_CELLS:
        for seed in range(1, args.seeds + 1):
            with tempfile.TemporaryDirectory(prefix="rosterlab-matrix-") as folder:
                cell = run_quirk_cell(Path(folder), name, data, page_size=args.page_size, backoff=0.2, seed=seed)
            outcomes.append(cell)
            labels.append(f"quirk seed {seed}")
    calm = {o.profile: o.seconds for o in outcomes if o.faults == "none"}
    table = Table(title=f"quirk matrix: {len(data['user'])} users, {len(data['enrollment'])} enrollments, full syncs")
    for column in ("profile", "faults", "expected", "result", "as expected", "seconds", "x no faults"):
        table.add_column(column)
    for o, label in zip(outcomes, labels, strict=True):
        verdict = "yes" if o.as_expected else ("clean failure" if o.clean else "NO")
        table.add_row(o.profile, label, o.expected[:30], o.result[-48:], verdict,
                      f"{o.seconds:.1f}", f"{o.seconds / calm.get(o.profile, calm['strict']):.1f}")  # fmt: skip
    Console(width=160).print(table)
    RESULTS.mkdir(exist_ok=True)
    figures = {
        "users": len(data["user"]),
        "enrollments": len(data["enrollment"]),
        "page_size": args.page_size,
        "cells": [asdict(o) | {"as_expected": o.as_expected, "clean": o.clean} for o in outcomes],
        "as_expected": sum(o.as_expected for o in outcomes),
        "clean_failures": sum(o.clean and not o.as_expected for o in outcomes),
        "unclean": sum(not o.clean for o in outcomes),
    }
    (RESULTS / "quirks_matrix.json").write_text(json.dumps(figures, indent=2))
    print(f"wrote {RESULTS / 'quirks_matrix.json'}")
    print(f"{figures['as_expected']} of {len(outcomes)} cells as expected, {figures['clean_failures']} clean failures, "
          f"{figures['unclean']} unclean")  # fmt: skip
    sys.exit(0 if figures["unclean"] == 0 else 1)


if __name__ == "__main__":
    main()
