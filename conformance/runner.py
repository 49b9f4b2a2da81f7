"""Run the registered checks against a target and gather a report.

Before any check, one request says whether the checker can run at all (a token, a provider that answers):
if not, the report holds that one error instead of every check failing for the checker's own reason. Each
check then ends in pass, fail, skip or error; a check that breaks never stops the others, and once the
budget is spent the checks left are errors that say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import rosterlab.conformance.checks  # noqa: F401  (registers the checks)
from rosterlab.conformance.model import (
    REGISTRY,
    Check,
    CouldNotRun,
    Failed,
    Level,
    NotApplicable,
    Report,
    Result,
    Status,
    Verdict,
)
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError

CONNECT = Check(
    "run.connect",
    "The checker reaches the provider with the credentials given",
    "rosterlab check: what every other check needs",
    Level.MUST,
    lambda target: None,
)

Progress = Callable[[int, int, Check], None]  # (index, count, check) as each check starts


def selected(only: tuple[str, ...] = ()) -> list[Check]:
    """The registered checks, narrowed by id prefix."""
    return [c for c in REGISTRY.values() if not only or any(c.id.startswith(prefix) for prefix in only)]


def not_run(root: str, version: str, problem: str, fail_on: Level = Level.MUST) -> Report:
    """The report of a run that could not start: the one error that says why."""
    report = Report(root, version, datetime.now(UTC).isoformat(timespec="seconds"), fail_on=fail_on)
    report.results.append(Result(CONNECT, Verdict(Status.ERROR, problem)))
    return report


def run_checks(
    target: Target, only: tuple[str, ...] = (), fail_on: Level = Level.MUST, progress: Progress | None = None
) -> Report:
    """Every check that applies to the target's version (writes only when allowed); `only` narrows by id prefix."""
    problem = connect_problem(target)
    if problem is not None:
        return not_run(target.root, target.version, problem, fail_on)
    report = Report(target.root, target.version, datetime.now(UTC).isoformat(timespec="seconds"), fail_on=fail_on)
    checks = selected(only)
    for index, check in enumerate(checks):
        if progress:
            progress(index, len(checks), check)
        started = time.perf_counter()
        try:
            verdict = _applies(check, target) or _verdict(check.run, target)
        except KeyboardInterrupt:
            verdict = Verdict(Status.ERROR, "interrupted")
            report.results.append(Result(check, verdict, time.perf_counter() - started))
            report.results += [Result(c, Verdict(Status.ERROR, "not run: interrupted")) for c in checks[index + 1 :]]
            break
        report.results.append(Result(check, verdict, time.perf_counter() - started))
    return report


def connect_problem(target: Target) -> str | None:
    """Why the checker cannot run against the target at all, or None: one authenticated read of orgs."""
    try:
        exchange = target.send("GET", target.url("getAllOrgs"), params={"limit": "1"})
    except (CouldNotRun, Failed) as error:
        return str(error)
    if exchange.status in (401, 403):
        said = exchange.said()
        return f"the provider refused the credentials: HTTP {exchange.status}" + (f" ({said})" if said else "")
    if exchange.status == 404:
        return f"OneRoster {target.version} is not served at {target.url('getAllOrgs')} (HTTP 404)"
    return None


def _applies(check: Check, target: Target) -> Verdict | None:
    if target.version not in check.versions:
        return Verdict(Status.SKIP, f"not part of OneRoster {target.version}")
    if check.writes and not target.allow_writes:
        return Verdict(Status.SKIP, "writes to the provider; run with --allow-writes")
    if target.budget.spent:
        return Verdict(Status.ERROR, f"not run: the budget of {target.budget.seconds:g} s ran out")
    return None


def _verdict(run, target: Target) -> Verdict:
    try:
        run(target)
    except Failed as failure:
        return Verdict(Status.FAIL, str(failure), failure.evidence)
    except NotApplicable as reason:
        return Verdict(Status.SKIP, str(reason))
    except CouldNotRun as reason:
        return Verdict(Status.ERROR, str(reason))
    except (SyncError, AuthError) as error:
        return Verdict(Status.ERROR, f"could not run: {error}")
    except Exception as error:  # a fault of the checker's own is never scored as the provider's
        return Verdict(Status.ERROR, f"the checker broke: {error.__class__.__name__}: {error}")
    return Verdict(Status.PASS)
