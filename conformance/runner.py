"""Run the registered checks against a target and gather a report."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import rosterlab.conformance.checks  # noqa: F401  (registers the checks)
from rosterlab.conformance.model import REGISTRY, Failed, NotApplicable, Report, Result, Status, Verdict
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError


def run_checks(target: Target, only: tuple[str, ...] = ()) -> Report:
    """Every check that applies to the target's version (writes only when allowed); `only` narrows by id prefix."""
    report = Report(target.root, target.version, datetime.now(UTC).isoformat(timespec="seconds"))
    for check in REGISTRY.values():
        if only and not any(check.id.startswith(prefix) for prefix in only):
            continue
        started = time.perf_counter()
        if target.version not in check.versions:
            verdict = Verdict(Status.SKIP, f"not part of OneRoster {target.version}")
        elif check.writes and not target.allow_writes:
            verdict = Verdict(Status.SKIP, "writes to the provider; run with --allow-writes")
        else:
            verdict = _verdict(check.run, target)
        report.results.append(Result(check, verdict, time.perf_counter() - started))
    return report


def _verdict(run, target: Target) -> Verdict:
    try:
        run(target)
    except Failed as failure:
        return Verdict(Status.FAIL, str(failure), failure.evidence)
    except NotApplicable as reason:
        return Verdict(Status.SKIP, str(reason))
    except (SyncError, AuthError) as error:
        return Verdict(Status.FAIL, f"could not read what the check needs: {error}")
    return Verdict(Status.PASS)
