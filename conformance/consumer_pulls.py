"""The pulls a client made, rebuilt from the request log: the pages it read of one collection (one path and
filter), from a first page (offset 0) on, and what they covered of what the provider said it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


def params(row: Any) -> dict[str, str]:
    """A logged request's query parameters (the first value of each)."""
    found: dict[str, str] = {}
    for name, value in parse_qsl(row.query, keep_blank_values=True):
        found.setdefault(name, value)
    return found


def offset_of(row: Any) -> int:
    value = params(row).get("offset", "0") or "0"
    return int(value) if value.isdigit() else 0


@dataclass
class Pull:
    """The pages of one collection read from a first page on."""

    path: str
    filter: str
    pages: list[Any] = field(default_factory=list)  # logged rows, in order: 200s that held a list

    @property
    def total(self) -> int | None:
        """The last X-Total-Count the provider sent during the pull."""
        return next((p.total for p in reversed(self.pages) if p.total is not None), None)

    def spans(self) -> list[tuple[int, int]]:
        """The places [start, end) of the collection the pages held, merged."""
        merged: list[tuple[int, int]] = []
        for start, end in sorted((offset_of(p), offset_of(p) + p.records) for p in self.pages if p.records):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def missing(self) -> list[tuple[int, int]]:
        """The places [start, end) never read, up to the total (or up to the last place read)."""
        spans = self.spans()
        end = self.total if self.total is not None else (spans[-1][1] if spans else 0)
        gaps, at = [], 0
        for start, stop in spans:
            if start > at:
                gaps.append((at, min(start, end)))
            at = max(at, stop)
        if at < end:
            gaps.append((at, end))
        return [(a, b) for a, b in gaps if a < b]

    def read(self) -> int:
        """How many places the pages covered."""
        return sum(stop - start for start, stop in self.spans())

    def complete(self) -> bool:
        """Read to the end: every place up to the total, or, without a total, every place up to an empty page."""
        if self.missing():
            return False
        if self.total is not None:
            return self.read() >= self.total
        return any(p.records == 0 for p in self.pages)

    def orders(self) -> list[tuple[str, str]]:
        """The (sort, orderBy) each page asked for, in order."""
        return [(params(p).get("sort", ""), params(p).get("orderBy", "")) for p in self.pages]


def pulls(rows: list[Any]) -> list[Pull]:
    """Every pull in the log, in the order they started; a page at offset 0 starts a new pull."""
    found: list[Pull] = []
    current: dict[tuple[str, str], Pull] = {}
    for row in rows:
        if row.method != "GET" or row.records is None or row.status != 200:
            continue
        key = (row.path, params(row).get("filter", ""))
        if key not in current or (offset_of(row) == 0 and current[key].pages):
            current[key] = Pull(*key)
            found.append(current[key])
        current[key].pages.append(row)
    return found
