"""PUT, DELETE and POST (create many) for the gradebook, in 1.1 and 1.2.

A write is checked whole before anything is stored: the body against the model (422 invaliddata, every
problem listed), the references against the store (422), the path's parents (404); then it is applied in
one transaction, stamped from the SIS's clock. PUT answers 201 when it creates and 200 when it replaces;
DELETE 204 (the references other objects may do without are removed), or 422 `deletefailure` while other
objects still need the object. A `Leniency` (from the server's quirks) says which deviations from the model
a body may show; by default none.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import Engine

from rosterlab.server.errors import OneRosterError
from rosterlab.server.query.relations import check_parents
from rosterlab.server.store import cascade, write
from rosterlab.server.store.clock import next_stamp
from rosterlab.server.write.shared import used_beyond
from rosterlab.server.write.validate import STRICT, BodyErrors, Leniency, canonical_record
from rosterlab.spec.endpoints import Operation
from rosterlab.spec.model import Version

# What the path of a create-many operation fixes in every item: parameter -> reference field.
PATH_REFERENCES: dict[str, dict[str, str]] = {
    "postLineItemsForClass": {"classSourcedId": "class"},
    "postLineItemsForSchool": {"schoolSourcedId": "school"},
    "postResultsForLineItem": {"lineItemSourcedId": "lineItem"},
    "postResultsForAcademicSessionForClass": {"classSourcedId": "class"},
}
MAX_PROBLEMS = 20
# Objects that cannot be deleted while anything refers to them, even by a reference it could do without: the
# scale a line item is graded on, the assessment line item a result or a child assessment belongs to.
HELD_BY_ANY_REFERENCE = frozenset({"scoreScale", "assessmentLineItem"})


def _invalid(problems: list[str]) -> OneRosterError:
    shown = problems[:MAX_PROBLEMS]
    more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
    return OneRosterError(422, "invaliddata", "; ".join(shown) + more)


def parse_json(raw: bytes) -> Any:
    """The request body as JSON; 400 when it is not JSON at all."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise OneRosterError(400, "invaliddata", f"the body is not JSON: {error}") from None


def _shared_refusal(entity_name: str, sourced_id: str) -> OneRosterError:
    return OneRosterError(
        403,
        "forbidden",
        f"{entity_name} {sourced_id!r} is shared with schools beyond this client's orgs; "
        "only a client whose orgs cover every school using it may change it",
    )


def _envelope(body: Any, key: str, kind: type) -> Any:
    inner = "{...}" if kind is dict else "[...]"
    example = f'{{"{key}": {inner}}}'
    if not isinstance(body, dict) or key not in body or not isinstance(body[key], kind):
        raise _invalid([f"the body must be {example}"])
    extra = sorted(set(body) - {key})
    if extra:
        raise _invalid([f"the body has unexpected keys {', '.join(extra)}; it must be {example}"])
    return body[key]


def put(
    engine: Engine,
    operation: Operation,
    version: Version,
    sourced_id: str,
    raw: bytes,
    orgs,
    *,
    leniency: Leniency = STRICT,
) -> int:
    """Create or replace one object; the HTTP status (201 created, 200 replaced)."""
    entity = operation.entity_in(version)
    data = _envelope(parse_json(raw), operation.request_key(version), dict)
    try:
        record = canonical_record(entity, version, data, sourced_id, leniency=leniency)
    except BodyErrors as errors:
        raise _invalid(errors.problems) from None
    with engine.begin() as connection:
        if write.exists(connection, entity.name, sourced_id) and not write.exists(
            connection, entity.name, sourced_id, orgs
        ):
            raise OneRosterError(404, "unknownobject", f"no {entity.name} has sourcedId {sourced_id!r}")
        if used_beyond(connection, entity.name, sourced_id, orgs):
            raise _shared_refusal(entity.name, sourced_id)
        record = write.complete(connection, entity.name, record)
        problems = write.missing_references(connection, entity.name, record, orgs)
        if problems:
            raise _invalid(problems)
        return 201 if write.store(connection, entity.name, record, next_stamp(connection)) else 200


def remove(engine: Engine, operation: Operation, version: Version, sourced_id: str, orgs) -> None:
    """Delete one object for good."""
    entity = operation.entity_in(version)
    with engine.begin() as connection:
        if not write.exists(connection, entity.name, sourced_id, orgs):
            raise OneRosterError(404, "unknownobject", f"no {entity.name} has sourcedId {sourced_id!r}")
        if used_beyond(connection, entity.name, sourced_id, orgs):
            raise _shared_refusal(entity.name, sourced_id)
        still = cascade.holders(connection, entity.name, sourced_id, every=entity.name in HELD_BY_ANY_REFERENCE)
        if still:
            raise OneRosterError(
                422,
                "deletefailure",
                f"{entity.name} {sourced_id!r} is still used by {', '.join(still)}; delete them first",
            )
        cascade.release(connection, entity.name, sourced_id, next_stamp(connection))
        write.remove(connection, entity.name, sourced_id)


def create_many(
    engine: Engine,
    operation: Operation,
    version: Version,
    params: dict[str, str],
    raw: bytes,
    orgs,
    *,
    leniency: Leniency = STRICT,
) -> bytes:
    """Create every object of the body under new sourcedIds; the `sourcedIdPairs` body."""
    entity = operation.entity_in(version)
    with engine.connect() as connection:
        check_parents(connection, operation, params, orgs)
    items = _envelope(parse_json(raw), operation.request_key(version), list)
    if not items:
        raise _invalid([f"{operation.request_key(version)} is empty"])
    fixed = {field: params[name] for name, field in PATH_REFERENCES[operation.operation_id].items()}
    records, problems = [], []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            for field, sourced_id in fixed.items():
                given = item.get(field)
                if isinstance(given, dict) and given.get("sourcedId") not in (None, sourced_id):
                    problems.append(f"[{index}].{field}: {given['sourcedId']!r} differs from the path's {sourced_id!r}")
                item = {**item, field: {"sourcedId": sourced_id}}
        try:
            records.append(canonical_record(entity, version, item, None, leniency=leniency))
        except BodyErrors as errors:
            problems += [f"[{index}] {problem}" for problem in errors.problems]
    if problems:
        raise _invalid(problems)
    with engine.begin() as connection:
        pairs = []
        for index, record in enumerate(records):
            record = write.complete(connection, entity.name, record)
            missing = write.missing_references(connection, entity.name, record, orgs)
            problems += [f"[{index}] {problem}" for problem in missing]
            supplied = record["sourcedId"]
            record["sourcedId"] = str(uuid.uuid4())
            pairs.append({"suppliedSourcedId": supplied, "allocatedSourcedId": record["sourcedId"]})
            records[index] = record
        if problems:
            raise _invalid(problems)
        stamp = next_stamp(connection)
        for record in records:
            write.store(connection, entity.name, record, stamp)
    return orjson.dumps({"sourcedIdPairs": pairs})
