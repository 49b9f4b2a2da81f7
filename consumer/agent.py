"""`rosterlab sync agent`: runs every scheduled connection's sync when it is due.

APScheduler keeps the jobs in the consumer's database (its SQLAlchemy job store), so a restarted agent
knows what ran and what is due; a run missed while the agent was down runs once when it comes back
(within a grace period), never once per missed slot. One job per connection; a sync still running when
the next is due is skipped, not stacked.
"""

from __future__ import annotations

import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from rosterlab.consumer import connections as registry
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.runner import run_connection
from rosterlab.consumer.schedules import trigger_for
from rosterlab.consumer.store import connect_store

log = logging.getLogger("rosterlab.consumer.agent")

JOB_TABLE = "sync_schedule_jobs"
MISFIRE_GRACE = 6 * 3600  # seconds: a run missed by less than this still happens (once)


def engine_for(database_url: str) -> Engine:
    """The consumer's database."""
    return connect_store(database_url)


def run_scheduled(database_url: str, name: str) -> None:
    """A scheduled sync of one connection (the job APScheduler stores by reference)."""
    engine = engine_for(database_url)
    connection = registry.find(engine, name)
    if connection is None:
        log.warning("scheduled sync of %s skipped: the connection is gone", name)
        return
    try:
        result = run_connection(engine, connection, delta=bool(connection.schedule.get("delta")), origin="scheduled")
        log.info("scheduled sync of %s done: %s", name, result.counts)
    except (SyncError, AuthError) as error:  # recorded in the history by the sync itself
        log.warning("scheduled sync of %s failed: %s", name, error)
    finally:
        engine.dispose()


def scheduler_for(database_url: str, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler whose jobs live in the consumer's database."""
    store = SQLAlchemyJobStore(engine=engine_for(database_url), tablename=JOB_TABLE)
    return scheduler_class(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone="UTC",
    )


def plan_jobs(scheduler: BaseScheduler, database_url: str) -> list[str]:
    """Make the scheduler's jobs match the connections' schedules; the names of those scheduled.

    A job whose trigger did not change is left as it is, so its next run time survives restarts.
    """
    engine = engine_for(database_url)
    wanted = {}
    for connection in registry.load_all(engine):
        trigger = trigger_for(connection.schedule)
        if trigger is not None:
            wanted[f"sync:{connection.name}"] = (connection.name, trigger)
    engine.dispose()
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for job_id, (name, trigger) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is not None and str(job.trigger) == str(trigger):
            continue
        scheduler.add_job(
            "rosterlab.consumer.agent:run_scheduled",
            trigger,
            args=[database_url, name],
            id=job_id,
            name=f"sync {name}",
            replace_existing=True,
        )
    return [name for name, _ in wanted.values()]
