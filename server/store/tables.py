"""The tables: one per entity, and one table of links for the many-to-many relations.

Each entity row holds the object rendered for 1.1 (`v1p1`, absent for 1.2-only entities) and for 1.2
(`v1p2`, the canonical form). Filters run against the document of the requested version, so a filter
means what the client sees; the row's other columns exist only to make nested endpoints fast.
"""

from __future__ import annotations

import re

from sqlalchemy import JSON, Column, Index, MetaData, String, Table

from rosterlab.spec.entities import V1P2

metadata = MetaData()

# Columns that nested endpoints join on: column name -> the field (a GUIDRef or a plain value) it copies.
INDEX_COLUMNS: dict[str, dict[str, str]] = {
    "org": {"type": "type", "parent_id": "parent"},
    "academicSession": {"type": "type", "parent_id": "parent"},
    "course": {"org_id": "org"},
    "class": {"course_id": "course", "school_id": "school"},
    "enrollment": {"user_id": "user", "class_id": "class", "school_id": "school", "role": "role"},
    "lineItem": {"class_id": "class", "school_id": "school", "category_id": "category"},
    "result": {"line_item_id": "lineItem", "student_id": "student", "class_id": "class"},
    "scoreScale": {"class_id": "class"},
    "assessmentResult": {"student_id": "student"},
}

# Link kinds: (owner entity, field holding a list of GUIDRefs); "role" links come from users' roles.
LINK_FIELDS: dict[str, tuple[str, str]] = {
    "class_term": ("class", "terms"),
    "class_resource": ("class", "resources"),
    "course_resource": ("course", "resources"),
    "user_resource": ("user", "resources"),
}
ROLE_LINK = "user_role"


def table_name(plural: str) -> str:
    """`academicSessions` -> `academic_sessions`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", plural).lower()


def _entity_table(entity_name: str, plural: str) -> Table:
    extra = [Column(name, String, index=True) for name in INDEX_COLUMNS.get(entity_name, {})]
    return Table(
        table_name(plural),
        metadata,
        Column("sourced_id", String, primary_key=True),
        Column("status", String, nullable=False, index=True),
        Column("date_last_modified", String, nullable=False, index=True),
        Column("v1p1", JSON, nullable=True),
        Column("v1p2", JSON, nullable=False),
        *extra,
    )


ENTITY_TABLES: dict[str, Table] = {entity.name: _entity_table(entity.name, entity.plural) for entity in V1P2.entities}

links = Table(
    "links",
    metadata,
    Column("kind", String, primary_key=True),
    Column("owner_id", String, primary_key=True),
    Column("target_id", String, primary_key=True),
    Column("role", String, primary_key=True, default=""),
)
Index("links_target", links.c.kind, links.c.target_id)


def entity_table(entity_name: str) -> Table:
    """The table of an entity, by its singular key."""
    return ENTITY_TABLES[entity_name]


# The SIS's own state (its clock), apart from the data so that reloading a district keeps it.
state_metadata = MetaData()
sis_state = Table("sis_state", state_metadata, Column("key", String, primary_key=True), Column("value", String))
