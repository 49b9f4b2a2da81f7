"""A bounded walk through a collection by offset: what was served, page by page, copies included.

A walk ends on an empty page. It never loops: a page that repeats an earlier page is a provider ignoring
`offset` (the end, when the total says every record was served; a failure otherwise), and a walk that passes
its page cap stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import NotApplicable

PAGE = 500  # records asked for per page
MAX_PAGES = 2_000  # of a walk (1,000,000 records at PAGE); --thorough raises it tenfold


@dataclass
class Walk:
    """The records a walk received, in order, with the page each came on."""

    operation_id: str
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: list[Exchange] = field(default_factory=list)
    page_of: list[int] = field(default_factory=list)  # index into `pages`, one per record
    complete: bool = False  # read to the end (False: a sample)
    total: int | None = None  # X-Total-Count of the last page that carried one

    @property
    def last(self) -> Exchange:
        return self.pages[-1]

    def unique(self) -> list[dict[str, Any]]:
        """Each sourcedId once, where it was first served."""
        seen: set[Any] = set()
        kept = []
        for record in self.records:
            if record.get("sourcedId") not in seen:
                seen.add(record.get("sourcedId"))
                kept.append(record)
        return kept

    def copies(self) -> dict[Any, list[int]]:
        """The sourcedIds served more than once, with the places (indexes into `records`) they were served at."""
        places: dict[Any, list[int]] = {}
        for index, record in enumerate(self.records):
            places.setdefault(record.get("sourcedId"), []).append(index)
        return {sid: where for sid, where in places.items() if len(where) > 1}

    def page_for(self, index: int) -> Exchange:
        """The page on which the record at `index` was served."""
        return self.pages[self.page_of[index]]


def walk(
    fetch: Callable[[int], Exchange],
    read: Callable[[Exchange], list[dict[str, Any]]],
    walked: Walk,
    most: int | None = None,
    max_pages: int = MAX_PAGES,
) -> Walk:
    """Fill `walked` from `fetch(offset)` pages (read with `read`) until an empty page, at most `most` records.

    Raises Failed when a page repeats an earlier one and the total does not vouch that everything was served,
    or when `max_pages` pass without an end the total can explain; NotApplicable when the total says the
    collection is larger than the cap allows reading.
    """
    offset = 0
    earlier: dict[tuple[Any, ...], int] = {}
    while True:
        if len(walked.pages) >= max_pages:
            if walked.total is not None and walked.total > len(walked.records):
                raise NotApplicable(
                    f"{walked.operation_id} holds {walked.total} records, more than {max_pages} pages; "
                    "run with --thorough to read it whole"
                )
            raise walked.last.fail(f"{max_pages} pages read and no end in sight: the walk stopped")
        exchange = fetch(offset)
        page = read(exchange)
        header = exchange.response.headers.get("X-Total-Count", "")
        if header.isdigit():
            walked.total = int(header)
        ids = tuple(record.get("sourcedId") for record in page)
        if page and ids in earlier:
            if walked.total is not None and len(walked.records) >= walked.total:
                walked.pages.append(exchange)
                walked.complete = True
                return walked
            raise exchange.fail(
                f"the provider ignores offset: the page at offset {offset} repeats the page at offset "
                f"{earlier[ids]} ({len(walked.records)} records read"
                + (f" of {walked.total} announced)" if walked.total is not None else ")")
            )
        earlier[ids] = offset
        walked.pages.append(exchange)
        if not page:
            walked.complete = True
            return walked
        walked.records += page
        walked.page_of += [len(walked.pages) - 1] * len(page)
        offset += len(page)
        if most is not None and len(walked.records) >= most:
            return walked
