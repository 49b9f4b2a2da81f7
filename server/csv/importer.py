"""Apply a OneRoster CSV bundle to the store: all of it, or nothing.

The whole bundle is validated first (rosterlab.spec.csv_bundle); a bundle with any problem changes nothing.
Bulk files are complete: a record of that kind that the store holds and the file does not becomes
`tobedeleted`. Delta rows are changes: active ones insert or update, `tobedeleted` ones mark deletions.
A deletion takes what depends on it along, as every deletion in the SIS does (rosterlab.server.store.cascade).

Records are compared in their CSV form, the rows the bundle's version writes for them: a record whose CSV
form did not change does not change, whatever the CSV cannot carry (a line item's due time, a 1.1 user's
primaryOrg); one that did change keeps the stored value of every field whose CSV form did not change.
Every change applied is stamped with one instant of the SIS's clock (a row's own dateLastModified is its
source's, not this SIS's), so that a `dateLastModified>` delta taken before the import sees it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from rosterlab.server.store.cascade import retire
from rosterlab.server.store.clock import next_stamp
from rosterlab.server.store.load import create_schema, indexes_built_after, insert_records, is_empty
from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.server.store.write import save
from rosterlab.spec.csv_binding import CsvVersion
from rosterlab.spec.csv_bundle import Bundle, Issue, read_bundle
from rosterlab.spec.csv_mapping import ENTITY_FILES, PRIMARY_FILE, export_rows, import_records

Document = dict[str, Any]
META = ("sourcedId", "status", "dateLastModified")
FORM_DATE = "1970-01-01T00:00:00.000Z"  # bulk rows carry no date; link rows are built with one all the same
# Entities whose `children` no CSV column carries: a bulk file's parent columns say them in full.
DERIVED_CHILDREN = ("org", "academicSession")
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

    def count(self, kind: str, counts: Counter[str]) -> None:
        """Add counts by entity to one kind of change."""
        totals = getattr(self, kind)
        for entity, count in counts.items():
            if count:
                totals[entity] = totals.get(entity, 0) + count


@dataclass(frozen=True)
class CsvForm:
    """How an entity's records look in one version's CSV files: what an import compares."""

    entity: str
    version: CsvVersion
    context: Callable[[Document], dict[str, list[Document]]]  # records the rows are written with
    children: bool = False  # whether `children` counts (said in full by a bulk file's parent columns)
    files: tuple[str, ...] | None = None  # the entity's files the bundle carries (None: all of them)

    def of(self, record: Document) -> dict[str, Any]:
        """The rows of every file the record is written to that the bundle carries (and its children, when
        they count): what a file declared absent would say is left as it is stored."""
        written = {**record, "dateLastModified": FORM_DATE}
        rows = export_rows({**self.context(record), self.entity: [written]}, self.version)
        files = ENTITY_FILES[self.entity] if self.files is None else self.files
        form: dict[str, Any] = {file: rows.get(file, []) for file in files}
        if self.children:
            form["children"] = sorted(ref["sourcedId"] for ref in record.get("children", []))
        return form

    def merged(self, stored: Document, incoming: Document) -> Document:
        """`incoming`, with the stored value of every field the bundle's rows leave open: a field keeps its
        stored value whenever the record still writes the rows `incoming` writes (fields sharing a column, a
        line item's grading period and academic session, stay as stored while the column says the same)."""
        written = self.of(incoming)
        merged = dict(incoming)
        names = (set(stored) | set(incoming)) - set(META)
        for name in sorted(names, key=lambda name: (name not in stored, name)):
            kept = _with(merged, name, stored.get(name))
            if self.of(kept) == written:
                merged = kept
        return merged


def _with(document: Document, name: str, value: Any) -> Document:
    """The document with one field set to `value` (left out when None)."""
    changed = {k: v for k, v in document.items() if k != name}
    if value is not None:
        changed[name] = value
    return changed


def _existing(connection: Connection, entity: str) -> dict[str, tuple[str, Document]]:
    table = ENTITY_TABLES[entity]
    query = select(table.c.sourced_id, table.c.status, table.c.v1p2)
    return {row.sourced_id: (row.status, row.v1p2) for row in connection.execute(query)}


def _is_active(connection: Connection, entity: str, sourced_id: str) -> bool:
    table = ENTITY_TABLES[entity]
    query = select(table.c.status).where(table.c.sourced_id == sourced_id)
    return connection.execute(query).scalar() == "active"


class _Application:
    """One bundle applied to the store, in one transaction, at one instant of the SIS's clock."""

    def __init__(self, connection: Connection, version: CsvVersion, report: ImportReport) -> None:
        self.connection, self.version, self.report = connection, version, report
        self.deletions: list[tuple[str, str]] = []
        self._stamp: str | None = None

    @property
    def stamp(self) -> str:
        """The import's instant, taken from the SIS's clock when the first change needs it."""
        if self._stamp is None:
            self._stamp = next_stamp(self.connection)
        return self._stamp

    def context(self, entity: str) -> Callable[[Document], dict[str, list[Document]]]:
        """What a record's rows are written with: a score scale's class (its org and course come from it)."""
        if entity != "scoreScale":
            return lambda record: {}
        classes = ENTITY_TABLES["class"]

        def of_class(record: Document) -> dict[str, list[Document]]:
            class_id = (record.get("class") or {}).get("sourcedId")
            query = select(classes.c.v1p2).where(classes.c.sourced_id == class_id)
            found = self.connection.execute(query).scalar()
            return {"class": [found]} if found else {}

        return of_class

    def apply(self, entity: str, mode: str, records: list[Document], files: tuple[str, ...]) -> None:
        """Apply one entity's rows, read from `files`; deletions wait for `delete_pending`."""
        children = mode == "bulk" and entity in DERIVED_CHILDREN
        form = CsvForm(entity, self.version, self.context(entity), children, files)
        existing = _existing(self.connection, entity)
        incoming = {record["sourcedId"]: record for record in records}
        counts: dict[str, Counter[str]] = {"created": Counter(), "updated": Counter(), "unchanged": Counter()}
        created = []
        for sourced_id, record in incoming.items():
            status = record.get("status", "active")
            old = existing.get(sourced_id)
            if old is None:
                created.append({**record, "status": status, "dateLastModified": self.stamp})
                counts["created"][entity] += 1
            elif old[0] == status and (status == "tobedeleted" or form.of(old[1]) == form.of(record)):
                counts["unchanged"][entity] += 1
            elif status == "tobedeleted":
                self.deletions.append((entity, sourced_id))
            else:
                merged = form.merged(old[1], record)
                save(self.connection, entity, {**merged, "status": "active", "dateLastModified": self.stamp})
                counts["updated"][entity] += 1
        insert_records(self.connection, {entity: created})
        if mode == "bulk":
            gone = [sid for sid, (status, _) in existing.items() if sid not in incoming and status == "active"]
            self.deletions += [(entity, sourced_id) for sourced_id in gone]
        for kind, by_entity in counts.items():
            self.report.count(kind, by_entity)

    def delete_pending(self) -> None:
        """Mark every deletion tobedeleted, with what depends on it."""
        for entity, sourced_id in self.deletions:
            if _is_active(self.connection, entity, sourced_id):
                changes = retire(self.connection, entity, sourced_id, self.stamp)
                self.report.count("deleted", changes.retired)
                self.report.count("updated", changes.updated)


def _refusals(bundle: Bundle) -> list[Issue]:
    issues = list(bundle.issues)
    for name in NOT_IMPORTED:
        if bundle.rows.get(name):
            message = "rosterlab cannot store these rows yet; declare the file absent to import the rest"
            issues.append(Issue(f"{name}.csv", None, None, message))
    return issues


def _users_without_roles(engine: Engine, bundle: Bundle, records: dict[str, list[Document]]) -> list[Issue]:
    """Users the bundle would leave active with no role, though every user holds one: in 1.2, a user row
    with no row in roles.csv, or, when roles.csv is absent, a user the store does not hold with roles."""
    if bundle.version is CsvVersion.V1P1:
        return []
    roles_given = bundle.modes.get("roles", "absent") != "absent"
    incoming = {record["sourcedId"]: record for record in records.get("user", [])}
    with engine.connect() as connection:
        stored = _existing(connection, "user")
    issues = []
    for line, row in enumerate(bundle.rows.get("users", []), start=2):
        record = incoming.get(row["sourcedId"], {})
        if record.get("status", "active") != "active" or record.get("roles"):
            continue
        if not roles_given and stored.get(row["sourcedId"], ("", {}))[1].get("roles"):
            continue
        message = f"user {row['sourcedId']!r} would hold no role: roles.csv has no row for it"
        issues.append(Issue("users.csv", line, "sourcedId", message))
    return issues


def import_bundle(engine: Engine, data: bytes) -> ImportReport:
    """Validate and apply a bundle in one transaction; the report says what changed, or every problem."""
    bundle = read_bundle(data)
    report = ImportReport(issues=_refusals(bundle))
    if report.issues:
        return report
    assert bundle.version is not None
    records, _ = import_records(bundle.rows, bundle.version)
    create_schema(engine)
    report.issues = _users_without_roles(engine, bundle, records)
    if report.issues:
        return report
    bulk = sum(len(rows) for rows in records.values()) >= BULK_ROWS
    with (
        engine.begin() as connection,
        indexes_built_after(connection) if bulk and is_empty(connection) else nullcontext(),
    ):
        application = _Application(connection, bundle.version, report)
        for entity, file in PRIMARY_FILE.items():
            mode = bundle.modes.get(file, "absent")
            if mode != "absent":
                carried = tuple(f for f in ENTITY_FILES[entity] if bundle.modes.get(f, "absent") != "absent")
                application.apply(entity, mode, records.get(entity, []), carried)
        application.delete_pending()
    return report
