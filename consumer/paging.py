"""Paging through one collection: every record once, or an error that names why it cannot be done.

Records are asked for in sourcedId order; the offset advances by the records actually received (providers
cap `limit` silently); a `Link: rel="next"` is followed when it continues where the pull is, on the same
origin only; the pull stops on an empty page or at the announced total. A page holding the same records as
an earlier one means the provider ignores `offset`, which would make the first page pass for the whole
collection: that is an error. A sourcedId served twice is kept once when its copies are identical and
reported as a conflict when they differ, so that neither copy is silently chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from rosterlab.consumer.errors import SyncError

if TYPE_CHECKING:
    from rosterlab.consumer.client import OneRosterClient

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
STALE_PAGES = 10  # pages in a row of records already received, beyond which the paging makes no progress


class Restart(Exception):
    """The announced total changed between two pages: the data set changed mid-pull."""


@dataclass
class Paged:
    """A collection read whole: its records (each sourcedId once), and what the reading saw."""

    records: Any
    announced: bool = False  # a total came with the pages (and was reached)
    restarted: bool = False  # the total changed mid-pull, so the pull began again
    identical: set[str] = field(default_factory=set)  # sourcedIds served more than once, the copies equal
    conflicting: set[str] = field(default_factory=set)  # sourcedIds served more than once, the copies not equal


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _fingerprint(record: Any) -> int:
    return hash(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))


def page_through(
    client: OneRosterClient,
    path: str,
    key: str,
    params: dict[str, str],
    on_page: Callable[[int, int | None], None] | None,
    into: Callable[[], Any],
) -> Paged:
    """One pass over a collection; raises Restart when the total changes, SyncError when it cannot be read."""
    paged = Paged(into())
    try:
        return _read(client, path, key, params, on_page, paged)
    except BaseException:
        if hasattr(paged.records, "close"):
            paged.records.close()
        raise


def _read(
    client: OneRosterClient,
    path: str,
    key: str,
    params: dict[str, str],
    on_page: Callable[[int, int | None], None] | None,
    paged: Paged,
) -> Paged:
    shaped = getattr(paged.records, "shaped", None) or (lambda record: record)  # as the first copy is kept
    seen: set[str] = set()
    copies: dict[str, set[int]] = {}  # sourcedId served again -> the fingerprints of its later copies
    pages: dict[int, int] = {}  # a signature of the sourcedIds of each page received -> its offset
    offset, total, stale = 0, None, 0
    next_url: str | None = None
    base = {**params, "sort": "sourcedId", "orderBy": "asc", "limit": str(client.settings.page_size)}
    while True:
        response, page = client._page(path, key, next_url, {**base, "offset": str(offset)})
        header_total = response.headers.get("X-Total-Count")
        if header_total is not None and header_total.isdigit():
            if total is not None and int(header_total) != total:
                raise Restart
            total = int(header_total)
        if not page:
            break
        ids = [record.get("sourcedId") if isinstance(record, dict) else None for record in page]
        signature = hash(frozenset(ids))
        if len(page) > 1 and signature in pages:
            raise SyncError(
                f"GET {path}: the provider ignores offset: the page at offset {offset} repeats the records of the "
                f"page at offset {pages[signature]}, so the collection cannot be read whole"
            )
        pages.setdefault(signature, offset)
        fresh = 0
        for sourced_id, record in zip(ids, page, strict=True):
            if isinstance(sourced_id, str) and sourced_id in seen:
                copies.setdefault(sourced_id, set()).add(_fingerprint(shaped(record)))
                continue
            if isinstance(sourced_id, str):
                seen.add(sourced_id)
            paged.records.append(record)  # one without a sourcedId is refused later, with its reason
            fresh += 1
        offset += len(page)
        stale = 0 if fresh else stale + 1
        if stale >= STALE_PAGES:
            raise SyncError(
                f"GET {path}: {STALE_PAGES} pages in a row held only records already received; the provider's "
                "paging makes no progress (it ignores offset?)"
            )
        if on_page:
            on_page(len(paged.records), total)
        if total is not None and offset >= total:
            break
        match = LINK_NEXT.search(response.headers.get("Link", ""))
        next_url = match.group(1) if match and same_origin(match.group(1), client.base_url) else None
        if next_url and f"offset={offset}" not in next_url:
            next_url = None  # a Link that does not continue where we are is not trusted
    if total is not None and offset < total:
        raise SyncError(f"GET {path}: received {offset} of the {total} records announced")
    paged.announced = total is not None
    if copies:
        _compare_copies(paged, copies)
    return paged


def _compare_copies(paged: Paged, copies: dict[str, set[int]]) -> None:
    """Sort the sourcedIds served more than once into identical and conflicting, against the copy kept."""
    for record in paged.records:
        sourced_id = record.get("sourcedId") if isinstance(record, dict) else None
        if sourced_id in copies:
            same = copies[sourced_id] == {_fingerprint(record)}
            (paged.identical if same else paged.conflicting).add(sourced_id)
