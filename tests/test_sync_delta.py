"""Delta syncs after the provider changes, and syncs killed at random points (never half applied)."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.marks import OVERLAP, start_from
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.rest import RestSource
from rosterlab.consumer.store import ROSTER, TABLES
from rosterlab.consumer.sync import DeletionGuard, delta_sync, full_sync
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.churn import advance, set_record
from rosterlab.server.store.database import connect
from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.spec.filter.fields import format_instant, parse_instant
from tests.quirk_matrix import difference
from tests.test_sync_full import provider  # noqa: F401  (the fixture)

PERMISSIVE = DeletionGuard(count=10**9)


def provider_records(sis, entity: str) -> dict[str, dict]:
    """Every record the provider holds (deletions included), as 1.2 renders it, read from its own store."""
    table = ENTITY_TABLES[entity]
    with sis.connect() as connection:
        return {row[0]["sourcedId"]: normalize(row[0]) for row in connection.execute(select(table.c.v1p2))}


def snapshot(engine) -> dict:
    with engine.connect() as connection:
        return {
            entity: sorted((row.sourced_id, row.status, str(row.data)) for row in connection.execute(select(table)))
            for entity, table in TABLES.items()
        }


def test_after_advance_a_delta_makes_them_equal_again(provider, any_engine):  # noqa: F811
    live, sis, _ = provider
    local = any_engine
    auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    with OneRosterClient(live.url, auth, ClientSettings(page_size=100)) as client:
        full_sync(local, "d", RestSource(client, "1.2"))
        summary = advance(sis, 10, seed=5)
        assert summary.changes["withdrawals"]
        held = delta_sync(local, "d", RestSource(client, "1.2"))  # the default guard holds this many deletions
        assert held.held
        result = delta_sync(local, "d", RestSource(client, "1.2"), guard=PERMISSIVE)  # the mark stayed: they come again
        assert held.held.keys() == {"enrollment"} and result.counts["enrollment"]["deleted"] == held.held["enrollment"]
        assert difference(local, "d", sis, "1.2", ROSTER) is None  # records withdrawn unseen were never created
        again = delta_sync(local, "d", RestSource(client, "1.2"))
    assert not again.changed


def _run_sync(command: list[str], database: str) -> None:
    """A sync as the CLI runs it: applied (0), or applied with deletions held (3)."""
    done = subprocess.run([*command, "run", "d", "--database", database], capture_output=True, text=True)
    assert done.returncode in (0, 3), done.stderr


def test_a_sync_killed_at_random_points_applies_all_or_nothing(tmp_path, provider):  # noqa: F811
    live, sis, _ = provider
    local_file, baseline_file = tmp_path / "local.db", tmp_path / "baseline.db"
    database = f"sqlite:///{local_file}"
    command = [sys.executable, "-m", "rosterlab", "sync"]
    subprocess.run(
        [
            *command,
            "connection",
            "add",
            "d",
            "--url",
            live.url,
            "--client-id",
            DEMO_OAUTH2.client_id,
            "--client-secret",
            DEMO_OAUTH2.secret,
            "--database",
            database,
        ],
        check=True,
        capture_output=True,
    )
    _run_sync(command, database)
    shutil.copy(local_file, baseline_file)
    before = snapshot(connect(database))
    advance(sis, 20, seed=8)  # the provider changes: the next sync has much to apply

    def reset() -> None:
        for leftover in tmp_path.glob("local.db*"):
            leftover.unlink()
        shutil.copy(baseline_file, local_file)

    reset()
    started = time.monotonic()
    _run_sync(command, database)
    duration = time.monotonic() - started
    after = snapshot(connect(database))
    assert after != before

    rng = random.Random(1234)
    outcomes = []
    for _ in range(20):
        reset()
        process = subprocess.Popen(
            [*command, "run", "d", "--database", database], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        engine = connect(database)  # opening rolls back what a killed transaction left behind
        state = snapshot(engine)
        engine.dispose()
        assert state in (before, after), "a killed sync left the store half updated"
        outcomes.append("unchanged" if state == before else "updated")
    assert "unchanged" in outcomes  # the kills did land during syncs
    _run_sync(command, database)
    assert snapshot(connect(database)) == after  # the next run converges


class RecordingSource:
    """A real source, and the instants the sync asked it to start from."""

    def __init__(self, source: RestSource) -> None:
        self.source, self.starts = source, []

    def pull(self, entities, since, progress=None):
        self.starts.append(since)
        return self.source.pull(entities, since, progress)


def test_a_delta_starts_after_a_settled_mark_and_before_a_recent_one(provider, tmp_path):  # noqa: F811
    """The demo district's stamps are long past when it is first synced: the next delta asks from just after
    them, so it reads only the change. Each entity has its own mark: the user's moves to the change, the
    others stay. A mark from moments ago is asked from a little before (the overlap window), since a change
    stamped just before it may not have been committed when the last pull ran."""
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    with OneRosterClient(live.url, auth, ClientSettings(page_size=100)) as client:
        source = RecordingSource(RestSource(client, "1.2"))
        full_sync(local, "d", source)
        settled = max(record["dateLastModified"] for records in data.values() for record in records)
        user = provider_records(sis, "user")[data["user"][0]["sourcedId"]]
        stamp = set_record(sis, "user", {**user, "givenName": "Renamed"})
        first = delta_sync(local, "d", source)
        second = delta_sync(local, "d", source)
    after_settled = format_instant(parse_instant(settled) + timedelta(milliseconds=1))
    assert source.starts[1] == dict.fromkeys(ROSTER, after_settled)
    assert first.counts["user"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0, "rejected": 0}
    assert all(sum(counts.values()) == 0 for entity, counts in first.counts.items() if entity != "user")
    recent = parse_instant(stamp) + timedelta(hours=1) > datetime.now(UTC)
    moved = parse_instant(stamp) - OVERLAP if recent else parse_instant(stamp) + timedelta(milliseconds=1)
    assert source.starts[2] == {**dict.fromkeys(ROSTER, after_settled), "user": format_instant(moved)}
    assert second.counts["user"]["unchanged"] == (1 if recent else 0) and not second.changed
    now = datetime.now(UTC)
    assert start_from(format_instant(now), format_instant(now)) == format_instant(now - OVERLAP)
