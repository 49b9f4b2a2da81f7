"""`rosterlab check-csv`: every malformed bundle of the data tests is logged with its file, row and column;
valid bundles pass; the log has the certification shape."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rosterlab.conformance.csv_log import check_bundle
from rosterlab.server.csv.export import export_bundle
from tests.test_csv_bundles import MALFORMED


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_each_malformed_bundle_is_logged_where_it_is_wrong(demo_data, case):
    damage, (file, line, column, fragment) = MALFORMED[case]
    log = check_bundle(damage(export_bundle(demo_data, "1.2.1")), case)
    assert log.status == "fail" and file in log.files_rejected and log.files_imported == []
    assert any(
        c.file == file
        and (line is None or c.row == line)
        and (column is None or c.column == column)
        and fragment in c.comment
        for c in log.comments
    ), log.text()
    assert ("semantic" if case == "dangling reference" else "syntactic") in {c.kind for c in log.comments}


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.2.1"])
def test_valid_bundles_pass(demo_data, version):
    log = check_bundle(export_bundle(demo_data, version), f"bulk-{version}")
    assert log.status == "pass" and log.comments == [] and log.files_rejected == []
    assert "users.csv" in log.files_imported and log.version == version
    text = log.text()
    for label in ("Test identifier: bulk-", "Date: ", "Status: PASS", "Files imported: ", "Files rejected: none"):
        assert label in text


def test_the_command_logs_every_bundle_and_fails_on_any(tmp_path, demo_data):
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(export_bundle(demo_data, "1.2"))
    damage, _ = MALFORMED["bad date"]
    bad.write_bytes(damage(export_bundle(demo_data, "1.2")))
    command = [
        sys.executable,
        "-m",
        "rosterlab",
        "check-csv",
        str(good),
        str(bad),
        "--json",
        str(tmp_path / "log.json"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Test identifier: good.zip" in done.stdout and "Status: FAIL" in done.stdout
    logs = json.loads((tmp_path / "log.json").read_text())
    assert [log["status"] for log in logs] == ["pass", "fail"]
    alone = subprocess.run([*command[:4], str(good)], capture_output=True, text=True, timeout=60)
    assert alone.returncode == 0
