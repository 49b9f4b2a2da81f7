"""What a client restricted to some orgs may see: those orgs, the orgs below them, and what belongs to them.

Users belong to the orgs of their roles; classes, enrollments and line items to their school; courses to
their org; results and score scales to their class's school; demographics to their user. Academic
sessions, categories, resources and assessment line items are shared by every org.

The restriction is a separate condition ANDed with the whole of the client's filter, so no filter
(`a='x' OR b='y'`) can widen it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, exists, select

from rosterlab.server.store.tables import ROLE_LINK, entity_table, links

Condition = ColumnElement[bool]
ORGS = entity_table("org")
CLASSES = entity_table("class")


def expand_orgs(connection: Connection, orgs: Iterable[str]) -> frozenset[str]:
    """The orgs given and every org below them."""
    found = set(orgs)
    frontier = set(found)
    while frontier:
        children = {
            row[0] for row in connection.execute(select(ORGS.c.sourced_id).where(ORGS.c.parent_id.in_(frontier)))
        }
        frontier = children - found
        found |= frontier
    return frozenset(found)


def _users_in(allowed: frozenset[str]):
    return select(links.c.owner_id).where(links.c.kind == ROLE_LINK, links.c.target_id.in_(allowed))


def visibility(entity_name: str, allowed: frozenset[str]) -> Condition | None:
    """The condition that keeps an entity's rows within the allowed orgs (None: the entity is shared)."""
    table = entity_table(entity_name)
    school_classes = select(CLASSES.c.sourced_id).where(CLASSES.c.school_id.in_(allowed))
    if entity_name == "org":
        return table.c.sourced_id.in_(allowed)
    if entity_name == "course":
        return table.c.org_id.in_(allowed)
    if entity_name in ("class", "enrollment", "lineItem"):
        return table.c.school_id.in_(allowed)
    if entity_name == "user":
        return exists(_users_in(allowed).where(links.c.owner_id == table.c.sourced_id))
    if entity_name == "demographics":
        return table.c.sourced_id.in_(_users_in(allowed))
    if entity_name in ("result", "scoreScale"):
        return table.c.class_id.in_(school_classes)
    if entity_name == "assessmentResult":
        return table.c.student_id.in_(_users_in(allowed))
    return None
