"""`rosterlab sync ...` as a user runs it, against the mock SIS over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2
from rosterlab.server.churn import delete_record
from tests.test_sync_full import provider  # noqa: F401  (the fixture)


def run(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosterlab", "sync", *args, "--database", database],
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_row(output: str, entity: str) -> list[str]:
    """The counts of an entity in the summary table (created, updated, deleted, unchanged, rejected, held)."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if cells and cells[0] == entity:
            return cells[1:]
    raise AssertionError(f"no row for {entity} in:\n{output}")


def test_connections_sync_history_and_approval(tmp_path, provider):  # noqa: F811
    live, sis, data = provider
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    added = run(
        database,
        "connection",
        "add",
        "district12",
        "--url",
        f"{live.url}/ims/oneroster/rostering/v1p2",
        "--client-id",
        DEMO_OAUTH2.client_id,
        "--client-secret",
        DEMO_OAUTH2.secret,
    )
    assert added.returncode == 0, added.stderr
    assert (
        run(
            database,
            "connection",
            "add",
            "district11",
            "--url",
            live.url,
            "--version",
            "1.1",
            "--oauth1",
            "--key",
            DEMO_OAUTH1.client_id,
            "--secret",
            DEMO_OAUTH1.secret,
        ).returncode
        == 0
    )
    listed = run(database, "connection", "list").stdout
    assert "district11" in listed and "district12" in listed
    shown = run(database, "connection", "show", "district12")
    assert DEMO_OAUTH2.secret not in shown.stdout and json.loads(shown.stdout)["auth"]["client_secret"] == "********"
    assert "OK:" in run(database, "connection", "test", "district11").stdout
    assert "OK:" in run(database, "connection", "test", "district12").stdout

    first = run(database, "run", "district12")
    assert first.returncode == 0, first.stderr
    assert table_row(first.stdout, "user")[:2] == [str(len(data["user"])), "0"]  # created, updated
    assert run(database, "run", "district11").returncode == 0

    for user in data["user"][: len(data["user"]) // 3]:
        delete_record(sis, "user", user["sourcedId"])
    held = run(database, "run", "district12")
    assert held.returncode == 3 and "HELD:" in held.stdout
    assert "applied" in run(database, "approve", "district12").stdout
    history = [line for line in run(database, "history", "district12").stdout.splitlines() if line[:1].isdigit()]
    assert len(history) == 3 and "approve" in history[0] and "held" in history[1] and "applied" in history[2]


def test_a_refused_connection_says_why(tmp_path, provider):  # noqa: F811
    live, _, _ = provider
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    run(
        database,
        "connection",
        "add",
        "bad",
        "--url",
        live.url,
        "--client-id",
        DEMO_OAUTH2.client_id,
        "--client-secret",
        "not-the-secret",
    )
    tested = run(database, "connection", "test", "bad")
    assert (
        tested.returncode == 1 and "refused the credentials" in tested.stderr and "not-the-secret" not in tested.stderr
    )
    failed = run(database, "run", "bad")
    assert failed.returncode == 1 and "nothing applied" in failed.stderr
    unreachable = f"sqlite:///{tmp_path / 'other.db'}"
    run(
        unreachable,
        "connection",
        "add",
        "gone",
        "--url",
        "http://127.0.0.1:9",
        "--client-id",
        "x",
        "--client-secret",
        "y",
    )
    gone = run(unreachable, "connection", "test", "gone")
    assert gone.returncode == 1 and "cannot reach the provider" in gone.stderr and "Traceback" not in gone.stderr
    assert run(database, "connection", "remove", "nope").returncode == 2
