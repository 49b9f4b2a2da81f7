"""Every GET operation of the version, as spec/ lists them (collections, single objects, nested endpoints),
asked about objects that exist: it answers 200, with the version's envelope key, in the documents' schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import Evidence, Failed, Level, NotApplicable, check
from rosterlab.conformance.schemas import validator
from rosterlab.conformance.target import Target
from rosterlab.spec.endpoints import Operation, OpKind, operations

OPERATIONS = "REST binding: every read operation of the version, its response envelope and schema"
PAGE = "25"  # records asked of each collection


@dataclass
class Asked:
    """One operation as the sweep asked it: the exchange, or why it was not asked, or how it failed."""

    op: Operation
    exchange: Exchange | None = None
    skipped: str = ""
    failure: Failed | None = None


def _sid(value: Any) -> str | None:
    sid = value.get("sourcedId") if isinstance(value, dict) else None
    return sid if isinstance(sid, str) else None


def _ids(target: Target, operation_id: str) -> list[str]:
    if not target.allows(operation_id):
        return []
    try:
        return [sid for sid in (_sid(r) for r in target.sample(operation_id).records) if sid]
    except NotApplicable:
        return []


def _pick(target: Target, operation_id: str, preferred: list[str | None]) -> str | None:
    """The first preferred sourcedId the collection holds, else its first record's."""
    ids = _ids(target, operation_id)
    held = set(ids)
    return next((sid for sid in preferred if sid in held), ids[0] if ids else None)


def _records(target: Target, operation_id: str) -> list[dict[str, Any]]:
    if not target.allows(operation_id):
        return []
    try:
        return target.sample(operation_id).records
    except NotApplicable:
        return []


def parameters(target: Target) -> dict[str, str | None]:
    """An existing object for each kind of path parameter, chosen so that nested reads have records to show:
    a result's line item, class and student where there are results, else a student enrollment's class."""
    line_items = {_sid(li): li for li in _records(target, "getAllLineItems")}
    triples = [
        (_sid(line_items[_sid(r.get("lineItem"))].get("class")), _sid(r.get("lineItem")), _sid(r.get("student")))
        for r in _records(target, "getAllResults")
        if _sid(r.get("lineItem")) in line_items
    ]
    enrolled = [
        (_sid(e.get("class")), _sid(e.get("user")), e.get("role")) for e in _records(target, "getAllEnrollments")
    ]
    klass = _pick(target, "getAllClasses", [c for c, _, _ in triples] + [c for c, _, r in enrolled if r == "student"])
    record = next((c for c in _records(target, "getAllClasses") if _sid(c) == klass), {})
    terms = [_sid(t) for t in record.get("terms") or [] if isinstance(t, dict)]
    chosen: dict[str, str | None] = {
        "classSourcedId": klass,
        "schoolSourcedId": _pick(target, "getAllSchools", [_sid(record.get("school"))]),
        "courseSourcedId": _pick(target, "getAllCourses", [_sid(record.get("course"))]),
        "termSourcedId": _pick(target, "getAllTerms", terms),
        "academicSessionSourcedId": _pick(target, "getAllAcademicSessions", terms),
        "lineItemSourcedId": _pick(target, "getAllLineItems", [li for c, li, _ in triples if c == klass]),
        "studentSourcedId": _pick(
            target,
            "getAllStudents",
            [s for c, _, s in triples if c == klass] + [u for c, u, r in enrolled if c == klass and r == "student"],
        ),
        "teacherSourcedId": _pick(
            target, "getAllTeachers", [u for c, u, r in enrolled if c == klass and r == "teacher"]
        ),
    }
    chosen["userSourcedId"] = chosen["studentSourcedId"] or _pick(target, "getAllUsers", [])
    return chosen


def _collection_of(op: Operation, version: str) -> str | None:
    """The collection a single-object operation reads one record of (getStudent -> getAllStudents)."""
    stem = op.path.removesuffix("/{sourcedId}")
    return next(
        (o.operation_id for o in operations(version, op.service()) if o.kind is OpKind.COLLECTION and o.path == stem),
        None,
    )


