"""A gradebook round trip, when writes are allowed: PUT a category, a line item and a result, read them back
equal, delete them again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target
from rosterlab.consumer.grades import absolute_hrefs
from rosterlab.spec.render import render

GRADEBOOK = "Gradebook service: PUT creates or replaces by sourcedId; GET reads it back; DELETE removes it"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fixtures(target: Target) -> tuple[dict, str, str]:
    """A class with a student, and a grading period to put a line item in."""
    students = {e["user"]["sourcedId"] for e in target.everything("getAllEnrollments") if e.get("role") == "student"}
    enrollment = next((e for e in target.everything("getAllEnrollments") if e["user"]["sourcedId"] in students), None)
    periods = [s for s in target.everything("getAllAcademicSessions") if s.get("type") == "gradingPeriod"]
    if enrollment is None or not periods:
        raise NotApplicable("no class with a student, or no grading period, to write grades for")
    classes = {c["sourcedId"]: c for c in target.everything("getAllClasses")}
    return classes[enrollment["class"]["sourcedId"]], enrollment["user"]["sourcedId"], periods[0]["sourcedId"]


def _put(target: Target, entity: str, operation_id: str, record: dict) -> Exchange:
    url = target.url(operation_id, sourcedId=record["sourcedId"])
    body = {entity: absolute_hrefs(render(entity, record, target.version), target.root)}
    exchange = target.send("PUT", url, json=body)
    if exchange.status not in (200, 201, 204):
        raise exchange.fail(f"PUT {entity} answered HTTP {exchange.status}")
    return exchange


def _read_back(target: Target, entity: str, operation_id: str, record: dict) -> None:
    exchange = target.get(operation_id, sourcedId=record["sourcedId"])
    if exchange.status != 200 or not isinstance(exchange.body, dict) or entity not in exchange.body:
        raise exchange.fail(f"GET of the {entity} just written answered HTTP {exchange.status}")
    stored = exchange.body[entity] if isinstance(exchange.body[entity], dict) else {}
    for name, value in record.items():
        if name in ("dateLastModified", "status") or (target.version == "1.1" and name == "school"):
            continue
        got = stored.get(name)
        same = (
            got.get("sourcedId") == value["sourcedId"]
            if isinstance(value, dict) and isinstance(got, dict)
            else got == value
        )
        if not same:
            raise exchange.fail(f"{entity}.{name} reads back as {got!r}, {value!r} was written")


@check("gradebook.round-trip", "A category, line item and result written read back equal, then delete",
       GRADEBOOK, Level.MUST, writes=True)  # fmt: skip
def round_trip(target: Target) -> None:
    klass, student, period = _fixtures(target)
    tag = uuid.uuid4().hex[:8]
    common = {"status": "active", "dateLastModified": _now()}
    category = {**common, "sourcedId": f"rosterlab-check-cat-{tag}", "title": "rosterlab check"}
    line_item = {
        **common,
        "sourcedId": f"rosterlab-check-li-{tag}",
        "title": "rosterlab check",
        "assignDate": "2024-10-01T08:00:00.000Z",
        "dueDate": "2024-10-02T08:00:00.000Z",
        "class": {"sourcedId": klass["sourcedId"]},
        "school": {"sourcedId": klass["school"]["sourcedId"]},
        "category": {"sourcedId": category["sourcedId"]},
        "gradingPeriod": {"sourcedId": period},
        "resultValueMin": 0.0,
        "resultValueMax": 10.0,
    }
    result = {
        **common,
        "sourcedId": f"rosterlab-check-res-{tag}",
        "lineItem": {"sourcedId": line_item["sourcedId"]},
        "student": {"sourcedId": student},
        "score": 7.5,
        "scoreStatus": "fully graded",
        "scoreDate": "2024-10-03",
    }
    written = (("category", "Category", category), ("lineItem", "LineItem", line_item), ("result", "Result", result))
    for entity, name, record in written:
        _put(target, entity, f"put{name}", record)
        _read_back(target, entity, f"get{name}", record)
    for entity, name, record in reversed(written):
        url = target.url(f"delete{name}", sourcedId=record["sourcedId"])
        exchange = target.send("DELETE", url)
        if exchange.status not in (200, 204):
            raise exchange.fail(f"DELETE {entity} answered HTTP {exchange.status}")
        after = target.get(f"get{name}", sourcedId=record["sourcedId"])
        gone = after.status == 404 or (
            isinstance(after.body, dict) and after.body.get(entity, {}).get("status") == "tobedeleted"
        )
        if not gone:
            raise after.fail(f"the deleted {entity} still reads back active")
