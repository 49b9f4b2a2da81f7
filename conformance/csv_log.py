"""`rosterlab check-csv`: a bundle checked with the spec/ validator, logged in the shape certification asks for.

For each bundle: a test identifier, the date, the status, the files imported, the files rejected, and a
comment on each error, syntactic (a value or header that breaks the binding) or semantic (a reference to a
record the bundle does not define).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from rosterlab.spec.csv_bundle import Issue, read_bundle

SEMANTIC_MARK = " is not defined in "


@dataclass
class Comment:
    file: str
    row: int | None
    column: str | None
    kind: str  # syntactic or semantic
    comment: str


@dataclass
class BundleLog:
    """The certification log of one bundle."""

    test_id: str
    date: str
    status: str  # pass or fail
    version: str | None
    files_imported: list[str] = field(default_factory=list)
    files_rejected: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        lines = [
            f"Test identifier: {self.test_id}",
            f"Date: {self.date}",
            f"Status: {self.status.upper()}",
            f"OneRoster CSV version: {self.version or 'unknown'}",
            f"Files imported: {', '.join(self.files_imported) or 'none'}",
            f"Files rejected: {', '.join(self.files_rejected) or 'none'}",
        ]
        for c in self.comments:
            where = (
                c.file + (f", row {c.row}" if c.row is not None else "") + (f", column {c.column}" if c.column else "")
            )
            lines.append(f"  [{c.kind}] {where}: {c.comment}")
        return "\n".join(lines)


def _comment(issue: Issue) -> Comment:
    kind = "semantic" if SEMANTIC_MARK in issue.message else "syntactic"
    return Comment(issue.file, issue.row, issue.column, kind, issue.message)


def check_bundle(data: bytes, test_id: str) -> BundleLog:
    """Validate a bundle's bytes and log the outcome."""
    bundle = read_bundle(data)
    present = sorted(f"{name}.csv" for name, mode in bundle.modes.items() if mode != "absent")
    rejected = sorted({issue.file for issue in bundle.issues})
    return BundleLog(
        test_id=test_id,
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        status="fail" if bundle.issues else "pass",
        version=str(bundle.version) if bundle.version else None,
        files_imported=[name for name in present if name not in rejected] if not bundle.issues else [],
        files_rejected=rejected if bundle.issues else [],
        comments=[_comment(issue) for issue in bundle.issues],
    )
