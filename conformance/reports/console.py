"""The readable table, on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from rosterlab.conformance.model import Level, Report, Status

STYLES = {Status.PASS: "green", Status.FAIL: "bold red", Status.SKIP: "dim", Status.ERROR: "bold yellow"}
VERDICTS = {"pass": "PASSED", "fail": "FAILED", "error": "COULD NOT RUN"}


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console(width=140)
    table = Table(title=f"OneRoster {report.version} conformance of {report.target}")
    for column in ("check", "level", "status", "title / why"):
        table.add_column(column)
    for r in report.results:
        detail = r.check.title + (f"\n{r.verdict.message}" if r.verdict.message else "")
        if r.verdict.evidence:
            status = r.verdict.evidence.status
            detail += f"\n{r.verdict.evidence.request}" + (f" -> HTTP {status}" if status is not None else "")
        style = STYLES[r.verdict.status]
        table.add_row(r.check.id, r.check.level.value, f"[{style}]{r.verdict.status.value}[/]", detail)
    console.print(table)
    failed = ", ".join(f"{len(report.failures(level))} {level.value}-failure(s)" for level in Level)
    errors = f", {len(report.errors())} could not run" if report.errors() else ""
    console.print(f"{VERDICTS[report.outcome.value]} (failing on {report.fail_on.value}): {failed}{errors}")
