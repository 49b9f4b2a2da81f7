"""Hostile CSV zips (bombs, huge headers, corrupt archives) are refused by every entry point with one clear
message, exit 1 and nothing applied; reading a bomb stays small in memory."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from rosterlab.server.csv.export import export_bundle, export_store
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.csv_binding import header_errors
from rosterlab.spec.csv_bundle import read_bundle
from tests.test_sftp import drop  # noqa: F401  (the fixture)

MB = 1_000_000
LOW_LIMITS = {"ROSTERLAB_CSV_MAX_FILE_BYTES": str(MB)}


# -- building hostile zips ------------------------------------------------------------------------------


def rebuilt(bundle: bytes, replace: dict[str, bytes] | None = None, stored: bool = False) -> bytes:
    """The bundle with some members' bytes replaced, every member stored or deflated."""
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w", method) as target:
        for name in source.namelist():
            target.writestr(name, (replace or {}).get(name, source.read(name)))
    return out.getvalue()


def bomb(bundle: bytes, inflated: int, member: str = "users.csv") -> bytes:
    """The bundle with `member` inflating to `inflated` bytes of zeros, written in chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name != member:
                target.writestr(name, source.read(name))
                continue
            with target.open(name, "w", force_zip64=True) as sink:
                chunk = b"0" * MB
                for _ in range(inflated // MB):
                    sink.write(chunk)
    return out.getvalue()


def _records(data: bytes, name: str) -> tuple[int, int]:
    """Where `name`'s local header and central directory record start."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    position = data.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == name.encode():
            return local, position
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{name} has no central directory record")


def patched(data: bytes, name: str, local: int, central: int, value: bytes) -> bytes:
    """Overwrite a field of `name`'s local header (at `local`) and central record (at `central`)."""
    out = bytearray(data)
    header, record = _records(data, name)
    out[header + local : header + local + len(value)] = value
    out[record + central : record + central + len(value)] = value
    return bytes(out)


def member_data_offset(data: bytes, name: str) -> int:
    header, _ = _records(data, name)
    name_length, extra_length = struct.unpack_from("<HH", data, header + 26)
    return header + 30 + name_length + extra_length


def flipped(data: bytes, name: str, at: int, garbage: bytes = b"\xff") -> bytes:
    out = bytearray(data)
    start = member_data_offset(data, name) + at
    out[start : start + len(garbage)] = garbage
    return bytes(out)


