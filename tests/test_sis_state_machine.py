"""The mock SIS's consistency invariant under random sequences of every kind of change, against one store.

A hypothesis state machine loads a demo district (its seed drawn) into a SQLite file, serves it with the
demo clients and the admin API, and takes random steps:

- days pass (`advance`, 1 to 3 days, seeded), directly or through `POST /admin/advance`;
- a record of any roster or gradebook entity is set (a name, title, comment or flag changed, its references
  kept) or deleted, through the admin API or `rosterlab.server.churn`;
- a bulk or a delta CSV bundle exported by the mock, one row changed or dropped (or, in a delta, marked
  `tobedeleted`), is imported: applied, or refused whole with the store unchanged;
- a category, line item or result is PUT through the gradebook API with an OAuth 2.0 token, and one is
  DELETEd: 204 and gone when nothing needs it, 422 `deletefailure` and nothing changed otherwise.

After every step:

1. the conformance checker passes the mock in 1.1 (OAuth 1.0a) and 1.2 (OAuth 2.0), with no failure at any
   level and no error: every check but the schemathesis contract (`contract.`), writes allowed;
2. the bulk CSV export of 1.1, 1.2 and 1.2.1 validates with no problem;
3. in 1.1 and 1.2, a consumer kept up to date by delta syncs holds what a fresh full sync holds, and both
   hold what the provider's store holds (but for the gradebook objects a DELETE removed for good after the
   consumer saw them: nothing dated tells a delta of them, so the delta store keeps them);
4. nested endpoints equal the filtered enrollments and line items (a class's students and teachers, a
   user's classes, a school's terms, a class's categories), for sampled ids and those the step touched;
5. no active record names a record that is `tobedeleted` or absent.

The default run is derandomised and short, for CI. `ROSTERLAB_STATE_MACHINE=long` runs the longer,
randomised profile instead (`ROSTERLAB_STATE_MACHINE=long pytest tests/test_sis_state_machine.py`), marked
slow; hypothesis prints the steps of any failing sequence.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, select

from rosterlab.conformance.model import Status
from rosterlab.conformance.runner import run_checks, selected
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.consumer.sources.rest import RestSource
from rosterlab.consumer.store import SYNCED, connect_store
from rosterlab.consumer.sync import DeletionGuard, delta_sync, full_sync, local_records
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import advance, clock, delete_record, set_record
from rosterlab.server.csv.export import export_store
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.revision import current_revision
from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.spec.csv_bundle import read_bundle
from rosterlab.spec.csv_mapping import PRIMARY_FILE
from rosterlab.spec.entities import V1P2
from rosterlab.spec.filter.fields import format_instant, parse_instant
from rosterlab.spec.model import Nested, Ref
from tests.conftest import fetch_token, server_config
from tests.live import LiveServer
from tests.quirk_matrix import difference

V11 = "/ims/oneroster/v1p1"
V12R = "/ims/oneroster/rostering/v1p2"
V12G = "/ims/oneroster/gradebook/v1p2"
ADMIN = ("admin", "state-machine")
CSV_VERSIONS = ("1.1", "1.2", "1.2.1")
REST_VERSIONS = ("1.1", "1.2")
EPOCH = "2000-01-01T00:00:00.000Z"
PERMISSIVE = DeletionGuard(count=10**9)

# Every check but the schemathesis contract, which generates requests for every operation (minutes a run).
CHECKS = tuple(check.id for check in selected() if not check.id.startswith("contract."))
CHECKS_RUN: dict[str, dict[str, set[Status]]] = {v: defaultdict(set) for v in REST_VERSIONS}
STEPS_TAKEN: Counter[str] = Counter()

TEXT = st.text(st.sampled_from("abcdefgXYZ éüÑ'\",-.019"), min_size=1, max_size=16).map(str.strip).filter(bool)
# The field a set changes, by entity: text everywhere, the `primary` flag of an enrollment ("true" / "false" in 1.2).
EDITS: dict[str, tuple[str, st.SearchStrategy]] = {
    "org": ("name", TEXT),
    "academicSession": ("title", TEXT),
    "course": ("title", TEXT),
    "class": ("title", TEXT),
    "user": ("familyName", TEXT),
    "enrollment": ("primary", st.sampled_from(["true", "false"])),
    "demographics": ("cityOfBirth", TEXT),
    "category": ("title", TEXT),
    "lineItem": ("title", TEXT),
    "result": ("comment", TEXT),
    "scoreScale": ("title", TEXT),
    "assessmentLineItem": ("title", TEXT),
    "assessmentResult": ("comment", TEXT),
}
# The text column a CSV row is changed in, by file (the column bears the model field's name).
CSV_EDITS = {
    "orgs": "name",
    "academicSessions": "title",
    "courses": "title",
    "classes": "title",
    "users": "familyName",
    "demographics": "cityOfBirth",
    "categories": "title",
    "lineItems": "title",
    "results": "comment",
    "scoreScales": "title",
}
FILE_ENTITY = {file: entity for entity, file in PRIMARY_FILE.items()}
GRADEBOOK_PATHS = {"category": "categories", "lineItem": "lineItems", "result": "results", "scoreScale": "scoreScales"}
# What a gradebook object cannot be deleted for good while it is named (whatever their status): (entity, field);
# a score scale, while anything names it.
NEEDED_BY = {"category": (("lineItem", "category"),), "lineItem": (("result", "lineItem"),)}
HELD_BY_ANY_REFERENCE = {"scoreScale"}

DEFAULT = settings(
    max_examples=3,
    stateful_step_count=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
LONG = settings(
    max_examples=25,
    stateful_step_count=30,
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PROFILE = os.environ.get("ROSTERLAB_STATE_MACHINE", "default")


# -- the store, read directly ----------------------------------------------------------------------------------


def _documents(engine: Engine, entity: str) -> list[dict]:
    table = ENTITY_TABLES[entity]
    with engine.connect() as connection:
        return list(connection.execute(select(table.c.v1p2).order_by(table.c.sourced_id)).scalars())


def _active_ids(engine: Engine, entity: str) -> list[str]:
    table = ENTITY_TABLES[entity]
    query = select(table.c.sourced_id).where(table.c.status == "active").order_by(table.c.sourced_id)
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def _document(engine: Engine, entity: str, sourced_id: str) -> dict | None:
    table = ENTITY_TABLES[entity]
    with engine.connect() as connection:
        return connection.execute(select(table.c.v1p2).where(table.c.sourced_id == sourced_id)).scalar()


def _clock(engine: Engine) -> str:
    with engine.connect() as connection:
        return format_instant(clock(connection))


def _tick(stamp: str) -> str:
    return format_instant(parse_instant(stamp) + timedelta(milliseconds=1))


def _snapshot(engine: Engine) -> tuple:
    """Every record with its status and stamp, the clock and the store's revision."""
    records = {}
    with engine.connect() as connection:
        for entity, table in ENTITY_TABLES.items():
            query = select(table.c.sourced_id, table.c.status, table.c.date_last_modified, table.c.v1p2)
            records[entity] = {row.sourced_id: tuple(row[1:]) for row in connection.execute(query)}
        return records, format_instant(clock(connection)), current_revision(connection)


