"""Syncing from CSV bundles (uploaded, and fetched from a real SFTP server) as from REST: field by field."""

from __future__ import annotations

import csv
import io
import zipfile

import asyncssh
import pytest

from rosterlab.consumer.client import SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources import CsvSource
from rosterlab.consumer.store import ROSTER
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.csv.export import export_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.sftp import SftpDrop
from rosterlab.server.store.database import connect
from rosterlab.spec.render import render
from tests.test_sftp import CLIENT_KEY, drop  # noqa: F401  (the fixture)
from tests.test_sync_cli import run


def carried_by_csv(data, entity: str, version: str) -> dict[str, dict]:
    """The provider's records as a bulk CSV file carries them: everything but dateLastModified (bulk rows leave
    it empty). Taken from the canonical data, not from the bundle."""
    rest_version = "1.1" if version == "1.1" else "1.2"
    out = {}
    for record in data.get(entity, []):
        rendered = normalize(render(entity, record, rest_version))
        rendered.pop("dateLastModified", None)
        out[record["sourcedId"]] = rendered
    return out


def assert_equal_roster(local, name: str, data, version: str) -> None:
    for entity in ROSTER:
        assert local_records(local, name, entity) == carried_by_csv(data, entity, version), entity


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.2.1"])
def test_a_csv_upload_syncs_field_by_field(tmp_path, version):
    data = demo_district()
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    bundle = export_bundle(data, version)
    result = full_sync(local, "upload", CsvSource(bundle))
    assert result.counts["enrollment"]["created"] == len(data["enrollment"])
    assert_equal_roster(local, "upload", data, version)
    assert not full_sync(local, "upload", CsvSource(bundle)).changed


def test_a_bulk_file_without_a_record_deletes_it(tmp_path):
    data = demo_district()
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "upload", CsvSource(export_bundle(data, "1.2")))
    leaving = data["user"][-1]["sourcedId"]
    smaller = {
        **data,
        "user": data["user"][:-1],
        "demographics": [d for d in data["demographics"] if d["sourcedId"] != leaving],
    }
    smaller["enrollment"] = [e for e in data["enrollment"] if e["user"]["sourcedId"] != leaving]
    result = full_sync(local, "upload", CsvSource(export_bundle(smaller, "1.2")))
    assert result.counts["user"]["deleted"] == 1
    assert leaving not in local_records(local, "upload", "user", active_only=True)


def with_cell(bundle: bytes, name: str, line: int, column: str, value: str) -> bytes:
    """The bundle with one cell of one file changed (line 2 is the first row after the header)."""
    files = {}
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for info in archive.infolist():
            files[info.filename] = archive.read(info)
    rows = list(csv.reader(io.StringIO(files[name].decode())))
    rows[line - 1][rows[0].index(column)] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    files[name] = text.getvalue().encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for filename, content in files.items():
            archive.writestr(filename, content)
    return out.getvalue()


def test_an_invalid_bundle_names_file_row_and_column_and_applies_nothing(tmp_path):
    data = demo_district()
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "upload", CsvSource(export_bundle(data, "1.2")))
    before = local_records(local, "upload", "user")
    changed = {**data, "org": [{**data["org"][1], "name": "Changed"}, *data["org"][:1], *data["org"][2:]]}
    broken = with_cell(export_bundle(changed, "1.2"), "users.csv", 2, "enabledUser", "perhaps")
    with pytest.raises(SyncError, match=r"users\.csv, row 2, column enabledUser"):
        full_sync(local, "upload", CsvSource(broken))
    assert local_records(local, "upload", "user") == before
    assert local_records(local, "upload", "org")[data["org"][1]["sourcedId"]]["name"] != "Changed"


# -- over SFTP, from the mock's drop, as a user sets it up ------------------------------------------------


def test_an_sftp_connection_syncs_field_by_field_and_pins_the_host_key(tmp_path, drop):  # noqa: F811
    server, port, _ = drop
    data, settings = demo_district(), server.settings
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    key_file = tmp_path / "client_key"
    CLIENT_KEY.write_private_key(str(key_file))
    common = [
        "--source",
        "sftp",
        "--sftp-host",
        "127.0.0.1",
        "--sftp-port",
        str(port),
        "--sftp-path",
        "exports/roster.zip",
    ]
    added = run(
        database, "connection", "add", "drop", *common, "--sftp-user", "district", "--sftp-password", "drop-secret"
    )
    assert added.returncode == 0, added.stderr
    keyed = run(
        database, "connection", "add", "keyed", *common, "--sftp-user", "keyed", "--sftp-key-file", str(key_file)
    )
    assert keyed.returncode == 0, keyed.stderr
    tested = run(database, "connection", "test", "drop")
    assert tested.returncode == 0 and "valid OneRoster 1.2.1 bundle" in tested.stdout, tested.stderr
    assert "drop-secret" not in run(database, "connection", "show", "drop").stdout
    for name in ("drop", "keyed"):
        synced = run(database, "run", name)
        assert synced.returncode == 0, synced.stderr
        assert_equal_roster(connect(database), name, data, "1.2.1")
    pinned = run(database, "connection", "show", "drop").stdout
    assert asyncssh.read_private_key(str(settings.host_key_file)).export_public_key().decode().strip() in pinned

    # The server now presents another host key: the connection refuses it.
    settings.host_key_file.unlink()
    impostor = SftpDrop(connect(f"sqlite:///{tmp_path / 'sis.db'}"), settings)
    impostor.settings.port = 0
    impostor_port = impostor.start()
    try:
        moved = [*common[:5], str(impostor_port), *common[6:]]
        credentials = ["--sftp-user", "district", "--sftp-password", "drop-secret"]
        readded = run(
            database, "connection", "add", "drop", *moved, *credentials, "--sftp-host-key", pinned_key(pinned)
        )
        assert readded.returncode == 0, readded.stderr
        refused = run(database, "run", "drop")
        assert refused.returncode == 1 and "different host key" in refused.stderr
    finally:
        impostor.stop()


def pinned_key(shown: str) -> str:
    import json

    return json.loads(shown)["sftp"]["host_key"]


def test_sftp_failures_say_what_failed(tmp_path, drop):  # noqa: F811
    _, port, _ = drop
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    base = ["connection", "add", "x", "--source", "sftp", "--sftp-host", "127.0.0.1", "--sftp-port", str(port)]
    run(database, *base, "--sftp-user", "district", "--sftp-password", "wrong", "--sftp-path", "exports/roster.zip")
    refused = run(database, "run", "x")
    assert (
        refused.returncode == 1
        and "refused the login of 'district'" in refused.stderr
        and "wrong" not in refused.stderr
    )
    run(database, *base, "--sftp-user", "district", "--sftp-password", "drop-secret", "--sftp-path", "exports/nope.zip")
    missing = run(database, "run", "x")
    assert missing.returncode == 1 and "has no file 'exports/nope.zip'" in missing.stderr
    history = run(database, "history", "x").stdout
    assert "failed" in history and "Traceback" not in history
