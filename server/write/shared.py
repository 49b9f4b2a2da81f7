"""Objects shared by every org (categories, assessment line items) changed only by clients who cover their use.

A client restricted to some orgs may replace or delete a shared object only when every record using it lies
within those orgs; otherwise one school could rename or remove what other schools' line items and results
depend on. Unrestricted clients may always.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from rosterlab.server.query.visibility import expand_orgs, visibility
from rosterlab.server.store.cascade import references_to, referring
from rosterlab.server.store.tables import ENTITY_TABLES


def is_shared(entity_name: str) -> bool:
    """Whether an entity belongs to no org (every client sees all of it)."""
    return visibility(entity_name, frozenset()) is None


def used_beyond(connection: Connection, entity_name: str, sourced_id: str, orgs: tuple[str, ...]) -> bool:
    """Whether a shared object is used by any record outside `orgs` (never, for an unrestricted client)."""
    if not orgs or not is_shared(entity_name):
        return False
    allowed = expand_orgs(connection, orgs)
    for ref in references_to(entity_name):
        restriction = visibility(ref.entity, allowed)
        if restriction is None:
            continue
        ids = {document["sourcedId"] for document in referring(connection, ref, sourced_id, active_only=False)}
        if not ids:
            continue
        table = ENTITY_TABLES[ref.entity]
        inside = select(func.count()).select_from(table).where(table.c.sourced_id.in_(ids), restriction)
        if connection.execute(inside).scalar_one() < len(ids):
            return True
    return False
