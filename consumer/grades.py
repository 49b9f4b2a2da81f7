"""Grade write-back: categories, line items and results written locally, then pushed to the provider.

A host application stages gradebook items in the local store (`stage`); `push_grades` PUTs each pending
one to the provider by its sourcedId, categories first, then line items, then results, so that what a
result points at exists. A PUT of the same body to the same sourcedId is idempotent, which is what makes
retrying it (on 429, 5xx gateways and broken connections, honouring Retry-After) safe; an item the provider
refuses stays pending and is reported.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import OneRosterClient, SyncError, reason
from rosterlab.consumer.store import GRADEBOOK, TABLES, metadata, runs
from rosterlab.spec.endpoints import base_path, operation
from rosterlab.spec.render import render
from rosterlab.spec.scopes import GRADEBOOK_PUT, scope_uri

PUSH_ORDER = GRADEBOOK  # category, lineItem, result
PUT_OPERATIONS = {"category": "putCategory", "lineItem": "putLineItem", "result": "putResult"}


@dataclass
class PushResult:
    """What a push did."""

    pushed: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def stage(engine: Engine, connection_name: str, entity: str, record: dict[str, Any]) -> str:
    """Add or change a gradebook item locally, pending a push; its local id."""
    if entity not in PUSH_ORDER:
        raise ValueError(f"only {', '.join(PUSH_ORDER)} are written back, not {entity!r}")
    metadata.create_all(engine)
    table = TABLES[entity]
    record = {"status": "active", "dateLastModified": _now(), **record}
    values = {"status": record["status"], "date_last_modified": record["dateLastModified"], "data": record}
    with engine.begin() as db:
        where = (table.c.connection == connection_name, table.c.sourced_id == record["sourcedId"])
        local_id = db.execute(select(table.c.local_id).where(*where)).scalar()
        if local_id is None:
            local_id = str(uuid.uuid4())
            row = {"connection": connection_name, "sourced_id": record["sourcedId"], "local_id": local_id}
            db.execute(insert(table), {**row, **values, "pending": True})
        else:
            db.execute(update(table).where(*where).values(**values, pending=True))
    return local_id


def _path(client: OneRosterClient, version: str, entity: str, sourced_id: str) -> str:
    op = operation(PUT_OPERATIONS[entity])
    root = client.base_url.split("/ims/oneroster", 1)[0]
    return root + base_path(version, op.service()) + op.path.replace("{sourcedId}", sourced_id)


def absolute_hrefs(value: Any, root: str) -> Any:
    """GUIDRef hrefs as full URLs on the provider (render gives paths)."""
    if isinstance(value, dict):
        return {
            k: (root + v if k == "href" and isinstance(v, str) and v.startswith("/") else absolute_hrefs(v, root))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [absolute_hrefs(item, root) for item in value]
    return value


def push_grades(engine: Engine, connection_name: str, client: OneRosterClient, version: str) -> PushResult:
    """PUT every pending gradebook item; each success is marked pushed at once, so a rerun resumes."""
    metadata.create_all(engine)
    result = PushResult()
    started = _now()
    auth = client.auth
    if isinstance(auth, OAuth2) and auth.requested and GRADEBOOK_PUT not in auth.requested:  # a read-only token
        auth.scope = f"{auth.requested} {scope_uri(version, GRADEBOOK_PUT)}"
        auth.refresh(client.http)
    for entity in PUSH_ORDER:
        table = TABLES[entity]
        with engine.connect() as db:
            pending = db.execute(
                select(table.c.sourced_id, table.c.data).where(
                    table.c.connection == connection_name, table.c.pending.is_(True)
                )
            ).all()
        for sourced_id, data in pending:
            body = {
                entity: absolute_hrefs(render(entity, data, version), client.base_url.split("/ims/oneroster", 1)[0])
            }
            try:
                response = client.put(_path(client, version, entity, sourced_id), body)
            except SyncError as error:
                result.failures.append(f"{entity} {sourced_id}: {error}")
                continue
            if response.status_code not in (200, 201, 204):
                result.failures.append(f"{entity} {sourced_id}: HTTP {response.status_code}: {reason(response)}")
                continue
            with engine.begin() as db:
                db.execute(
                    update(table)
                    .where(table.c.connection == connection_name, table.c.sourced_id == sourced_id)
                    .values(pending=False)
                )
            result.pushed[entity] = result.pushed.get(entity, 0) + 1
    with engine.begin() as db:
        db.execute(
            insert(runs),
            {
                "connection": connection_name,
                "kind": "push",
                "origin": "manual",
                "started": started,
                "finished": _now(),
                "outcome": "failed" if result.failures else "applied",
                "counts": {entity: {"pushed": count} for entity, count in result.pushed.items()},
                "error": "; ".join(result.failures[:20]) or None,
            },
        )
    return result
