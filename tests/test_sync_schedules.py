"""Schedules (APScheduler triggers, a persistent job store, a controllable clock), background requests and
the one-sync-at-a-time lock."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import insert, select

from rosterlab.consumer import connections as registry
from rosterlab.consumer.agent import plan_jobs, scheduler_for
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.locking import sync_lock
from rosterlab.consumer.schedules import ScheduleError, trigger_for
from rosterlab.consumer.sources import CsvSource
from rosterlab.consumer.store import locks, metadata, runs
from rosterlab.consumer.sync import full_sync
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.csv.export import export_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from tests.test_sync_full import provider  # noqa: F401  (the fixture)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "now", "first", "second"),
    [
        ({"kind": "hourly", "at": "00:15"}, "2026-09-01T10:20", "2026-09-01T11:15", "2026-09-01T12:15"),
        (
            {"kind": "daily", "at": "02:30", "start": "2026-09-05"},
            "2026-09-01T00:00",
            "2026-09-05T02:30",
            "2026-09-06T02:30",
        ),
        ({"kind": "weekly", "day": "fri", "at": "23:00"}, "2026-09-01T00:00", "2026-09-04T23:00", "2026-09-11T23:00"),
        ({"kind": "monthly", "day": 15, "at": "01:00"}, "2026-09-20T00:00", "2026-10-15T01:00", "2026-11-15T01:00"),
        ({"kind": "cron", "cron": "0 3 * * 1-5"}, "2026-09-04T04:00", "2026-09-07T03:00", "2026-09-08T03:00"),
    ],
    ids=["hourly", "daily-from-a-start-date", "weekly", "monthly", "cron"],
)
def test_schedules_fire_when_they_say(schedule, now, first, second):
    trigger = trigger_for(schedule)
    fire = trigger.get_next_fire_time(None, at(now))
    assert fire == at(first)
    assert trigger.get_next_fire_time(fire, fire) == at(second)


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ({"kind": "fortnightly"}, "unknown schedule"),
        ({"kind": "daily", "at": "25:00"}, "HH:MM"),
        ({"kind": "weekly", "day": "someday"}, "weekly schedule's day"),
        ({"kind": "cron", "cron": "every day"}, "cron schedule"),
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused(schedule, says):
    with pytest.raises(ScheduleError, match=says):
        trigger_for(schedule)
    assert trigger_for({"kind": "manual"}) is None


def _runs(engine) -> list:
    with engine.connect() as db:
        return db.execute(select(runs).order_by(runs.c.id)).all()


def _wait_for_runs(engine, count: int, seconds: float = 30) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _runs(engine)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return _runs(engine)


def test_a_due_job_runs_once_at_the_right_time_and_is_recorded(tmp_path):
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    engine = connect(database)
    metadata.create_all(engine)
    bundle = tmp_path / "roster.zip"
    bundle.write_bytes(export_bundle(demo_district(), "1.2"))
    schedule = {"kind": "daily", "at": "02:00", "start": "2026-09-01"}
    registry.save(engine, registry.Connection("nightly", source="csv", csv_path=str(bundle), schedule=schedule))

    with time_machine.travel(at("2026-09-01T01:59:00"), tick=False) as clock:
        scheduler = scheduler_for(database, BackgroundScheduler)
        scheduler.start(paused=True)
        assert plan_jobs(scheduler, database) == ["nightly"]
        scheduler.resume()
        scheduler.wakeup()
        time.sleep(0.5)
        assert _runs(engine) == []  # not yet due

        clock.move_to(at("2026-09-01T02:00:01"))
        scheduler.wakeup()
        done = _wait_for_runs(engine, 1)
        assert [(r.origin, r.outcome) for r in done] == [("scheduled", "applied")]
        assert done[0].started.startswith("2026-09-01T02:00:01")
        scheduler.wakeup()  # due again? no: once per slot
        time.sleep(0.5)
        assert len(_runs(engine)) == 1
        assert scheduler.get_job("sync:nightly").next_run_time == at("2026-09-02T02:00")
        scheduler.shutdown(wait=True)

        # A restarted agent finds the job where it left it, and runs a slot it missed once (not once per slot).
        clock.move_to(at("2026-09-04T03:00:00"))  # three slots missed, the last by an hour
        restarted = scheduler_for(database, BackgroundScheduler)
        restarted.start(paused=True)
        plan_jobs(restarted, database)
        assert restarted.get_job("sync:nightly").next_run_time == at("2026-09-02T02:00")
        restarted.resume()
        restarted.wakeup()
        _wait_for_runs(engine, 2)
        time.sleep(0.5)
        assert len(_runs(engine)) == 2
        assert _runs(engine)[1].started.startswith("2026-09-04T03:00:00")
        restarted.shutdown(wait=True)


def test_sync_now_answers_at_once_and_runs_in_the_background(tmp_path, provider):  # noqa: F811
    live, _, data = provider
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    command = [sys.executable, "-m", "rosterlab", "sync"]
    added = subprocess.run(
        [*command, "connection", "add", "d", "--url", live.url, "--client-id", DEMO_OAUTH2.client_id,
         "--client-secret", DEMO_OAUTH2.secret, "--database", database],
        capture_output=True, text=True,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    accepted = subprocess.run(
        [*command, "now", "d", "--database", database], capture_output=True, text=True, timeout=30
    )
    assert accepted.returncode == 0 and accepted.stdout.startswith("sync request accepted: job ")
    job_id = accepted.stdout.split()[4]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = subprocess.run([*command, "status", job_id, "--database", database], capture_output=True, text=True)
        if "succeeded" in status.stdout or "failed" in status.stdout:
            break
        time.sleep(0.3)
    assert "succeeded" in status.stdout, status.stdout + status.stderr
    history = _runs(connect(database))
    assert [(r.origin, r.job_id, r.counts["user"]["created"]) for r in history] == [
        ("requested", job_id, len(data["user"]))
    ]


def test_one_sync_of_a_connection_at_a_time(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'consumer.db'}")
    source = CsvSource(export_bundle(demo_district(), "1.2"))
    with sync_lock(engine, "d"), pytest.raises(SyncError, match="already running"):
        full_sync(engine, "d", source)
    with engine.begin() as db:  # a lock left by a process that died is taken over
        db.execute(insert(locks), {"connection": "d", "host": _hostname(), "pid": _dead_pid(), "since": "2026-01-01"})
    assert full_sync(engine, "d", source).counts["user"]["created"]


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_agent_starts_with_the_schedules_and_stops_on_sigterm(tmp_path):
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    engine = connect(database)
    registry.save(
        engine, registry.Connection("weekly", source="csv", csv_path="x.zip", schedule={"kind": "weekly", "day": "sun"})
    )
    registry.save(engine, registry.Connection("by-hand", source="csv", csv_path="x.zip"))
    agent = subprocess.Popen(
        [sys.executable, "-m", "rosterlab", "sync", "agent", "--replan", "0.2", "--database", database],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = agent.stdout.readline()
        assert "agent started" in first and "scheduled: weekly" in first and "by-hand" not in first
    finally:
        agent.terminate()
        out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0 and "agent stopped" in out, err
