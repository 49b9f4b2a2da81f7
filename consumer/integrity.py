"""What a sync refuses to store, and why: records served twice with different content, and records that name
what the roster does not hold (an enrollment whose user or class the provider does not serve, a class whose
course does not exist, ...).

The roster a sync would leave is the pulled records (for a complete entity) or the stored ones changed by
the pulled ones (for a delta), active records only. A record naming something outside it is rejected and
listed, and so, in turn, is whatever names a rejected record, until nothing kept points at what is not kept.
A rejected record's stored copy goes too when what it names is gone; a record whose copies conflicted stays
as stored, since neither copy can be chosen.
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


def _stored_active(connection: Connection, name: str, entity: str) -> set[str]:
    table = TABLES[entity]
    query = select(table.c.sourced_id).where(table.c.connection == name, table.c.status == "active")
    return set(connection.execute(query).scalars())


def _roster(connection: Connection, name: str, pulled: Pull, entities: Iterable[str]) -> dict[str, set[str]]:
    """The sourcedIds of each entity's active records once the pull is applied."""
    present: dict[str, set[str]] = {}
    for entity in entities:
        records = pulled.records.get(entity)
        conflicts = pulled.conflicts.get(entity, set())
        stored = _stored_active(connection, name, entity)
        if records is None:
            present[entity] = stored
            continue
        ids, ended = set(), set(pulled.gone.get(entity, ()))
        for record in records:
            if isinstance(record, dict) and isinstance(record.get("sourcedId"), str):
                (ended if record.get("status") == "tobedeleted" else ids).add(record["sourcedId"])
        base = set() if entity in pulled.complete else stored - ended
        present[entity] = (base | ids) - conflicts | (conflicts & stored)
    return present


def refusals(connection: Connection, name: str, pulled: Pull, entities: Iterable[str]) -> Refusals:
    """The records of `pulled` that are not to be applied, with why."""
    entities = tuple(entities)
    present = _roster(connection, name, pulled, entities)
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
            checked = [(f, target) for f, target in references if target in present and target in named]
            if records is None or not checked or entity not in present:
                continue
            reasons = out.reasons.setdefault(entity, {})
            for record in _active(records):
                sourced_id = record["sourcedId"]
                if sourced_id in reasons:
                    continue
                why = _dangling(record, checked, present, out)
                if why:
                    reasons[sourced_id] = f"{entity} {sourced_id}: {why}; rejected"
                    out.retired.setdefault(entity, set()).add(sourced_id)
                    present[entity].discard(sourced_id)
                    changed.add(entity)
    return out


def _dangling(record: Mapping[str, Any], checked, present: dict[str, set[str]], out: Refusals) -> str | None:
    for name, target in checked:
        for sourced_id in _named(record, name):
            if sourced_id in present[target]:
                continue
            if sourced_id in out.reasons.get(target, {}):
                return f"names {target} {sourced_id} ({name}), which was rejected"
            return f"names {target} {sourced_id} ({name}), which the provider does not serve"
    return None
