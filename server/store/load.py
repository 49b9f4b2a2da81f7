"""Write canonical records into the store: rendered documents, index columns and links, in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from rosterlab.server.store.revision import seed_revision
from rosterlab.server.store.tables import (
    ENTITY_TABLES,
    INDEX_COLUMNS,
    LINK_FIELDS,
    ROLE_LINK,
    links,
    metadata,
    state_metadata,
)
from rosterlab.spec.model import Version
from rosterlab.spec.render import canonical_instant, render

Record = Mapping[str, Any]
CHUNK = 2000

# The order in which entities are loaded, so that results can find their line item's class.
LOAD_ORDER = (
    "org",
    "academicSession",
    "course",
    "class",
    "user",
    "demographics",
    "enrollment",
    "resource",
    "category",
    "scoreScale",
    "lineItem",
    "result",
    "assessmentLineItem",
    "assessmentResult",
)


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet."""
    metadata.create_all(engine)
    state_metadata.create_all(engine)
    with engine.begin() as connection:
        seed_revision(connection)
        if connection.dialect.name == "postgresql":
            # Pages are ordered by sourcedId in code-point order; without this index PostgreSQL sorts every row.
            for table in ENTITY_TABLES.values():
                connection.exec_driver_sql(
                    f'CREATE INDEX IF NOT EXISTS {table.name}_sourced_id_c ON {table.name} (sourced_id COLLATE "C")'
                )


def _ref_id(value: Any) -> str | None:
    if value is None:
        return None
    return value["sourcedId"] if isinstance(value, Mapping) else str(value)


def entity_row(entity_name: str, record: Record, line_item_classes: Mapping[str, str] | None = None) -> dict:
    """The table row of one canonical record."""
    v1p2 = render(entity_name, record, Version.V1P2)
    assert v1p2 is not None
    row = {
        "sourced_id": record["sourcedId"],
        "status": record.get("status", "active"),
        "date_last_modified": canonical_instant(record["dateLastModified"]),
        "v1p1": render(entity_name, record, Version.V1P1),
        "v1p2": v1p2,
    }
    for column, field in INDEX_COLUMNS.get(entity_name, {}).items():
        value = record.get(field)
        row[column] = value if isinstance(value, str) else _ref_id(value)
    if entity_name == "result" and row.get("class_id") is None and line_item_classes:
        row["class_id"] = line_item_classes.get(row["line_item_id"])
    return row


def link_rows(entity_name: str, record: Record) -> Iterator[dict]:
    """The link rows of one canonical record (class terms, resources, user roles)."""
    owner = record["sourcedId"]
    for kind, (owner_entity, field) in LINK_FIELDS.items():
        if owner_entity == entity_name:
            for target in record.get(field, []):
                yield {"kind": kind, "owner_id": owner, "target_id": _ref_id(target), "role": ""}
    if entity_name == "user":
        seen = set()
        for role in record.get("roles", []):
            key = (_ref_id(role["org"]), role["role"])
            if key not in seen:
                seen.add(key)
                yield {"kind": ROLE_LINK, "owner_id": owner, "target_id": key[0], "role": key[1]}


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def insert_records(connection: Connection, records: Mapping[str, Iterable[Record]]) -> dict[str, int]:
    """Insert canonical records by entity; return how many rows each entity received."""
    counts: dict[str, int] = {}
    line_item_classes: dict[str, str] = {}
    for entity_name in LOAD_ORDER:
        if entity_name not in records:
            continue
        table = ENTITY_TABLES[entity_name]
        link_buffer: list[dict] = []
        count = 0
        for chunk in _chunks(records[entity_name]):
            rows = [entity_row(entity_name, record, line_item_classes) for record in chunk]
            connection.execute(insert(table), rows)
            count += len(rows)
            if entity_name == "lineItem":
                line_item_classes.update({row["sourced_id"]: row["class_id"] for row in rows})
            for record in chunk:
                link_buffer.extend(link_rows(entity_name, record))
            if len(link_buffer) >= CHUNK:
                connection.execute(insert(links), link_buffer)
                link_buffer = []
        if link_buffer:
            connection.execute(insert(links), link_buffer)
        counts[entity_name] = count
    return counts


def load(
    engine: Engine, records: Mapping[str, Iterable[Record]], *, replace: bool = True, bulk: bool = False
) -> dict[str, int]:
    """Create the schema and load records in one transaction; with `replace`, empty the store first, and with
    `bulk` too (a district's worth), build the indexes once at the end."""
    create_schema(engine)
    with engine.begin() as connection:
        if not replace:
            return insert_records(connection, records)
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
        if not bulk:  # dropping and building every index costs more than it saves on a small load
            return insert_records(connection, records)
        with indexes_built_after(connection):
            return insert_records(connection, records)


@contextmanager
def indexes_built_after(connection: Connection) -> Iterator[None]:
    """Drop the tables' secondary indexes for the duration and build them again at the end, in the same
    transaction: filling empty tables, building each index once is far cheaper than keeping it up row by row."""
    indexes = [index for table in metadata.sorted_tables for index in table.indexes]
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)


def is_empty(connection: Connection) -> bool:
    """Whether the store holds no records at all."""
    return all(
        connection.execute(select(table.c.sourced_id).limit(1)).first() is None for table in ENTITY_TABLES.values()
    )