def _references(entity: str, document: dict) -> Iterator[tuple[str, str, str]]:
    """(field path, target entity, sourcedId) of every GUIDRef of a document, as the model defines them."""

    def walk(fields, value: dict, where: str) -> Iterator[tuple[str, str, str]]:
        for field in fields:
            if field.name not in value:
                continue
            items = value[field.name] if field.many else [value[field.name]]
            for item in items:
                if isinstance(field.type, Ref):
                    yield f"{where}.{field.name}", field.type.target, item["sourcedId"]
                elif isinstance(field.type, Nested) and not V1P2.structure(field.type.structure).open:
                    yield from walk(V1P2.structure(field.type.structure).fields, item, f"{where}.{field.name}")

    yield from walk(V1P2.entity(entity).all_fields, document, entity)


def _bare(entity: str, document: dict) -> dict:
    """A stored document as a writer sends it: without status and stamp, every GUIDRef by its sourcedId alone."""

    def strip(fields, value: dict) -> dict:
        out = dict(value)
        for field in fields:
            if field.name not in value:
                continue
            items = value[field.name] if field.many else [value[field.name]]
            if isinstance(field.type, Ref):
                items = [{"sourcedId": item["sourcedId"]} for item in items]
            elif isinstance(field.type, Nested) and not V1P2.structure(field.type.structure).open:
                items = [strip(V1P2.structure(field.type.structure).fields, item) for item in items]
            out[field.name] = items if field.many else items[0]
        return out

    bare = strip(V1P2.entity(entity).all_fields, document)
    return {name: value for name, value in bare.items() if name not in ("status", "dateLastModified")}


