"""Create, replace and delete objects: reference checks, derived fields, one transaction per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from rosterlab.server.query.visibility import expand_orgs, visibility
from rosterlab.server.store.load import entity_row, link_rows
from rosterlab.server.store.tables import ENTITY_TABLES, LINK_FIELDS, ROLE_LINK, links
from rosterlab.spec.entities import V1P2
from rosterlab.spec.model import Nested, Ref


def _references(entity_name: str, record: Mapping[str, Any]):
    """(where, target entity, sourcedId) of every GUIDRef in a record, nested ones included."""
    entity = V1P2.entity(entity_name)

    def walk(fields, value, where):
        for field in fields:
            if field.name not in value:
                continue
            items = value[field.name] if field.many else [value[field.name]]
            for index, item in enumerate(items):
                at = f"{where}.{field.name}" + (f"[{index}]" if field.many else "")
                if isinstance(field.type, Ref):
                    yield at, field.type.target, item["sourcedId"]
                elif isinstance(field.type, Nested) and not V1P2.structure(field.type.structure).open:
                    yield from walk(V1P2.structure(field.type.structure).fields, item, at)

    yield from walk(entity.all_fields, record, entity_name)


def _visible(connection: Connection, entity_name: str, sourced_id: str, allowed: frozenset[str] | None) -> bool:
    table = ENTITY_TABLES[entity_name]
    condition = table.c.sourced_id == sourced_id
    if allowed is not None and (restriction := visibility(entity_name, allowed)) is not None:
        condition = and_(condition, restriction)
    return connection.execute(select(table.c.sourced_id).where(condition)).first() is not None


def missing_references(
    connection: Connection, entity_name: str, record: Mapping[str, Any], orgs: tuple[str, ...] = ()
) -> list[str]:
    """The references of a record that name no object (or none the client may see)."""
    allowed = expand_orgs(connection, orgs) if orgs else None
    return [
        f"{where}: no {target} has sourcedId {sourced_id!r}"
        for where, target, sourced_id in _references(entity_name, record)
        if not _visible(connection, target, sourced_id, allowed)
    ]


def complete(connection: Connection, entity_name: str, record: dict[str, Any]) -> dict[str, Any]:
    """Fill fields the record can take from what it references (a line item's school from its class)."""
    classes, line_items = ENTITY_TABLES["class"], ENTITY_TABLES["lineItem"]
    if entity_name == "result" and "class" not in record and "lineItem" in record:
        class_id = connection.execute(
            select(line_items.c.class_id).where(line_items.c.sourced_id == record["lineItem"]["sourcedId"])
        ).scalar()
        if class_id:
            record["class"] = {"sourcedId": class_id}
    if entity_name == "lineItem" and "school" not in record and "class" in record:
        school = connection.execute(
            select(classes.c.school_id).where(classes.c.sourced_id == record["class"]["sourcedId"])
        ).scalar()
        if school:
            record["school"] = {"sourcedId": school}
    return record


def exists(connection: Connection, entity_name: str, sourced_id: str, orgs: tuple[str, ...] = ()) -> bool:
    """Whether the object exists (and is visible to a client restricted to `orgs`)."""
    return _visible(connection, entity_name, sourced_id, expand_orgs(connection, orgs) if orgs else None)


def link_kinds(entity_name: str) -> tuple[str, ...]:
    """The kinds of link an entity's records own (a demographics record, sharing its user's sourcedId, owns
    none of the user's)."""
    kinds = tuple(kind for kind, (owner, _) in LINK_FIELDS.items() if owner == entity_name)
    return (*kinds, ROLE_LINK) if entity_name == "user" else kinds


def _drop_links(connection: Connection, entity_name: str, sourced_id: str) -> None:
    kinds = link_kinds(entity_name)
    if kinds:
        connection.execute(delete(links).where(links.c.owner_id == sourced_id, links.c.kind.in_(kinds)))


def save(connection: Connection, entity_name: str, record: dict[str, Any]) -> bool:
    """Write a canonical record as it is (its own status and dateLastModified); True when it is new."""
    table = ENTITY_TABLES[entity_name]
    row = entity_row(entity_name, record)
    created = connection.execute(delete(table).where(table.c.sourced_id == record["sourcedId"])).rowcount == 0
    connection.execute(insert(table), row)
    _drop_links(connection, entity_name, record["sourcedId"])
    new_links = list(link_rows(entity_name, record))
    if new_links:
        connection.execute(insert(links), new_links)
    return created


def store(connection: Connection, entity_name: str, record: dict[str, Any], stamp: str) -> bool:
    """Create or replace an object, active and modified at `stamp`; True when it was created."""
    return save(connection, entity_name, dict(record, status="active", dateLastModified=stamp))


def remove(connection: Connection, entity_name: str, sourced_id: str) -> None:
    """Delete an object for good: it leaves every list and its GET answers 404."""
    table = ENTITY_TABLES[entity_name]
    connection.execute(delete(table).where(table.c.sourced_id == sourced_id))
    _drop_links(connection, entity_name, sourced_id)
