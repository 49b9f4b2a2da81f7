"""The SFTP drop end to end: a real SSH server, a real SFTP client, password and key accounts."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from rosterlab.server.csv.export import export_store
from rosterlab.server.demo import demo_district
from rosterlab.server.sftp import SftpAccount, SftpDrop, SftpSettings
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.csv_bundle import read_bundle

CLIENT_KEY = asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def drop(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, demo_district())
    settings = SftpSettings(
        root=tmp_path / "drop",
        accounts=(
            SftpAccount("district", password="drop-secret"),
            SftpAccount("keyed", public_keys=(CLIENT_KEY.export_public_key().decode(),)),
        ),
        port=0,
        path="exports",
        filename="roster.zip",
        host_key_file=tmp_path / "host_key",
    )
    server = SftpDrop(engine, settings)
    port = server.start()
    yield server, port, engine
    server.stop()


async def _download(port: int, **credentials) -> bytes:
    async with (
        asyncssh.connect("127.0.0.1", port, known_hosts=None, **credentials) as connection,
        connection.start_sftp_client() as sftp,
    ):
        assert "roster.zip" in await sftp.listdir("exports")
        async with sftp.open("exports/roster.zip", "rb") as remote:
            return await remote.read()


def test_a_client_downloads_the_published_bundle_with_a_password(drop):
    _, port, engine = drop
    data = asyncio.run(_download(port, username="district", password="drop-secret"))
    assert data == export_store(engine, "1.2.1")
    assert read_bundle(data).issues == []


def test_a_client_downloads_with_a_key(drop):
    _, port, engine = drop
    data = asyncio.run(_download(port, username="keyed", client_keys=[CLIENT_KEY], password=None))
    assert data == export_store(engine, "1.2.1")


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "district", "password": "wrong"},
        {"username": "nobody", "password": "drop-secret"},
        {"username": "keyed", "client_keys": [asyncssh.generate_private_key("ssh-ed25519")], "password": None},
    ],
)
def test_wrong_credentials_are_refused(drop, credentials):
    _, port, _ = drop
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(_download(port, client_keys=credentials.pop("client_keys", None), **credentials))


def test_the_drop_is_read_only(drop):
    _, port, _ = drop

    async def attempt():
        async with (
            asyncssh.connect("127.0.0.1", port, known_hosts=None, username="district", password="drop-secret") as c,
            c.start_sftp_client() as sftp,
        ):
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                async with sftp.open("exports/evil.zip", "wb") as remote:
                    await remote.write(b"x")
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await sftp.remove("exports/roster.zip")

    asyncio.run(attempt())


def test_publishing_again_replaces_the_bundle(drop):
    server, port, engine = drop
    from rosterlab.server.churn import advance

    advance(engine, 3, seed=2)
    server.publish()
    data = asyncio.run(_download(port, username="district", password="drop-secret"))
    assert data == export_store(engine, "1.2.1")


def test_the_bundle_is_republished_on_a_schedule(tmp_path):
    import time

    from rosterlab.server.churn import set_record

    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, demo_district())
    settings = SftpSettings(root=tmp_path / "drop", accounts=(SftpAccount("d", password="p"),), port=0, interval=0.2)
    server = SftpDrop(engine, settings)
    server.start()
    try:
        first = server.target.read_bytes()
        set_record(engine, "category", {"sourcedId": "cat-labs", "title": "Labs"})
        deadline = time.monotonic() + 10
        while server.target.read_bytes() == first:
            assert time.monotonic() < deadline, "the bundle was not republished"
            time.sleep(0.05)
        published = read_bundle(server.target.read_bytes())
        assert "cat-labs" in {row["sourcedId"] for row in published.rows["categories"]}
    finally:
        server.stop()


def test_publishing_on_demand_from_the_command_line_reaches_a_running_drop(drop, tmp_path):
    import subprocess
    import sys

    from rosterlab.server.churn import set_record

    server, port, engine = drop
    set_record(engine, "category", {"sourcedId": "cat-now", "title": "Now"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rosterlab",
            "sis",
            "publish",
            "--sftp-root",
            str(server.settings.root),
            "--sftp-path",
            "exports",
            "--sftp-file",
            "roster.zip",
            "--database",
            str(engine.url),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = asyncio.run(_download(port, username="district", password="drop-secret"))
    assert "cat-now" in {row["sourcedId"] for row in read_bundle(data).rows["categories"]}
