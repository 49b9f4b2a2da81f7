"""Confirming a pull that no total vouches for.

Without a total (providers that send no count headers), or after the data changed mid-pull, a pull by offset
may have skipped a record that still exists (a record before the offset went away, so the rest moved up a
place) or kept one the provider has since deleted or changed. Taken as it is, the first would be deleted by
absence and the second kept. So such a pull is confirmed: the collection is listed again with its sourcedIds,
statuses and stamps only (`fields`), every record whose listing disagrees with the pull is read on its own by
sourcedId (404: it is gone), and the listing is repeated until one agrees. Too many disagreements, and the
collection is pulled again instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from rosterlab.consumer.client import OneRosterClient, Paged
from rosterlab.consumer.errors import HttpError, SyncError

SUMMARY_FIELDS = "sourcedId,status,dateLastModified"
MAX_READS = 200  # records read one by one in a listing; beyond, the collection is pulled again
MAX_LISTINGS = 3


@dataclass(frozen=True)
class Where:
    """Where a collection and its single records are read."""

    path: str
    key: str
    one_path: str  # with {sourcedId}
    one_key: str


def _summary(records: Iterable[Any], skip: set[str]) -> dict[str, tuple[Any, Any]]:
    return {
        record["sourcedId"]: (record.get("status"), record.get("dateLastModified"))
        for record in records
        if isinstance(record, dict) and isinstance(record.get("sourcedId"), str) and record["sourcedId"] not in skip
    }


def _listing(client: OneRosterClient, where: Where, params: dict[str, str]) -> Paged:
    try:
        return client.read_collection(where.path, where.key, {**params, "fields": SUMMARY_FIELDS})
    except HttpError as error:
        if error.status != 400:
            raise
        return client.read_collection(where.path, where.key, params)  # a provider that refuses `fields`


def confirm(
    client: OneRosterClient,
    where: Where,
    params: dict[str, str],
    paged: Paged,
    into: Callable[[], Any],
    pull_again: Callable[[], Paged],
) -> set[str]:
    """Make `paged` agree with the provider (its records replaced in a new `into()` where they did not); the
    sourcedIds the provider confirmed gone (404)."""
    gone: set[str] = set()
    for _ in range(MAX_LISTINGS):
        listed = _listing(client, where, params)
        skip = paged.conflicting | listed.conflicting
        theirs = _summary(listed.records, skip)
        ours = _summary(paged.records, skip)
        differ = {sid for sid in ours.keys() | theirs.keys() if ours.get(sid) != theirs.get(sid)}
        if not differ:
            return gone
        if len(differ) > MAX_READS:
            again = pull_again()
            _close(paged.records)
            paged.records, paged.identical, paged.conflicting = again.records, again.identical, again.conflicting
            continue
        read = {sid: client.read_one(where.one_path.replace("{sourcedId}", quote(sid, safe="")), where.one_key)
                for sid in sorted(differ)}  # fmt: skip
        records = into()
        for record in paged.records:
            if not (isinstance(record, dict) and record.get("sourcedId") in read):
                records.append(record)
        for sid, record in read.items():
            if record is None:
                gone.add(sid)
            else:
                gone.discard(sid)
                records.append(record)
        _close(paged.records)
        paged.records = records
    raise SyncError(
        f"GET {where.path}: the data kept changing while the pull was confirmed ({MAX_LISTINGS} listings); "
        "try again later"
    )


def _close(records: Any) -> None:
    if hasattr(records, "close"):
        records.close()