def sweep(target: Target) -> list[Asked]:
    """Every GET operation of the version asked once per run (shared by the operations.* checks)."""
    if "operations" in target.memo:
        return target.memo["operations"]
    chosen = parameters(target)
    asked: list[Asked] = []
    for op in operations(target.version):
        if op.method != "get":
            continue
        if not target.allows(op.operation_id):
            asked.append(Asked(op, skipped="outside the scope asked for"))
            continue
        path = {name: chosen.get(name) for name in op.parents}
        if op.kind is OpKind.SINGLE:
            collection = _collection_of(op, target.version)
            ids = _ids(target, collection) if collection else []
            path["sourcedId"] = ids[0] if ids else None
        missing = [name for name, value in path.items() if value is None]
        if missing:
            asked.append(Asked(op, skipped=f"no object to fill {', '.join(missing)} with"))
            continue
        params = {"limit": PAGE} if op.kind is OpKind.COLLECTION else None
        try:
            asked.append(Asked(op, target.get(op.operation_id, params, **path)))  # type: ignore[arg-type]
        except NotApplicable as reason:
            asked.append(Asked(op, skipped=str(reason)))
        except Failed as failure:  # no answer in time: that operation fails, the others are still asked
            asked.append(Asked(op, failure=failure))
    target.memo["operations"] = asked
    return asked


def _answered(target: Target) -> list[Asked]:
    done = [a for a in sweep(target) if a.exchange is not None and a.exchange.status == 200]
    if not done:
        raise NotApplicable("no read operation answered 200 (see operations.status)")
    return done


def _raise(problems: list[tuple[str, Evidence | None]], asked: int, what: str) -> None:
    if problems:
        listed = "; ".join(text for text, _ in problems[:6]) + ("; ..." if len(problems) > 6 else "")
        raise Failed(f"{len(problems)} of {asked} read operations {what}: {listed}", problems[0][1])


@check("operations.status", "Every read operation answers 200 for an object that exists", OPERATIONS, Level.MUST)
def every_operation_answers(target: Target) -> None:
    asked = [a for a in sweep(target) if not a.skipped]
    if not asked:
        raise NotApplicable("no read operation could be asked: " + "; ".join(a.skipped for a in sweep(target)[:3]))
    problems: list[tuple[str, Evidence | None]] = []
    for a in asked:
        if a.failure is not None:
            problems.append((f"{a.op.operation_id}: {a.failure}", a.failure.evidence))
        elif a.exchange is not None and a.exchange.status != 200:
            problems.append((f"{a.op.operation_id}: HTTP {a.exchange.status}", a.exchange.evidence()))
    _raise(problems, len(asked), "did not answer 200")


@check("operations.envelope", "Every read answers under the version's envelope key", OPERATIONS, Level.MUST)
def every_envelope(target: Target) -> None:
    done = _answered(target)
    problems: list[tuple[str, Evidence | None]] = []
    for a in done:
        assert a.exchange is not None
        key = a.op.response_key(target.version)
        body = a.exchange.body
        if not isinstance(body, dict):
            problems.append((f"{a.op.operation_id}: the body is not a JSON object", a.exchange.evidence()))
        elif key not in body:
            keys = sorted(name for name in body if name != "statusInfoSet")
            problems.append((f"{a.op.operation_id} {a.op.path}: keys {keys}, not {key!r}", a.exchange.evidence()))
    _raise(problems, len(done), "answered under another key")


@check("operations.schema", "Every read's body matches the documents' schema", OPERATIONS, Level.MUST)
def every_schema(target: Target) -> None:
    done = _answered(target)
    problems: list[tuple[str, Evidence | None]] = []
    for a in done:
        assert a.exchange is not None
        key = a.op.response_key(target.version) or ""
        if not a.exchange.response.headers.get("content-type", "").startswith("application/json"):
            kind = a.exchange.response.headers.get("content-type")
            problems.append((f"{a.op.operation_id}: content type {kind!r}", a.exchange.evidence()))
            continue
        body = a.exchange.body
        payload = target.records(a.exchange, a.op.operation_id) if a.op.kind is OpKind.COLLECTION else None
        payload = payload if payload is not None else target.single(a.exchange, a.op.operation_id)
        if isinstance(body, dict) and key not in body and payload is not None:
            body = {key: payload}  # a foreign envelope key is operations.envelope's to report
        errors = sorted(validator(target.version, a.op.operation_id).iter_errors(body), key=str)
        if errors:
            where = list(errors[0].absolute_path)
            record = body.get(key) if isinstance(body, dict) else body
            if isinstance(record, list) and len(where) > 1 and isinstance(where[1], int) and where[1] < len(record):
                record = record[where[1]]
            at = "/".join(str(p) for p in where) or "(the body)"
            problems.append(
                (
                    f"{a.op.operation_id}: {len(errors)} violation(s), first at {at}: {errors[0].message[:160]}",
                    a.exchange.evidence(record),
                )
            )
    _raise(problems, len(done), "broke the schema")
