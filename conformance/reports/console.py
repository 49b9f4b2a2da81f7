"""The readable table, on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from rosterlab.conformance.model import Level, Report, Status

STYLES = {Status.PASS: "green", Status.FAIL: "bold red", Status.SKIP: "dim"}


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console(width=140)
    table = Table(title=f"OneRoster {report.version} conformance of {report.target}")
    for column in ("check", "level", "status", "title / why"):
        table.add_column(column)
    for r in report.results:
        detail = r.check.title + (f"\n{r.verdict.message}" if r.verdict.message else "")
        if r.verdict.evidence:
            detail += f"\n{r.verdict.evidence.request} -> HTTP {r.verdict.evidence.status}"
        style = STYLES[r.verdict.status]
        table.add_row(r.check.id, r.check.level.value, f"[{style}]{r.verdict.status.value}[/]", detail)
    console.print(table)
    failed = {level: len(report.failures(level)) for level in Level}
    summary = ", ".join(f"{count} {level.value}-failure(s)" for level, count in failed.items())
    console.print(("PASSED" if report.passed else "FAILED") + f": {summary}")
