"""What a sync refuses to store, and why: records served twice with different content, and records that name
what the roster does not hold.

The roster a sync would leave is the pulled records (for a complete entity) or the stored ones changed by
the pulled ones (for a delta), active records only. A record naming a user, class or line item outside it
(an enrollment whose user the provider does not serve, or deleted) is rejected and listed; so is a record
naming an org, course, session or category that the provider neither serves nor ever served (a dangling
reference; a deleted one is no reason, since children outlive a retired parent); and so, in turn, is whatever
names a rejected record, until nothing kept points at a user, class or line item that is not kept. A rejected
record's stored copy goes too, since what it names is gone; a record whose copies conflicted stays as
stored, since neither copy can be chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from rosterlab.consumer.sources.base import Pull
from rosterlab.consumer.store import TABLES

# entity -> (field, entity it names): the references a kept record must be able to follow.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "org": (("parent", "org"),),
    "academicSession": (("parent", "academicSession"),),
    "course": (("org", "org"),),
    "class": (("course", "course"), ("school", "org"), ("terms", "academicSession")),
    "enrollment": (("user", "user"), ("class", "class"), ("school", "org")),
    "demographics": (("sourcedId", "user"),),  # a user's demographics carry the user's sourcedId
    "lineItem": (("class", "class"), ("category", "category")),
    "result": (("lineItem", "lineItem"), ("student", "user")),
}
# What a kept record may name only while it is active: the provider deleting it ends what names it.
STRICT = frozenset({"user", "class", "lineItem"})


@dataclass
class Refusals:
    """Records not applied, per entity, with why; and those whose stored copy goes (what they name is gone)."""

    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    retired: dict[str, set[str]] = field(default_factory=dict)

    def listed(self) -> list[str]:
        return [reason for reasons in self.reasons.values() for reason in reasons.values()]


def _named(record: Mapping[str, Any], name: str) -> list[str]:
    value = record.get(name)
    if name == "sourcedId":
        return [value] if isinstance(value, str) else []
    refs = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    return [ref["sourcedId"] for ref in refs if isinstance(ref, Mapping) and isinstance(ref.get("sourcedId"), str)]


def _active(records: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for record in records:
        keyed = isinstance(record, dict) and isinstance(record.get("sourcedId"), str)
        if keyed and record.get("status") != "tobedeleted":
            yield record


def _stored(connection: Connection, name: str, entity: str) -> tuple[set[str], set[str]]:
    """The sourcedIds a connection holds of an entity: all of them, and the active ones."""
    table = TABLES[entity]
    rows = connection.execute(select(table.c.sourced_id, table.c.status).where(table.c.connection == name)).all()
    return {sid for sid, _ in rows}, {sid for sid, status in rows if status == "active"}


@dataclass
class _Roster:
    present: dict[str, set[str]] = field(default_factory=dict)  # active once the pull is applied
    deleted: dict[str, set[str]] = field(default_factory=dict)  # served or held, and deleted


def _roster(connection: Connection, name: str, pulled: Pull, entities: Iterable[str]) -> _Roster:
    """Each entity's sourcedIds once the pull is applied: the active ones, and the deleted ones."""
    roster = _Roster()
    for entity in entities:
        records = pulled.records.get(entity)
        conflicts = pulled.conflicts.get(entity, set())
        held, stored = _stored(connection, name, entity)
        ids, ended = set(), set(pulled.gone.get(entity, ()))
        for record in records if records is not None else ():
            if isinstance(record, dict) and isinstance(record.get("sourcedId"), str):
                (ended if record.get("status") == "tobedeleted" else ids).add(record["sourcedId"])
        base = set() if records is not None and entity in pulled.complete else stored - ended
        present = (base | ids) - conflicts | (conflicts & stored)
        roster.present[entity] = present
        roster.deleted[entity] = (ended | held) - present
    return roster


def refusals(connection: Connection, name: str, pulled: Pull, entities: Iterable[str]) -> Refusals:
    """The records of `pulled` that are not to be applied, with why."""
    entities = tuple(entities)
    roster = _roster(connection, name, pulled, entities)
    out = Refusals({entity: {} for entity in entities}, {entity: set() for entity in entities})
    for entity, ids in pulled.conflicts.items():
        for sourced_id in sorted(ids):
            out.reasons.setdefault(entity, {})[sourced_id] = (
                f"{entity} {sourced_id}: served twice with different content; rejected (neither copy is chosen)"
            )
    changed = set(entities)  # entities whose kept records changed: what names them is checked (again)
    while changed:
        named, changed = changed, set()
        for entity, references in REFERENCES.items():
            records = pulled.records.get(entity)
            checked = [(f, target) for f, target in references if target in roster.present and target in named]
            if records is None or not checked or entity not in roster.present:
                continue
            reasons = out.reasons.setdefault(entity, {})
            for record in _active(records):
                sourced_id = record["sourcedId"]
                if sourced_id in reasons:
                    continue
                why = _unresolved(record, checked, roster, out)
                if why:
                    reasons[sourced_id] = f"{entity} {sourced_id}: {why}; rejected"
                    out.retired.setdefault(entity, set()).add(sourced_id)
                    roster.present[entity].discard(sourced_id)
                    changed.add(entity)
    return out


def _unresolved(record: Mapping[str, Any], checked, roster: _Roster, out: Refusals) -> str | None:
    """Why a record cannot be kept for what it names, or None."""
    for name, target in checked:
        for sourced_id in _named(record, name):
            if sourced_id in roster.present[target]:
                continue
            if sourced_id in out.reasons.get(target, {}):
                return f"names {target} {sourced_id} ({name}), which was rejected"
            if sourced_id not in roster.deleted[target]:
                return f"names {target} {sourced_id} ({name}), which the provider does not serve"
            if target in STRICT:
                return f"names {target} {sourced_id} ({name}), which the provider deleted"
    return None
