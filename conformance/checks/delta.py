"""Deltas: a dateLastModified filter returns what changed since, deletions included."""

from __future__ import annotations

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target
from rosterlab.spec.filter import quote

DELTA = "REST binding and best practice: dateLastModified deltas carry tobedeleted records"


@check("delta.tobedeleted", "A dateLastModified delta returns the records deleted since", DELTA, Level.SHOULD)
def delta_carries_deletions(target: Target) -> None:
    for operation_id in ("getAllEnrollments", "getAllUsers", "getAllClasses"):
        deleted = [
            r for r in target.everything(operation_id) if r.get("status") == "tobedeleted" and r.get("dateLastModified")
        ]
        if not deleted:
            continue
        record = deleted[0]
        walked = target.walk(operation_id, {"filter": f"dateLastModified>={quote(record['dateLastModified'])}"})
        statuses = {r.get("sourcedId"): r.get("status") for r in walked.records}
        if statuses.get(record["sourcedId"]) != "tobedeleted":
            raise walked.last.fail(
                f"the delta since {record['dateLastModified']} lacks {record['sourcedId']}, deleted then", record
            )
        return
    raise NotApplicable("no tobedeleted records to look for (deleting outright cannot be told apart without writes)")
