"""Apply a OneRoster CSV bundle to the store: all of it, or nothing.

The whole bundle is validated first (rosterlab.spec.csv_bundle); a bundle with any problem changes nothing.
Bulk files are complete: a record of that kind that the store holds and the file does not becomes
`tobedeleted`, dated now. Delta rows are changes: active ones insert or update, `tobedeleted` ones mark
deletions. A record whose content did not change keeps its dateLastModified.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from rosterlab.server.store.load import create_schema, indexes_built_after, insert_records, is_empty
from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.server.store.write import now, save
from rosterlab.spec.csv_bundle import Issue, read_bundle
from rosterlab.spec.csv_mapping import PRIMARY_FILE, import_records
from rosterlab.spec.model import Version
from rosterlab.spec.render import canonical_instant, render

IGNORED = ("status", "dateLastModified")
BULK_ROWS = 50_000  # from this many records, an import into an empty store builds the indexes once at the end
# Files the binding defines whose rows the store cannot hold yet: refused rather than silently dropped.
NOT_IMPORTED = ("userProfiles", "lineItemLearningObjectiveIds", "resultLearningObjectiveIds")


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    issues: list[Issue] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def applied(self) -> bool:
        """Whether the bundle was applied."""
        return not self.issues


def _content(document: dict) -> dict:
    """A document without its status, date and hrefs, for telling whether anything changed."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in IGNORED and k != "href"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(document)


def import_bundle(engine: Engine, data: bytes) -> ImportReport:
    """Validate and apply a bundle in one transaction; the report says what changed, or every problem."""
    bundle = read_bundle(data)
    report = ImportReport(issues=list(bundle.issues))
    for name in NOT_IMPORTED:
        if bundle.rows.get(name):
            message = "rosterlab cannot store these rows yet; declare the file absent to import the rest"
            report.issues.append(Issue(f"{name}.csv", None, None, message))
    if report.issues:
        return report
    records, _ = import_records(bundle.rows, bundle.version)
    create_schema(engine)
    moment = now()
    bulk = sum(len(rows) for rows in records.values()) >= BULK_ROWS
    with (
        engine.begin() as connection,
        indexes_built_after(connection) if bulk and is_empty(connection) else nullcontext(),
    ):
        for entity, file in PRIMARY_FILE.items():
            mode = bundle.modes.get(file, "absent")
            incoming = {record["sourcedId"]: record for record in records.get(entity, [])}
            table = ENTITY_TABLES[entity]
            existing = {
                row.sourced_id: row
                for row in connection.execute(select(table.c.sourced_id, table.c.status, table.c.v1p2))
            }
            counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
            new_records = []
            for sourced_id, record in incoming.items():
                record.setdefault("status", "active")
                if mode == "bulk":
                    record["dateLastModified"] = moment
                record["dateLastModified"] = canonical_instant(record["dateLastModified"])
                old = existing.get(sourced_id)
                if old is None:
                    new_records.append(record)
                    counts["created"] += 1
                    continue
                rendered = render(entity, {**record, "dateLastModified": moment}, Version.V1P2)
                if old.status == record["status"] and _content(old.v1p2) == _content(rendered):
                    counts["unchanged"] += 1
                    continue
                save(connection, entity, record)
                counts["deleted" if record["status"] == "tobedeleted" else "updated"] += 1
            insert_records(connection, {entity: new_records})
            if mode == "bulk":
                for sourced_id, old in existing.items():
                    if sourced_id not in incoming and old.status == "active":
                        save(connection, entity, {**old.v1p2, "status": "tobedeleted", "dateLastModified": moment})
                        counts["deleted"] += 1
            for name, count in counts.items():
                if count:
                    getattr(report, name)[entity] = count
    return report
