"""Benchmark: exporting and importing a district's CSV bundle, against a plain csv.reader pass.

Data size: a generated district of 100,000 users by default (`--users`), as a OneRoster 1.2.1 bulk bundle.
Compared against: reading every file of the same bundle with the standard library's csv.reader (unzip, decode,
split rows), the floor for any CSV work in Python; target: export and import each within 3x of it.
Prints a table and writes bench/results/csv.json.

    python -m bench.csv_io [--users 100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import district_file, print_table, verdict, write_results
from rosterlab.server.csv.export import export_store
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.store.database import connect


def plain_read(bundle: bytes) -> int:
    """Every row of every file, with csv.reader: the baseline."""
    rows = 0
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for name in archive.namelist():
            rows += sum(1 for _ in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    path, counts = district_file(args.users)
    started = time.perf_counter()
    bundle = export_store(connect(f"sqlite:///{path}"), "1.2.1")
    export_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rows = plain_read(bundle)
    baseline = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="rosterlab-bench-csv-") as folder:
        started = time.perf_counter()
        report = import_bundle(connect(f"sqlite:///{Path(folder) / 'imported.db'}"), bundle)
        import_seconds = time.perf_counter() - started
    if not report.applied:
        raise RuntimeError(f"the exported bundle did not import: {report.issues[:3]}")
    targets = {
        "export_vs_csv_reader": {
            "value": round(export_seconds / baseline, 2),
            "target": "<= 3",
            "met": export_seconds <= 3 * baseline,
        },
        "import_vs_csv_reader": {
            "value": round(import_seconds / baseline, 2),
            "target": "<= 3",
            "met": import_seconds <= 3 * baseline,
        },
    }
    rows_table = [
        ["csv.reader over the bundle (baseline)", f"{baseline:.2f}"],
        ["export (store -> bundle)", f"{export_seconds:.2f}"],
        ["import (bundle -> empty store, validated)", f"{import_seconds:.2f}"],
    ]
    print_table(f"csv: {counts['user']:,} users, {rows:,} CSV rows, {len(bundle) / 1e6:.1f} MB zipped (1.2.1 bulk)",
                ["step", "seconds"], rows_table)  # fmt: skip
    for name, target in targets.items():
        print(f"  {name}: {target['value']} (target {target['target']}) -> {verdict(target['met'])}")
    written = write_results("csv", {"users": counts["user"], "csv_rows": rows, "bundle_bytes": len(bundle),
                                    "baseline_seconds": baseline, "export_seconds": export_seconds,
                                    "import_seconds": import_seconds, "targets": targets})  # fmt: skip
    print(f"  figures written to {written}")


if __name__ == "__main__":
    main()
