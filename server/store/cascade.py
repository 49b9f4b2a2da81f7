"""What goes with a record that goes: the records that depend on it, read from the model.

When a record is marked `tobedeleted`, each active record that references it follows its reference:

- a reference it cannot do without (required by the model, or by the CSV binding: a course's org; a line item
  needs its grading period or its academic session, one of the two) -> it is marked `tobedeleted` too, and
  what depends on it in turn;
- an item of a list (agents, children, terms, resources, roles) -> the item leaves the list, and a list that
  must not be empty and is left empty takes the record with it;
- any other reference -> it is removed.

A user's demographics (the same sourcedId) go with the user. Everything touched is stamped with the
deletion's instant, so a `dateLastModified>` delta carries it, and a bulk export never names a record it
leaves out. The SIS's own churn, `rosterlab sis delete`, the admin API and CSV imports all delete this way.

An object deleted for good (a gradebook DELETE) cannot go while a record still needs it (`holders`); the
references that may go are removed first (`release`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, String, cast, select

from rosterlab.server.store.tables import ENTITY_TABLES, INDEX_COLUMNS, LINK_FIELDS, ROLE_LINK, links
from rosterlab.server.store.write import save
from rosterlab.spec.entities import V1P2
from rosterlab.spec.model import Entity, Nested, Ref

Document = dict[str, Any]

# References the CSV binding requires where the REST model does not: (entity, field).
CSV_REQUIRED = frozenset({("course", "org")})
# Fields of which a record needs at least one: a line item's grading period or academic session.
NEEDS_ONE_OF: dict[str, tuple[str, ...]] = {"lineItem": ("gradingPeriod", "academicSession")}
# Records that share the sourcedId of the record they describe.
SAME_ID: dict[str, tuple[str, ...]] = {"user": ("demographics",)}


@dataclass(frozen=True)
class Reference:
    """A GUIDRef field of an entity: top-level, in a list, or inside the items of a nested list (a role's org)."""

    entity: str
    field: str
    inner: str | None
    target: str
    many: bool
    required: bool  # the record cannot do without it (a single ref), or the list must keep an item


@dataclass
class Changes:
    """What a deletion did, by entity: records marked tobedeleted, records whose references were removed."""

    retired: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)


def _entity_references(entity: Entity) -> Iterator[Reference]:
    for top in entity.all_fields:
        if isinstance(top.type, Ref):
            required = top.required or (entity.name, top.name) in CSV_REQUIRED
            yield Reference(entity.name, top.name, None, top.type.target, top.many, required)
        elif isinstance(top.type, Nested) and top.many and not V1P2.structure(top.type.structure).open:
            for inner in V1P2.structure(top.type.structure).fields:
                if isinstance(inner.type, Ref):
                    yield Reference(entity.name, top.name, inner.name, inner.type.target, True, top.min_items > 0)


REFERENCES: tuple[Reference, ...] = tuple(ref for entity in V1P2.entities for ref in _entity_references(entity))


def references_to(entity_name: str) -> tuple[Reference, ...]:
    """Every reference that may name a record of `entity_name`."""
    return tuple(ref for ref in REFERENCES if ref.target == entity_name)


def _index_column(ref: Reference) -> str | None:
    if ref.many:
        return None
    return next((column for column, name in INDEX_COLUMNS.get(ref.entity, {}).items() if name == ref.field), None)


def _link_kind(ref: Reference) -> str | None:
    if ref.inner == "org" and (ref.entity, ref.field) == ("user", "roles"):
        return ROLE_LINK
    return next((kind for kind, owner in LINK_FIELDS.items() if owner == (ref.entity, ref.field)), None)


def _narrowing(ref: Reference, sourced_id: str) -> ColumnElement[bool]:
    """A condition every record naming `sourced_id` through `ref` meets: an index column, a link, or at
    least the sourcedId somewhere in its document."""
    table = ENTITY_TABLES[ref.entity]
    if (column := _index_column(ref)) is not None:
        return table.c[column] == sourced_id
    if (kind := _link_kind(ref)) is not None:
        owners = select(links.c.owner_id).where(links.c.kind == kind, links.c.target_id == sourced_id)
        return table.c.sourced_id.in_(owners)
    return cast(table.c.v1p2, String).contains(orjson.dumps(sourced_id).decode(), autoescape=True)


def named(document: Document, ref: Reference) -> set[str]:
    """The sourcedIds a document names through a reference."""
    value = document.get(ref.field)
    if not value:
        return set()
    items = value if ref.many else [value]
    if ref.inner is not None:
        items = [item.get(ref.inner) for item in items if isinstance(item, dict)]
    return {item["sourcedId"] for item in items if isinstance(item, dict) and "sourcedId" in item}


