"""Data faults served from the store: records served twice, records their collections leave out, and GUIDRefs
to objects that do not exist.

Which records a fault touches is decided by the quirk seed and the record's sourcedId alone, so the same seed
touches the same records in every collection, nested endpoint and single read, on every worker, and a record
keeps its fault while the data around it changes. Each fault touches about one record in `ONE_IN` of those it
can apply to, and at least one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, Select, select

from rosterlab.server.quirks.switches import Quirks
from rosterlab.server.store import page_index
from rosterlab.server.store.tables import entity_table, links

ONE_IN = 10
ORPHANS_ONE_IN = 20
FARTHEST_COPY = 150  # a copy lands up to this many places after its original: often on a later page

# entity -> the GUIDRef fields that `dangling_refs` points at nothing, with the index column that says a
# record has that reference (None: read from the links table)
DANGLING_FIELDS: dict[str, dict[str, str | None]] = {
    "class": {"course": "course_id", "terms": None},
    "org": {"parent": "parent_id"},
    "course": {"org": "org_id"},
    "academicSession": {"parent": "parent_id"},
    "lineItem": {"category": "category_id"},
}


def rank(seed: int, fault: str, sourced_id: str) -> float:
    """Where a record falls in [0, 1) for a fault: the same for the same seed, fault and sourcedId."""
    digest = hashlib.blake2b(f"{seed}|{fault}|{sourced_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def choose(candidates: Iterable[str], seed: int, fault: str, one_in: int = ONE_IN) -> frozenset[str]:
    """About one candidate in `one_in`, and at least one when there is any."""
    best: tuple[float, str] | None = None
    chosen: set[str] = set()
    for sourced_id in candidates:
        r = rank(seed, fault, sourced_id)
        if r < 1 / one_in:
            chosen.add(sourced_id)
        if best is None or r < best[0]:
            best = (r, sourced_id)
    if not chosen and best is not None:
        chosen.add(best[1])
    return frozenset(chosen)


_CHOICES: dict[tuple[int, int, str, int], tuple[list[str], frozenset[str]]] = {}
_MAX_CHOICES = 256


def _choice_of(keys: list[str], seed: int, fault: str, one_in: int) -> frozenset[str]:
    """`choose` over a list of keys the page index keeps, computed once for each such list."""
    key = (id(keys), seed, fault, one_in)
    kept = _CHOICES.get(key)
    if kept is not None and kept[0] is keys:
        return kept[1]
    chosen = choose(keys, seed, fault, one_in)
    if len(_CHOICES) >= _MAX_CHOICES:
        _CHOICES.clear()
    _CHOICES[key] = (keys, chosen)
    return chosen


def _remembered_choice(connection: Connection, candidates: Select, seed: int, fault: str, one_in: int):
    return _choice_of(page_index.ordered_keys(connection, candidates), seed, fault, one_in)


@dataclass(frozen=True)
class Entry:
    """One place of a reshaped collection: the record, and whether it is a copy that differs."""

    sourced_id: str
    differs: bool = False


def reshape(connection: Connection, entity_name: str, ordered: list[str], quirks: Quirks) -> list[Entry]:
    """The ordered sourcedIds of a collection as the faulty provider serves them: records hidden by
    `orphan_enrollments` left out, records chosen by `duplicate_records` served twice (chosen among this
    collection's own records, so every collection has some). Half the copies follow their original at once,
    the others land up to `FARTHEST_COPY` places later, often on a later page."""
    hidden = orphaned(connection, entity_name, quirks)
    entries = [(float(i), Entry(sourced_id)) for i, sourced_id in enumerate(ordered) if sourced_id not in hidden]
    if quirks.duplicate_records and ordered:
        twice = _choice_of(ordered, quirks.seed, "duplicate", ONE_IN)
        copies = []
        for position, entry in entries:
            if entry.sourced_id in twice:
                far = rank(quirks.seed, "gap", entry.sourced_id)
                gap = 0 if far < 0.5 else 1 + int((far - 0.5) * 2 * FARTHEST_COPY)
                copies.append((position + gap + 0.5, Entry(entry.sourced_id, _differs(quirks, entry.sourced_id))))
        entries = sorted(entries + copies, key=lambda item: item[0])
    return [entry for _, entry in entries]


def _differs(quirks: Quirks, sourced_id: str) -> bool:
    if quirks.duplicate_records == "both":
        return rank(quirks.seed, "differs", sourced_id) < 0.5
    return quirks.duplicate_records == "differing"


def orphaned(connection: Connection, entity_name: str, quirks: Quirks) -> frozenset[str]:
    """The users or classes that `orphan_enrollments` leaves out of their collections (each has
    enrollments that still name it)."""
    if not quirks.orphan_enrollments or entity_name not in ("user", "class"):
        return frozenset()
    enrollments = entity_table("enrollment")
    column = enrollments.c.user_id if entity_name == "user" else enrollments.c.class_id
    candidates = select(column).distinct().where(column.is_not(None)).order_by(column)
    return _remembered_choice(connection, candidates, quirks.seed, "orphan", ORPHANS_ONE_IN)


def copy_that_differs(document: str) -> str:
    """A second copy of a record that disagrees with the first: a changed title or name, a later stamp."""
    record = orjson.loads(document)
    for name in ("title", "givenName", "name", "classCode", "identifier"):
        if isinstance(record.get(name), str):
            record[name] += " (2)"
            break
    else:
        record["status"] = "tobedeleted" if record.get("status") == "active" else "active"
    stamp = record.get("dateLastModified")
    if isinstance(stamp, str) and len(stamp) >= 19:
        record["dateLastModified"] = stamp[:17] + f"{(int(stamp[17:19]) + 1) % 60:02d}" + stamp[19:]
    return orjson.dumps(record).decode()


def dangling(connection: Connection, entity_name: str, quirks: Quirks) -> frozenset[str]:
    """The records of `entity_name` whose references `dangling_refs` points at nothing."""
    fields = DANGLING_FIELDS.get(entity_name) if quirks.dangling_refs else None
    if not fields:
        return frozenset()
    table = entity_table(entity_name)
    chosen: set[str] = set()
    for name, column in fields.items():
        if column is None:  # class terms: classes that have a term
            candidates = select(links.c.owner_id).distinct().where(links.c.kind == "class_term")
            candidates = candidates.order_by(links.c.owner_id)
        else:
            candidates = select(table.c.sourced_id).where(table.c[column].is_not(None)).order_by(table.c.sourced_id)
        chosen |= _remembered_choice(connection, candidates, quirks.seed, f"dangling {name}", ONE_IN)
    return frozenset(chosen)


def applies(entity_name: str, quirks: Quirks) -> bool:
    """Whether any data fault changes what a collection of `entity_name` serves."""
    return quirks.reshapes_collections or (quirks.dangling_refs and entity_name in DANGLING_FIELDS)


def with_dangling_refs(document: str, entity_name: str) -> str:
    """The record with every reference `dangling_refs` breaks pointing at an object that does not exist."""
    record = orjson.loads(document)
    for name in DANGLING_FIELDS[entity_name]:
        value = record.get(name)
        if isinstance(value, dict):
            record[name] = _nowhere(value)
        elif isinstance(value, list) and value:
            record[name] = [_nowhere(value[0]), *value[1:]]
    return orjson.dumps(record).decode()


def broken_targets(document: str, entity_name: str) -> set[str]:
    """The sourcedIds that `with_dangling_refs` stops the record from naming."""
    record = orjson.loads(document)
    named: set[str] = set()
    for name in DANGLING_FIELDS[entity_name]:
        value = record.get(name)
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, dict) and isinstance(first.get("sourcedId"), str):
            named.add(first["sourcedId"])
    return named


def _nowhere(ref: dict) -> dict:
    if not isinstance(ref.get("sourcedId"), str):
        return ref
    missing = f"{ref['sourcedId']}-gone"
    moved = dict(ref, sourcedId=missing)
    if isinstance(ref.get("href"), str):
        moved["href"] = ref["href"].rsplit("/", 1)[0] + "/" + missing
    return moved
