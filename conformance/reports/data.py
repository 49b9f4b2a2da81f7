"""A report as plain data (what the JSON report is, and what the others are drawn from)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rosterlab.conformance.model import Level, Report, Status, combined


def report_data(report: Report) -> dict[str, Any]:
    """One version's report."""
    counts = {status.value: sum(r.verdict.status is status for r in report.results) for status in Status}
    return {
        "target": report.target,
        "version": report.version,
        "started": report.started,
        "fail_on": report.fail_on.value,
        "outcome": report.outcome.value,
        "passed": report.passed,
        "counts": counts,
        "failures_by_level": {level.value: len(report.failures(level)) for level in Level},
        "results": [
            {
                "id": r.check.id,
                "title": r.check.title,
                "reference": r.check.reference,
                "level": r.check.level.value,
                "status": r.verdict.status.value,
                "message": r.verdict.message,
                "evidence": asdict(r.verdict.evidence) if r.verdict.evidence else None,
                "seconds": round(r.seconds, 3),
            }
            for r in report.results
        ],
    }


def run_data(reports: list[Report]) -> dict[str, Any]:
    """A whole run: one report per version checked, and the outcome with its exit code."""
    outcome = combined(reports)
    return {
        "target": reports[0].target if reports else "",
        "outcome": outcome.value,
        "exit_code": outcome.exit_code,
        "versions": [report.version for report in reports],
        "reports": [report_data(report) for report in reports],
    }