# -- CSV bundles as files and rows -------------------------------------------------------------------------------


def _files(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


# -- the machine ------------------------------------------------------------------------------------------------


class SisMachine(RuleBasedStateMachine):
    """One mock SIS store, changed by random steps, checked whole after each."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="rosterlab-state-"))
        self.sis: Engine | None = None
        self.live: LiveServer | None = None
        self.api: httpx.Client | None = None
        self.local: Engine | None = None
        self.rng = random.Random(0)
        self.touched: set[tuple[str, str]] = set()
        self.gone_for_good: dict[str, set[str]] = defaultdict(set)  # hard-deleted by the gradebook API
        self.created = 0
        self.checks = 0

    def teardown(self) -> None:
        if self.api is not None:
            self.api.close()
        if self.live is not None:
            self.live.__exit__(None, None, None)
        for engine in (self.sis, self.local):
            if engine is not None:
                engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(district_seed=st.integers(1, 5), sample_seed=st.integers(0, 2**16))
    def load_the_demo_district(self, district_seed: int, sample_seed: int) -> None:
        self.sis = connect(f"sqlite:///{self.folder / 'sis.db'}")
        load(self.sis, demo_district(seed=district_seed))
        config = server_config(admin_password=ADMIN[1])
        ensure_demo_clients(registry_for(config, self.sis))
        self.live = LiveServer(create_app(config, engine=self.sis))
        self.live.__enter__()
        token = fetch_token(self.live.url)
        self.api = httpx.Client(base_url=self.live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.local = connect_store(f"sqlite:///{self.folder / 'delta.db'}")
        self.rng = random.Random(sample_seed)

    # -- helpers ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.live is not None
        return self.live.url

    def _store(self) -> Engine:
        assert self.sis is not None
        return self.sis

    def _draw_active(self, data: st.DataObject, entities) -> tuple[str, str] | None:
        """An entity among `entities` that has active records, and one of them (None when none has any)."""
        having = [entity for entity in entities if _active_ids(self._store(), entity)]
        if not having:
            return None
        entity = data.draw(st.sampled_from(having), label="entity")
        return entity, data.draw(st.sampled_from(_active_ids(self._store(), entity)), label="sourcedId")

    def _client(self, version: str) -> OneRosterClient:
        if version == "1.1":
            return OneRosterClient(self.url, OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret))
        return OneRosterClient(self.url, OAuth2(f"{self.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret))

    def _all(self, path: str, **params: str) -> list[dict]:
        assert self.api is not None
        response = self.api.get(path, params={"limit": "10000", **params})
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:300]}"
        return next(value for value in response.json().values() if isinstance(value, list))

    def _ids(self, path: str) -> set[str]:
        return {record["sourcedId"] for record in self._all(path)}

    # -- steps: time passes ------------------------------------------------------------------------------------

    @rule(days=st.integers(1, 3), seed=st.integers(0, 10**6), over_http=st.booleans())
    def days_pass(self, days: int, seed: int, over_http: bool) -> None:
        STEPS_TAKEN["days_pass"] += 1
        before = _clock(self._store())
        if over_http:
            response = httpx.post(f"{self.url}/admin/advance", json={"days": days, "seed": seed}, auth=ADMIN)
            assert response.status_code == 200, response.text
            end, changes = response.json()["to"], response.json()["changes"]
        else:
            summary = advance(self._store(), days, seed)
            end, changes = summary.end, dict(summary.changes)
        note(f"{days} day(s) from {before}: {changes}")
        assert end == format_instant(parse_instant(before) + timedelta(days=days)) == _clock(self._store())

    # -- steps: admin set and delete ---------------------------------------------------------------------------

    @rule(data=st.data(), over_http=st.booleans())
    def set_a_record(self, data: st.DataObject, over_http: bool) -> None:
        STEPS_TAKEN["set_a_record"] += 1
        if (drawn := self._draw_active(data, EDITS)) is None:
            return
        entity, sourced_id = drawn
        field, values = EDITS[entity]
        value = data.draw(values, label=field)
        stored = _document(self._store(), entity, sourced_id)
        assert stored is not None
        record = _bare(entity, stored) | {field: value}
        before = _clock(self._store())
        if over_http:
            response = httpx.put(f"{self.url}/admin/{entity}/{sourced_id}", json=record, auth=ADMIN)
            assert response.status_code == 200, response.text
            stamp = response.json()["dateLastModified"]
        else:
            stamp = set_record(self._store(), entity, record)
        after = _document(self._store(), entity, sourced_id)
        assert after is not None and after[field] == value and after["status"] == "active", after
        assert after["dateLastModified"] == stamp == _tick(before) == _clock(self._store())
        self.touched.add((entity, sourced_id))

    @rule(data=st.data(), over_http=st.booleans())
    def delete_a_record(self, data: st.DataObject, over_http: bool) -> None:
        STEPS_TAKEN["delete_a_record"] += 1
        if (drawn := self._draw_active(data, EDITS)) is None:
            return
        entity, sourced_id = drawn
        before = _clock(self._store())
        if over_http:
            response = httpx.delete(f"{self.url}/admin/{entity}/{sourced_id}", auth=ADMIN)
            assert response.status_code == 200, response.text
            stamp = response.json()["dateLastModified"]
        else:
            stamp = delete_record(self._store(), entity, sourced_id)
        after = _document(self._store(), entity, sourced_id)
        assert after is not None and after["status"] == "tobedeleted"
        assert after["dateLastModified"] == stamp == _tick(before) == _clock(self._store())
        self.touched.add((entity, sourced_id))

    # -- steps: CSV imports ---------------------------------------------------------------------------------------

    def _import(self, bundle: bytes) -> bool:
        """Import a bundle: applied when it validates (and leaves every user a role), else refused whole with
        the store as it was."""
        problems = [str(issue) for issue in read_bundle(bundle).issues]
        before = _snapshot(self._store())
        report = import_bundle(self._store(), bundle)
        note(f"import: problems {problems[:3]}, created {report.created}, updated {report.updated}, "
             f"deleted {report.deleted}")  # fmt: skip
        if problems:
            assert not report.applied
        elif not report.applied:  # valid CSV, but a user left without the role every user holds
            assert {(issue.file, "would hold no role" in issue.message) for issue in report.issues} == {
                ("users.csv", True)
            }, [str(issue) for issue in report.issues]
        if not report.applied:
            assert _snapshot(self._store()) == before, "a refused bundle changed the store"
        return report.applied

    @rule(data=st.data(), version=st.sampled_from(CSV_VERSIONS), drop=st.booleans())
    def import_a_bulk_bundle(self, data: st.DataObject, version: str, drop: bool) -> None:
        STEPS_TAKEN["import_a_bulk_bundle"] += 1
        files = _files(export_store(self._store(), version))
        stems = sorted(name[:-4] for name in files if name != "manifest.csv")
        drop = drop or not any(s in CSV_EDITS for s in stems)
        stem = data.draw(st.sampled_from(stems if drop else [s for s in stems if s in CSV_EDITS]), label="file")
        header, *rows = _table(files[f"{stem}.csv"])
        index = data.draw(st.integers(0, len(rows) - 1), label="row")
        sourced_id = rows[index][0]
        if drop:
            del rows[index]
        else:
            value = data.draw(TEXT, label="value")
            rows[index][header.index(CSV_EDITS[stem])] = value
        note(f"bulk {version}: {'dropped' if drop else 'changed'} {stem}.csv row {sourced_id}")
        files[f"{stem}.csv"] = _csv([header, *rows])
        if not self._import(_zip(files)) or stem not in FILE_ENTITY:
            return
        entity = FILE_ENTITY[stem]
        after = _document(self._store(), entity, sourced_id)
        assert after is not None
        if drop:
            assert after["status"] == "tobedeleted", f"{entity} {sourced_id} left out of a bulk file is {after}"
        else:
            assert after["status"] == "active" and after[CSV_EDITS[stem]] == value, after
        self.touched.add((entity, sourced_id))

    @rule(data=st.data(), version=st.sampled_from(CSV_VERSIONS), action=st.sampled_from(["change", "drop", "delete"]))
    def import_a_delta_bundle(self, data: st.DataObject, version: str, action: str) -> None:
        STEPS_TAKEN["import_a_delta_bundle"] += 1
        stamps = sorted({d["dateLastModified"] for e in ENTITY_TABLES for d in _documents(self._store(), e)})
        start = data.draw(st.sampled_from([EPOCH, *stamps[-4:]]), label="changed from")
        since = format_instant(parse_instant(start) - timedelta(milliseconds=1))
        bundle = export_store(self._store(), version, since=since)
        assert [str(issue) for issue in read_bundle(bundle).issues] == [], f"the {version} delta since {since}"
        files = _files(bundle)
        tables = {name[:-4]: _table(data) for name, data in files.items() if name != "manifest.csv"}
        editable = {
            "change": [s for s in tables if s in CSV_EDITS],
            "drop": list(tables),
            "delete": [s for s in tables if s in FILE_ENTITY],
        }[action]
        candidates = [
            (stem, index)
            for stem in sorted(editable)
            for index, row in enumerate(tables[stem][1:])
            if action == "drop" or row[tables[stem][0].index("status")] == "active"
        ]
        if not candidates:
            assert self._import(bundle)
            return
        stem, index = data.draw(st.sampled_from(candidates), label="row")
        header, *rows = tables[stem]
        sourced_id = rows[index][0]
        if action == "drop":
            del rows[index]
        elif action == "delete":
            rows[index][header.index("status")] = "tobedeleted"
        else:
            value = data.draw(TEXT, label="value")
            rows[index][header.index(CSV_EDITS[stem])] = value
        note(f"delta {version} since {since}: {action} {stem}.csv row {sourced_id}")
        files[f"{stem}.csv"] = _csv([header, *rows])
        if not self._import(_zip(files)) or stem not in FILE_ENTITY or action == "drop":
            return
        entity = FILE_ENTITY[stem]
        after = _document(self._store(), entity, sourced_id)
        assert after is not None
        if action == "delete":
            assert after["status"] == "tobedeleted", after
        else:
            assert after["status"] == "active" and after[CSV_EDITS[stem]] == value, after
        self.touched.add((entity, sourced_id))

    # -- steps: gradebook writes over REST ----------------------------------------------------------------------

    def _put(self, entity: str, sourced_id: str, record: dict, created: bool) -> None:
        assert self.api is not None
        before = _clock(self._store())
        response = self.api.put(f"{V12G}/{GRADEBOOK_PATHS[entity]}/{sourced_id}", json={entity: record})
        assert response.status_code == (201 if created else 200), response.text
        read = self.api.get(f"{V12G}/{GRADEBOOK_PATHS[entity]}/{sourced_id}")
        assert read.status_code == 200, read.text
        stored = read.json()[entity]
        assert stored["status"] == "active" and stored["dateLastModified"] == _tick(before), stored
        for name, value in record.items():
            if isinstance(value, dict):
                assert stored[name]["sourcedId"] == value["sourcedId"], (name, stored)
            else:
                assert stored[name] == value, (name, stored)
        self.gone_for_good[entity].discard(sourced_id)
        self.touched.add((entity, sourced_id))

    def _read(self, entity: str, sourced_id: str) -> dict:
        """An object as the gradebook API serves it, without status and stamp: what a client PUTs back."""
        assert self.api is not None
        response = self.api.get(f"{V12G}/{GRADEBOOK_PATHS[entity]}/{sourced_id}")
        assert response.status_code == 200, response.text
        return {k: v for k, v in response.json()[entity].items() if k not in ("status", "dateLastModified")}

    def _new_id(self, entity: str) -> str:
        self.created += 1
        return f"sm-{entity}-{self.created}"

    @rule(data=st.data(), title=TEXT, weight=st.one_of(st.none(), st.integers(0, 100).map(float), st.just(12.5)))
    def put_a_category(self, data: st.DataObject, title: str, weight: float | None) -> None:
        STEPS_TAKEN["put_a_category"] += 1
        existing = _active_ids(self._store(), "category")
        if existing and data.draw(st.booleans(), label="replace"):
            sourced_id = data.draw(st.sampled_from(existing), label="category")
            self._put("category", sourced_id, {"title": title}, created=False)
        else:
            record = {"title": title} if weight is None else {"title": title, "weight": weight}
            self._put("category", self._new_id("category"), record, created=True)

    @rule(data=st.data(), title=TEXT)
    def put_a_line_item(self, data: st.DataObject, title: str) -> None:
        STEPS_TAKEN["put_a_line_item"] += 1
        existing = _active_ids(self._store(), "lineItem")
        if existing and data.draw(st.booleans(), label="replace"):
            sourced_id = data.draw(st.sampled_from(existing), label="lineItem")
            record = self._read("lineItem", sourced_id) | {"title": title}
            self._put("lineItem", sourced_id, record, created=False)
            return
        classes = _active_ids(self._store(), "class")
        categories = _active_ids(self._store(), "category")
        if not classes or not categories:
            return
        klass = _document(self._store(), "class", data.draw(st.sampled_from(classes), label="class"))
        assert klass is not None
        terms = {term["sourcedId"] for term in klass["terms"]}
        periods = [
            session["sourcedId"]
            for session in _documents(self._store(), "academicSession")
            if session["status"] == "active" and session.get("parent", {}).get("sourcedId") in terms
        ]
        record = {
            "title": title,
            "assignDate": "2024-10-01T08:00:00.000Z",
            "dueDate": "2024-10-08T08:00:00.000Z",
            "class": {"sourcedId": klass["sourcedId"]},
            "school": {"sourcedId": klass["school"]["sourcedId"]},
            "category": {"sourcedId": data.draw(st.sampled_from(categories), label="category")},
            "resultValueMin": 0.0,
            "resultValueMax": 100.0,
        }
        if periods:
            record["gradingPeriod"] = {"sourcedId": data.draw(st.sampled_from(periods), label="grading period")}
        else:
            record["academicSession"] = {"sourcedId": sorted(terms)[0]}
        self._put("lineItem", self._new_id("lineItem"), record, created=True)

    @rule(data=st.data(), score=st.integers(0, 300).map(lambda n: n / 2))
    def put_a_result(self, data: st.DataObject, score: float) -> None:
        STEPS_TAKEN["put_a_result"] += 1
        existing = _active_ids(self._store(), "result")
        if existing and data.draw(st.booleans(), label="replace"):
            sourced_id = data.draw(st.sampled_from(existing), label="result")
            record = self._read("result", sourced_id) | {"score": score}
            self._put("result", sourced_id, record, created=False)
            return
        students: dict[str, set[str]] = defaultdict(set)
        for enrollment in _documents(self._store(), "enrollment"):
            if enrollment["status"] == "active" and enrollment["role"] == "student":
                students[enrollment["class"]["sourcedId"]].add(enrollment["user"]["sourcedId"])
        pairs = [
            (line_item["sourcedId"], student)
            for line_item in _documents(self._store(), "lineItem")
            if line_item["status"] == "active"
            for student in sorted(students[line_item["class"]["sourcedId"]])
        ]
        if not pairs:
            return
        line_item, student = data.draw(st.sampled_from(pairs), label="line item and student")
        record = {
            "lineItem": {"sourcedId": line_item},
            "student": {"sourcedId": student},
            "scoreStatus": "fully graded",
            "score": score,
            "scoreDate": "2025-01-14",
        }
        self._put("result", self._new_id("result"), record, created=True)

    @rule(data=st.data(), entity=st.sampled_from(sorted(GRADEBOOK_PATHS)), version=st.sampled_from(REST_VERSIONS))
    def delete_a_gradebook_object(self, data: st.DataObject, entity: str, version: str) -> None:
        STEPS_TAKEN["delete_a_gradebook_object"] += 1
        assert self.api is not None
        ids = _active_ids(self._store(), entity)
        if not ids:
            return
        sourced_id = data.draw(st.sampled_from(ids), label=entity)
        base = V12G if version == "1.2" or entity == "scoreScale" else V11
        naming = [
            (other, document["sourcedId"])
            for other in ENTITY_TABLES
            for document in _documents(self._store(), other)
            if any(target == entity and named == sourced_id for _, target, named in _references(other, document))
        ]
        needed = (
            naming
            if entity in HELD_BY_ANY_REFERENCE
            else [
                (holder, document["sourcedId"])
                for holder, field in NEEDED_BY.get(entity, ())
                for document in _documents(self._store(), holder)
                if document.get(field, {}).get("sourcedId") == sourced_id
            ]
        )
        before, snapshot = _clock(self._store()), _snapshot(self._store())
        response = self.api.delete(f"{base}/{GRADEBOOK_PATHS[entity]}/{sourced_id}")
        note(f"DELETE {base} {entity} {sourced_id}: {response.status_code}, needed by {needed[:3]}")
        if needed:
            assert response.status_code == 422 and "deletefailure" in response.text, response.text
            assert _snapshot(self._store()) == snapshot, "a refused DELETE changed the store"
            return
        assert response.status_code == 204, response.text
        assert self.api.get(f"{base}/{GRADEBOOK_PATHS[entity]}/{sourced_id}").status_code == 404
        assert _document(self._store(), entity, sourced_id) is None
        for other, other_id in naming:  # the references that may go went, dated with the deletion
            document = _document(self._store(), other, other_id)
            assert document is not None and document["dateLastModified"] == _tick(before), (other, other_id)
            assert sourced_id not in {named for _, _, named in _references(other, document)}, document
        self.gone_for_good[entity].add(sourced_id)

    # -- invariants ------------------------------------------------------------------------------------------------

    @invariant()
    def a_conformance_checker_passes_at_every_level(self) -> None:
        for version in REST_VERSIONS:
            with self._client(version) as client:
                report = run_checks(Target(client, version, allow_writes=True), CHECKS)
            outcomes = {result.check.id: result.verdict for result in report.results}
            for check_id, verdict in outcomes.items():
                CHECKS_RUN[version][check_id].add(verdict.status)
            problems = {
                check_id: f"{verdict.status.value}: {verdict.message}"
                for check_id, verdict in outcomes.items()
                if verdict.status in (Status.FAIL, Status.ERROR)
            }
            assert problems == {}, f"OneRoster {version}"
            assert set(outcomes) == set(CHECKS)

    @invariant()
    def b_bulk_exports_validate(self) -> None:
        for version in CSV_VERSIONS:
            problems = [str(issue) for issue in read_bundle(export_store(self._store(), version)).issues]
            assert problems == [], f"the OneRoster {version} bulk export"

    @invariant()
    def c_delta_sync_equals_a_full_sync_equals_the_provider(self) -> None:
        assert self.local is not None
        self.checks += 1
        for version in REST_VERSIONS:
            name = f"delta-{version}"
            fresh_file = self.folder / f"full-{version}-{self.checks}.db"
            fresh = connect_store(f"sqlite:///{fresh_file}")
            try:
                with self._client(version) as client:
                    delta = delta_sync(self.local, name, RestSource(client, version), entities=SYNCED, guard=PERMISSIVE)
                    full = full_sync(fresh, "full", RestSource(client, version), entities=SYNCED, guard=PERMISSIVE)
                assert not delta.held and not full.held
                assert full.rejections == [], f"a full {version} sync of the mock rejected records"
                unseen = {entity: set(ids) for entity, ids in self.gone_for_good.items()}
                for entity in SYNCED:
                    kept = local_records(self.local, name, entity, active_only=True)
                    assert {sid: r for sid, r in kept.items() if sid not in unseen.get(entity, set())} == (
                        local_records(fresh, "full", entity, active_only=True)
                    ), f"{version} {entity}: the delta-synced store differs from a full sync"
                assert difference(fresh, "full", self._store(), version, SYNCED) is None
                assert difference(self.local, name, self._store(), version, SYNCED, left_out=unseen) is None
            finally:
                fresh.dispose()
                fresh_file.unlink(missing_ok=True)

    @invariant()
    def d_nested_endpoints_follow_enrollments_and_line_items(self) -> None:
        classes_touched = {sid for entity, sid in self.touched if entity == "class"}
        users_touched = {sid for entity, sid in self.touched if entity in ("user", "demographics")}
        for entity, sid in self.touched:
            if entity == "enrollment" and (document := _document(self._store(), "enrollment", sid)):
                classes_touched.add(document["class"]["sourcedId"])
                users_touched.add(document["user"]["sourcedId"])
        for version in REST_VERSIONS:
            base = V11 if version == "1.1" else V12R
            enrollments = [e for e in self._all(f"{base}/enrollments") if e["status"] == "active"]
            classes = {c["sourcedId"]: c for c in self._all(f"{base}/classes")}
            users = sorted({e["user"]["sourcedId"] for e in enrollments})
            sampled = set(self.rng.sample(sorted(classes), min(3, len(classes)))) | (classes_touched & set(classes))
            for klass in sorted(sampled):
                school = classes[klass]["school"]["sourcedId"]
                for role in ("student", "teacher"):
                    expected = {
                        e["user"]["sourcedId"]
                        for e in enrollments
                        if e["class"]["sourcedId"] == klass and e["role"] == role
                    }
                    assert self._ids(f"{base}/classes/{klass}/{role}s") == expected, (version, klass, role)
                    assert self._ids(f"{base}/schools/{school}/classes/{klass}/{role}s") == expected, (version, klass)
            students, teachers = self._ids(f"{base}/students"), self._ids(f"{base}/teachers")
            for user in sorted(set(self.rng.sample(users, min(3, len(users)))) | users_touched):
                expected = {e["class"]["sourcedId"] for e in enrollments if e["user"]["sourcedId"] == user}
                assert self._ids(f"{base}/users/{user}/classes") == expected, (version, user)
                for role, holders in (("students", students), ("teachers", teachers)):
                    if user in holders:
                        assert self._ids(f"{base}/{role}/{user}/classes") == expected, (version, role, user)
            all_terms = self._ids(f"{base}/terms")
            for school in sorted({c["school"]["sourcedId"] for c in classes.values()}):
                expected = {
                    term["sourcedId"]
                    for c in classes.values()
                    if c["school"]["sourcedId"] == school and c["status"] == "active"
                    for term in c["terms"]
                    if term["sourcedId"] in all_terms
                }
                assert self._ids(f"{base}/schools/{school}/terms") == expected, (version, school)
            if version == "1.2":
                line_items = self._all(f"{V12G}/lineItems")
                for klass in sorted(sampled):
                    expected = {
                        li["category"]["sourcedId"]
                        for li in line_items
                        if li["class"]["sourcedId"] == klass and li["status"] == "active"
                    }
                    assert self._ids(f"{V12G}/classes/{klass}/categories") == expected, klass
                    listed = {li["sourcedId"] for li in line_items if li["class"]["sourcedId"] == klass}
                    assert self._ids(f"{V12G}/classes/{klass}/lineItems") == listed, klass
        self.touched.clear()

    @invariant()
    def e_active_records_name_only_active_records(self) -> None:
        active = {entity: set(_active_ids(self._store(), entity)) for entity in ENTITY_TABLES}
        for entity in ENTITY_TABLES:
            for document in _documents(self._store(), entity):
                if document["status"] != "active":
                    continue
                for where, target, named in _references(entity, document):
                    assert named in active[target], f"{document['sourcedId']}: {where} names {target} {named}"


@pytest.mark.skipif(PROFILE == "long", reason="ROSTERLAB_STATE_MACHINE=long runs the long profile instead")
def test_the_mock_stays_consistent_whatever_the_steps():
    run_state_machine_as_test(SisMachine, settings=DEFAULT)
    _print_checks_run()


@pytest.mark.slow
@pytest.mark.skipif(PROFILE != "long", reason="set ROSTERLAB_STATE_MACHINE=long for the long run")
def test_the_mock_stays_consistent_over_long_random_runs():
    run_state_machine_as_test(SisMachine, settings=LONG)
    _print_checks_run()


def _print_checks_run() -> None:
    print(f"steps taken: {dict(sorted(STEPS_TAKEN.items()))}")
    for version, checks in CHECKS_RUN.items():
        shown = ", ".join(f"{check_id} ({'/'.join(sorted(s.value for s in statuses))})"
                          for check_id, statuses in sorted(checks.items()))  # fmt: skip
        print(f"conformance checks run on {version}: {shown}")