def referring(connection: Connection, ref: Reference, sourced_id: str, active_only: bool = True) -> list[Document]:
    """The documents that name `sourced_id` through `ref` (the active ones, unless `active_only` is off)."""
    table = ENTITY_TABLES[ref.entity]
    condition = _narrowing(ref, sourced_id)
    if active_only:
        condition = condition & (table.c.status == "active")
    query = select(table.c.v1p2).where(condition).order_by(table.c.sourced_id)
    return [document for document in connection.execute(query).scalars() if sourced_id in named(document, ref)]


def without(document: Document, ref: Reference, sourced_id: str) -> tuple[Document, bool]:
    """The document with its reference to `sourced_id` removed, and whether it can stand without it."""
    if not ref.many:
        kept = {k: v for k, v in document.items() if k != ref.field}
        stands = not ref.required
    else:
        items = [item for item in document.get(ref.field, []) if sourced_id not in named({ref.field: [item]}, ref)]
        kept = {k: v for k, v in document.items() if k != ref.field}
        if items:
            kept[ref.field] = items
        stands = bool(items) or not ref.required
    needed = NEEDS_ONE_OF.get(ref.entity, ())
    if needed and not any(kept.get(name) for name in needed):
        stands = False
    return kept, stands


def _document(connection: Connection, entity_name: str, sourced_id: str) -> Document | None:
    table = ENTITY_TABLES[entity_name]
    return connection.execute(select(table.c.v1p2).where(table.c.sourced_id == sourced_id)).scalar()


def _is_active(connection: Connection, entity_name: str, sourced_id: str) -> bool:
    table = ENTITY_TABLES[entity_name]
    query = select(table.c.sourced_id).where(table.c.sourced_id == sourced_id, table.c.status == "active")
    return connection.execute(query).first() is not None


def _drop(connection: Connection, ref: Reference, owner_id: str, sourced_id: str, stamp: str) -> None:
    """Remove one record's reference to `sourced_id` (read afresh: several references may touch it)."""
    document = _document(connection, ref.entity, owner_id)
    if document is not None:
        kept, _ = without(document, ref, sourced_id)
        save(connection, ref.entity, {**kept, "dateLastModified": stamp})


def _followers(
    connection: Connection, entity_name: str, sourced_id: str, stamp: str, doomed: set[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[Reference, str]]]:
    """What must go with a record (entity, sourcedId), and the references to it that merely go."""
    going = [(other, sourced_id) for other in SAME_ID.get(entity_name, ()) if _is_active(connection, other, sourced_id)]
    dropping: list[tuple[Reference, str]] = []
    for ref in references_to(entity_name):
        for document in referring(connection, ref, sourced_id):
            _, stands = without(document, ref, sourced_id)
            key = (ref.entity, document["sourcedId"])
            if not stands:
                going.append(key)
            elif key not in doomed:
                dropping.append((ref, document["sourcedId"]))
    return going, dropping


def retire(connection: Connection, entity_name: str, sourced_id: str, stamp: str) -> Changes:
    """Mark a record tobedeleted at `stamp`, and with it every record that depends on it; what changed (the
    record itself counted even when it was already tobedeleted; nothing when there is no such record)."""
    changes = Changes()
    queue: deque[tuple[str, str]] = deque([(entity_name, sourced_id)])
    doomed = {(entity_name, sourced_id)}
    while queue:
        name, current = queue.popleft()
        document = _document(connection, name, current)
        if document is None:
            continue
        save(connection, name, {**document, "status": "tobedeleted", "dateLastModified": stamp})
        changes.retired[name] += 1
        going, dropping = _followers(connection, name, current, stamp, doomed)
        for key in going:
            if key not in doomed:
                doomed.add(key)
                queue.append(key)
        for ref, owner_id in dropping:
            if (ref.entity, owner_id) not in doomed:
                _drop(connection, ref, owner_id, current, stamp)
                changes.updated[ref.entity] += 1
    return changes


def holders(connection: Connection, entity_name: str, sourced_id: str, every: bool = False) -> list[str]:
    """What still needs an object (whatever its status), described for a refusal to delete it for good;
    with `every`, whatever refers to it at all."""
    counts: Counter[str] = Counter()
    for ref in references_to(entity_name):
        for document in referring(connection, ref, sourced_id, active_only=False):
            if every or not without(document, ref, sourced_id)[1]:
                counts[ref.entity] += 1
    return [f"{count} {entity}(s)" for entity, count in counts.items()]


def release(connection: Connection, entity_name: str, sourced_id: str, stamp: str) -> Counter[str]:
    """Remove every reference to an object about to be deleted for good, stamping each record touched."""
    updated: Counter[str] = Counter()
    for ref in references_to(entity_name):
        for document in referring(connection, ref, sourced_id, active_only=False):
            _drop(connection, ref, document["sourcedId"], sourced_id, stamp)
            updated[ref.entity] += 1
    return updated
