"""OneRoster CSV bundles: byte-identical round trips, every malformed case refused with its file, row and
column (and the store unchanged), bulk and delta semantics."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rosterlab.server.csv.export import export_bundle, export_store, store_records
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.store.clock import clock
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import create_schema, load
from rosterlab.spec.csv_bundle import read_bundle
from rosterlab.spec.filter.fields import format_instant
from tests.roster_strategies import rosters

VERSIONS = ["1.1", "1.2", "1.2.1"]


def _fresh(tmp_path, name="store"):
    path = tmp_path / f"{name}.db"
    if path.exists():
        path.unlink()
    return connect(f"sqlite:///{path}")


@pytest.mark.parametrize("version", VERSIONS)
def test_demo_district_round_trip_is_byte_identical(tmp_path, demo_data, version):
    first = export_bundle(demo_data, version)
    assert read_bundle(first).issues == []
    store = _fresh(tmp_path)
    assert import_bundle(store, first).applied
    assert export_store(store, version) == first


@given(roster=rosters(csv_safe=True), version=st.sampled_from(VERSIONS))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_generated_rosters_round_trip(tmp_path_factory, roster, version):
    first = export_bundle(roster, version)
    bundle = read_bundle(first)
    assert bundle.issues == [], [str(i) for i in bundle.issues[:3]]
    store = _fresh(tmp_path_factory.mktemp("rt"))
    assert import_bundle(store, first).applied
    assert export_store(store, version) == first


def test_the_same_records_give_the_same_bytes(demo_data):
    assert export_bundle(demo_data, "1.2.1") == export_bundle(demo_data, "1.2.1")


# -- malformed bundles ----------------------------------------------------------------------------------


def _files(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _edit(bundle: bytes, name: str, old: str, new: str, count: int = 1) -> bytes:
    files = _files(bundle)
    text = files[name].decode()
    assert old in text, (name, old)
    files[name] = text.replace(old, new, count).encode()
    return _zip(files)


def _header_swap(bundle: bytes) -> bytes:
    return _edit(bundle, "orgs.csv", "name,type", "type,name")


def _drop(bundle: bytes, name: str) -> bytes:
    files = _files(bundle)
    del files[name]
    return _zip(files)


def _add(bundle: bytes, name: str, data: bytes) -> bytes:
    return _zip({**_files(bundle), name: data})


MALFORMED = {
    "header order": (_header_swap, ("orgs.csv", 1, None, "column 4 must be 'name'")),
    "bad date": (
        lambda b: _edit(b, "academicSessions.csv", "2024-08-15", "2024-08-32"),
        ("academicSessions.csv", None, "startDate", "not a date"),
    ),
    "bad enumeration": (
        lambda b: _edit(b, "enrollments.csv", ",teacher,", ",tutor,"),
        ("enrollments.csv", None, "role", "'tutor' is not one of"),
    ),
    "dangling reference": (
        lambda b: _edit(b, "enrollments.csv", ",school-1,", ",school-99,"),
        ("enrollments.csv", None, "schoolSourcedId", "'school-99' is not defined"),
    ),
    "status in bulk": (
        lambda b: _edit(b, "orgs.csv", "school-1,,", "school-1,active,"),
        ("orgs.csv", None, "status", "blank in a bulk file"),
    ),
    "missing manifest row": (
        lambda b: _edit(b, "manifest.csv", "file.orgs,bulk\r\n", ""),
        ("manifest.csv", None, "file.orgs", "missing"),
    ),
    "present but declared absent": (
        lambda b: _add(b, "userProfiles.csv", b"x"),
        ("userProfiles.csv", None, None, "declares it absent"),
    ),
    "declared but missing": (
        lambda b: _drop(b, "courses.csv"),
        ("courses.csv", None, None, "missing, but the manifest declares it bulk"),
    ),
    "no manifest": (lambda b: _drop(b, "manifest.csv"), ("manifest.csv", None, None, "no manifest.csv")),
    "duplicate sourcedId": (
        lambda b: _edit(b, "categories.csv", "cat-projects,", "cat-homework,"),
        ("categories.csv", None, "sourcedId", "is also on row"),
    ),
    "bad boolean": (
        lambda b: _edit(b, "users.csv", ",true,", ",yes,"),
        ("users.csv", None, "enabledUser", "not true or false"),
    ),
    "wrong width": (
        lambda b: _edit(b, "orgs.csv", "district-1,,,", "district-1,,,,"),
        ("orgs.csv", 2, None, "expected"),
    ),
    "required value missing": (
        lambda b: _edit(b, "courses.csv", ",Mathematics (Elementary),", ",,"),
        ("courses.csv", None, "title", "is required"),
    ),
    "not a zip": (lambda b: b"PK? not really", ("(bundle)", None, None, "not a zip file")),
    "folder inside the zip": (
        lambda b: _zip({f"export/{n}": d for n, d in _files(b).items()}),
        ("export/manifest.csv", None, None, "at the root"),
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_bundles_are_refused_with_file_row_and_column(tmp_path, demo_data, case):
    break_it, (file, row, column, says) = MALFORMED[case]
    store = _fresh(tmp_path)
    load(store, demo_data)
    before = export_store(store, "1.2.1")
    bundle = break_it(export_bundle(demo_data, "1.2.1"))
    report = import_bundle(store, bundle)
    assert not report.applied
    matching = [i for i in report.issues if i.file == file and says in i.message]
    assert matching, [str(i) for i in report.issues]
    issue = matching[0]
    if column is not None:
        assert issue.column == column
    if row is not None:
        assert issue.row == row
    elif column is not None and issue.file.endswith(".csv") and issue.file != "manifest.csv":
        assert issue.row is not None and issue.row >= 2
    assert export_store(store, "1.2.1") == before


def test_a_bom_and_crlf_are_accepted(tmp_path, demo_data):
    files = _files(export_bundle(demo_data, "1.2.1"))
    files = {name: b"\xef\xbb\xbf" + data for name, data in files.items()}
    assert b"\r\n" in files["orgs.csv"]
    assert import_bundle(_fresh(tmp_path), _zip(files)).applied


# -- bulk and delta -------------------------------------------------------------------------------------


def test_bulk_marks_absent_records_tobedeleted_and_keeps_unchanged_dates(tmp_path, demo_data):
    store = _fresh(tmp_path)
    assert import_bundle(store, export_bundle(demo_data, "1.2.1")).applied
    dates = {r["sourcedId"]: r["dateLastModified"] for r in store_records(store)["user"]}
    leaving = demo_data["user"][-1]["sourcedId"]
    smaller = {**demo_data, "user": demo_data["user"][:-1]}
    smaller["demographics"] = [d for d in demo_data["demographics"] if d["sourcedId"] != leaving]
    smaller["enrollment"] = [e for e in demo_data["enrollment"] if e["user"]["sourcedId"] != leaving]
    report = import_bundle(store, export_bundle(smaller, "1.2.1"))
    assert report.applied and report.deleted == {"user": 1}
    after = {r["sourcedId"]: r for r in store_records(store, since="2000-01-01")["user"]}
    assert after[leaving]["status"] == "tobedeleted" and after[leaving]["dateLastModified"] > dates[leaving]
    unchanged = demo_data["user"][0]["sourcedId"]
    assert after[unchanged]["dateLastModified"] == dates[unchanged]


def test_delta_bundles_carry_changes_and_deletions(tmp_path, demo_data):
    store = _fresh(tmp_path)
    load(store, demo_data)
    changed = [dict(demo_data["org"][1], name="Renamed", dateLastModified="2030-01-01T00:00:00.000Z")]
    gone = [dict(demo_data["resource"][0], status="tobedeleted", dateLastModified="2030-01-02T00:00:00.000Z")]
    delta = export_bundle({"org": changed, "resource": gone}, "1.2.1", since="2029-12-31T00:00:00Z")
    assert read_bundle(delta).modes["orgs"] == "delta"
    with store.connect() as connection:
        before = format_instant(clock(connection))
    report = import_bundle(store, delta)
    linking = {
        entity: sum(
            1 for r in demo_data[entity] if gone[0]["sourcedId"] in {x["sourcedId"] for x in r.get("resources", [])}
        )
        for entity in ("course", "user")
    }
    assert report.applied and report.updated == {"org": 1, **linking} and report.deleted == {"resource": 1}
    since = store_records(store, since=before)  # stamped by the SIS's clock, not with the rows' own dates
    assert [o["name"] for o in since["org"]] == ["Renamed"]
    assert [r["status"] for r in since["resource"]] == ["tobedeleted"]


def test_delta_rows_need_status_and_date(tmp_path, demo_data):
    delta = export_bundle({"org": [demo_data["org"][1]]}, "1.2.1", since="2000-01-01")
    broken = _edit(delta, "orgs.csv", ",active,", ",,")
    issues = read_bundle(broken).issues
    assert any(i.column == "status" and "required in a delta file" in i.message for i in issues)


def test_csv_command_line(tmp_path, demo_data):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    load(connect(database), demo_data)
    target = tmp_path / "export.zip"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "rosterlab", "csv", *args], capture_output=True, text=True, timeout=60
        )

    assert run("export", "--version", "1.1", "-o", str(target), "--database", database).returncode == 0
    assert run("validate", str(target)).returncode == 0
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_edit(target.read_bytes(), "users.csv", ",true,", ",maybe,"))
    refused = run("validate", str(broken))
    assert refused.returncode == 1 and "users.csv, row" in refused.stdout and "column enabledUser" in refused.stdout
    imported = run("import", str(target), "--database", f"sqlite:///{tmp_path / 'other.db'}")
    assert imported.returncode == 0 and "created:" in imported.stdout


def test_files_the_store_cannot_hold_are_refused_not_dropped(tmp_path, demo_data):
    bundle = export_bundle(demo_data, "1.2.1")
    header = "sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,description,"
    profiles = (header + "credentialType,username,password\r\np1,,,user-1,lms,acme,,,password,jdoe,\r\n").encode()
    files = _files(bundle)
    files["userProfiles.csv"] = profiles
    files["manifest.csv"] = files["manifest.csv"].replace(b"file.userProfiles,absent", b"file.userProfiles,bulk")
    store = _fresh(tmp_path)
    create_schema(store)
    report = import_bundle(store, _zip(files))
    assert not report.applied
    assert [i.file for i in report.issues] == ["userProfiles.csv"]
    assert store_records(store)["user"] == []
