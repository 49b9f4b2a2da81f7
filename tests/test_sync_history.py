"""The history says what happened, and usage errors say which flag (issue 18, kinds 10 and 12): an approval
(or rejection) of held deletions is a line of the history; a CSV delta bundle makes a delta sync, titled so;
`sync run` of an upload connection without `--file` exits 2 naming the flag; the library refuses an unknown
connection name in words."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rosterlab.consumer.actions import reject_held
from rosterlab.consumer.cli import sync_group
from rosterlab.consumer.connections import find
from rosterlab.consumer.errors import UnknownConnection
from rosterlab.consumer.runner import run_connection
from rosterlab.consumer.store import connect_store
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.csv.export import export_bundle, export_store
from rosterlab.server.demo import demo_district
from tests.quirk_matrix import district, quirky, serving


def cli(database: str, *args: str):
    return CliRunner().invoke(sync_group, [*args, "--database", database])


def history(database: str, name: str) -> list[str]:
    listed = cli(database, "history", name)
    assert listed.exit_code == 0, listed.output
    return [line for line in listed.stdout.splitlines() if line[:1].isdigit()]


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decision_on_held_deletions_is_a_line_of_the_history(tmp_path, decision):
    data = demo_district()
    sis = district(tmp_path / "sis.db", data)
    database = f"sqlite:///{tmp_path / 'local.db'}"
    with serving(sis, quirky()) as live:
        added = cli(database, "connection", "add", "d", "--url", live.url, "--client-id", DEMO_OAUTH2.client_id,
                    "--client-secret", DEMO_OAUTH2.secret, "--version", "1.2")  # fmt: skip
        assert added.exit_code == 0 and cli(database, "run", "d").exit_code == 0
        for user in data["user"][:40]:
            delete_record(sis, "user", user["sourcedId"])
        assert cli(database, "run", "d").exit_code == 3
    if decision == "approve":
        assert "applied" in cli(database, "approve", "d").stdout
    else:
        assert reject_held(connect_store(database), "d") > 0
    lines = history(database, "d")
    assert len(lines) == 3 and decision in lines[0] and "held" in lines[1]
    shown = cli(database, "history", "d").stdout
    assert ("deleted 40" if decision == "approve" else "kept 40") in shown


def test_a_csv_delta_upload_is_a_delta_sync(tmp_path):
    data = demo_district()
    sis = district(tmp_path / "sis.db", data)
    database = f"sqlite:///{tmp_path / 'local.db'}"
    bulk, delta = tmp_path / "bulk.zip", tmp_path / "delta.zip"
    bulk.write_bytes(export_bundle(data, "1.2"))
    since = set_record(sis, "org", data["org"][1])
    set_record(sis, "org", {**data["org"][1], "name": "Renamed"})
    delta.write_bytes(export_store(sis, "1.2", since))
    assert cli(database, "connection", "add", "uploads", "--source", "csv").exit_code == 0
    first = cli(database, "run", "uploads", "--file", str(bulk))
    second = cli(database, "run", "uploads", "--file", str(delta))
    assert first.exit_code == second.exit_code == 0, second.output
    assert "full sync of uploads" in first.stdout and "delta sync of uploads" in second.stdout
    assert [line.split()[1] for line in history(database, "uploads")] == ["delta", "full"]


def test_usage_errors_exit_2_and_name_the_flag_or_the_connection(tmp_path):
    database = f"sqlite:///{tmp_path / 'local.db'}"
    assert cli(database, "connection", "add", "uploads", "--source", "csv").exit_code == 0
    ran = cli(database, "run", "uploads")
    assert ran.exit_code == 2 and "--file" in ran.stderr and "nothing applied" not in ran.stderr
    for args in (("run", "nope"), ("approve", "nope"), ("history", "nope"), ("connection", "test", "nope")):
        refused = cli(database, *args)
        assert refused.exit_code == 2 and "no connection 'nope'" in refused.stderr, args


def test_the_library_refuses_an_unknown_connection_by_name(tmp_path):
    engine = connect_store(f"sqlite:///{tmp_path / 'local.db'}")
    with pytest.raises(UnknownConnection, match="no connection is called 'district'"):
        run_connection(engine, "district")
    with pytest.raises(UnknownConnection, match="no connection given"):
        run_connection(engine, find(engine, "district"))