def header_of(columns: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\r\n").encode()


CORRUPT: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "not a zip": (lambda good: b"sourcedId,status\r\nnot,a zip\r\n", "not a zip"),
    "truncated": (lambda good: good[: len(good) // 2], "not a zip"),
    "bad crc": (lambda good: flipped(rebuilt(good, stored=True), "users.csv", 40, b"#"), "CRC"),
    "bad deflate data": (lambda good: flipped(rebuilt(good), "users.csv", 20, b"\xff" * 64), "corrupt"),
    "encrypted": (lambda good: patched(good, "users.csv", 6, 8, b"\x01\x00"), "encrypted"),
    "unknown compression": (lambda good: patched(good, "users.csv", 8, 10, b"\x63\x00"), "compression method 99"),
}


@pytest.fixture(scope="module")
def good() -> bytes:
    from rosterlab.server.demo import demo_district

    return export_bundle(demo_district(), "1.2.1")


@pytest.fixture(scope="module")
def bomb_zip(good) -> bytes:
    """users.csv inflating to 50 MB: past the 1 MB limit the tests set."""
    return bomb(good, 50 * MB)


def issues(data: bytes) -> list[str]:
    return [str(issue) for issue in read_bundle(data).issues]


# -- the reader -----------------------------------------------------------------------------------------


def test_a_bomb_is_refused_naming_the_member_its_sizes_and_the_limit(bomb_zip, monkeypatch):
    monkeypatch.setenv("ROSTERLAB_CSV_MAX_FILE_BYTES", str(MB))
    [message] = issues(bomb_zip)
    assert message.startswith("users.csv: ") and "1,000,000 bytes" in message
    assert "ROSTERLAB_CSV_MAX_FILE_BYTES" in message and "\n" not in message


def test_the_ratio_is_bounded(good, monkeypatch):
    monkeypatch.setenv("ROSTERLAB_CSV_MAX_RATIO", "50")
    [message] = issues(bomb(good, 5 * MB))
    assert message.startswith("users.csv: ") and "ratio" in message and "ROSTERLAB_CSV_MAX_RATIO" in message


def test_the_total_is_bounded(good, monkeypatch):
    monkeypatch.setenv("ROSTERLAB_CSV_MAX_BYTES", "20000")
    [message] = issues(good)
    assert "20,000 bytes" in message and "ROSTERLAB_CSV_MAX_BYTES" in message


def test_a_member_lying_about_its_size_is_refused(good, monkeypatch):
    lying = patched(rebuilt(good), "users.csv", 22, 24, struct.pack("<I", 100))
    refused = issues(lying)
    assert refused and refused[0].startswith("users.csv: ")


def test_reading_a_bomb_stays_small_in_memory(bomb_zip, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb_zip)
    script = textwrap.dedent(
        f"""
        import resource
        from rosterlab.spec.csv_bundle import read_bundle
        data = open({str(path)!r}, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, hard))
        bundle = read_bundle(data)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(len(bundle.issues), grown)
        """
    )
    env = {**os.environ, "ROSTERLAB_CSV_MAX_FILE_BYTES": str(MB)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    count, grown_kib = map(int, done.stdout.split())
    assert count == 1 and grown_kib < 20_000  # well under the 50 MB the member inflates to


@pytest.mark.parametrize("kind", list(CORRUPT), ids=list(CORRUPT))
def test_each_corrupt_zip_gives_one_clear_message(good, kind):
    damage, fragment = CORRUPT[kind]
    refused = issues(damage(good))
    assert len(refused) == 1 and fragment in refused[0], refused


def test_a_header_of_200k_columns_is_refused_at_once(good):
    refused = issues(rebuilt(good, {"users.csv": header_of(200_000) + b"x\r\n"}))
    about_users = [message for message in refused if message.startswith("users.csv")]
    assert about_users == ["users.csv, row 1: 200000 columns, over the limit of 1000 (ROSTERLAB_CSV_MAX_COLUMNS)"]


def test_header_checks_are_linear():
    header = [f"c{i % 100_000}" for i in range(200_000)]
    [duplicates, *_] = header_errors("1.2.1", "users", header)
    assert duplicates.startswith("duplicate columns: c0, c1")


def test_a_field_too_long_is_refused_with_its_row(good, monkeypatch):
    monkeypatch.setenv("ROSTERLAB_CSV_MAX_FIELD_CHARS", "1000")
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        users = archive.read("users.csv")
    header, first, rest = users.split(b"\r\n", 2)
    long_row = first.replace(b",", b"," + b"y" * 2000 + b",", 1)
    refused = issues(rebuilt(good, {"users.csv": b"\r\n".join([header, first, long_row, rest])}))
    expected = "users.csv, row 3: a field is longer than 1000 characters (ROSTERLAB_CSV_MAX_FIELD_CHARS)"
    assert [message for message in refused if message.startswith("users.csv")] == [expected]


# -- every entry point ----------------------------------------------------------------------------------


def rosterlab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosterlab", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **LOW_LIMITS, **(env or {})},
    )


def assert_refused(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and fragment in output, output


HOSTILE: dict[str, tuple[Callable[[bytes, bytes], bytes], str]] = {
    "bomb": (lambda good, bomb_zip: bomb_zip, "ROSTERLAB_CSV_MAX_FILE_BYTES"),
    "bad crc": (lambda good, bomb_zip: CORRUPT["bad crc"][0](good), "CRC"),
    "not a zip": (lambda good, bomb_zip: CORRUPT["not a zip"][0](good), "not a zip"),
}


@pytest.fixture(params=list(HOSTILE), ids=list(HOSTILE))
def hostile(request, good, bomb_zip, tmp_path) -> tuple[Path, str]:
    make, fragment = HOSTILE[request.param]
    path = tmp_path / "hostile.zip"
    path.write_bytes(make(good, bomb_zip))
    return path, fragment


def test_csv_validate_refuses(hostile):
    path, fragment = hostile
    assert_refused(rosterlab("csv", "validate", str(path)), fragment)


def test_csv_import_refuses_and_applies_nothing(hostile, tmp_path):
    path, fragment = hostile
    from rosterlab.server.demo import demo_district

    database = f"sqlite:///{tmp_path / 'sis.db'}"
    engine = connect(database)
    load(engine, demo_district())
    before = export_store(engine, "1.2.1")
    assert_refused(rosterlab("csv", "import", str(path), "--database", database), fragment)
    assert export_store(engine, "1.2.1") == before


def test_check_csv_refuses(hostile):
    path, fragment = hostile
    done = rosterlab("check-csv", str(path))
    assert_refused(done, fragment)
    assert "Status: FAIL" in done.stdout


def sync_users(database: str, name: str) -> int:
    from rosterlab.consumer.sync import local_records

    return len(local_records(connect(database), name, "user"))


def test_sync_run_file_refuses_and_applies_nothing(hostile, good, tmp_path):
    path, fragment = hostile
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    valid = tmp_path / "good.zip"
    valid.write_bytes(good)
    assert rosterlab("sync", "connection", "add", "up", "--source", "csv", "--database", database).returncode == 0
    assert rosterlab("sync", "run", "up", "--file", str(valid), "--database", database).returncode == 0
    before = sync_users(database, "up")
    assert_refused(rosterlab("sync", "run", "up", "--file", str(path), "--database", database), fragment)
    assert sync_users(database, "up") == before > 0


def test_the_sftp_source_refuses_and_applies_nothing(hostile, tmp_path, drop):  # noqa: F811
    path, fragment = hostile
    server, port, _ = drop
    database = f"sqlite:///{tmp_path / 'consumer.db'}"
    added = rosterlab(
        "sync",
        *("connection", "add", "x", "--source", "sftp", "--sftp-host", "127.0.0.1", "--sftp-port", str(port)),
        *("--sftp-user", "district", "--sftp-password", "drop-secret", "--sftp-path", "exports/roster.zip"),
        *("--database", database),
    )
    assert added.returncode == 0, added.stderr
    assert rosterlab("sync", "run", "x", "--database", database).returncode == 0
    before = sync_users(database, "x")
    published = server.settings.root / "exports" / "roster.zip"
    published.write_bytes(path.read_bytes())
    assert_refused(rosterlab("sync", "run", "x", "--database", database), fragment)
    assert sync_users(database, "x") == before > 0
