"""The client registry: secrets at rest, nonces shared by workers, and the `rosterlab clients` commands."""

from __future__ import annotations

import subprocess
import sys

import requests
from cryptography.fernet import Fernet
from requests_oauthlib import OAuth1
from sqlalchemy import select
from starlette.testclient import TestClient

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.registry import Registry, clients
from rosterlab.server.auth.secrets import SecretBox
from rosterlab.server.store.database import connect
from tests.conftest import server_config

ROSTERLAB = [sys.executable, "-m", "rosterlab"]


def test_secrets_are_hashed_and_sealed_never_stored_in_the_clear(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    key = Fernet.generate_key().decode()
    registry = Registry(engine, SecretBox(key.encode()))
    created = registry.add("lms", username="admin")
    with engine.connect() as connection:
        row = connection.execute(select(clients)).one()
    stored = " ".join(str(value) for value in row)
    assert created.secret not in stored and created.password not in stored
    assert registry.check_secret(created.client.client_id, created.secret)
    assert not registry.check_secret(created.client.client_id, created.secret + "x")
    assert registry.signing_secret(created.client.client_id) == created.secret
    other_key = Registry(engine, SecretBox(Fernet.generate_key()))
    assert other_key.signing_secret(created.client.client_id) is None


def test_a_nonce_used_at_one_worker_is_refused_at_another(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    config = server_config(database_url=url)
    created = registry_for(config, connect(url)).add("shared", client_id="worker-test", secret="worker-secret")
    first = TestClient(create_app(config, engine=connect(url)))
    second = TestClient(create_app(config, engine=connect(url)))
    signed = requests.Request(
        "GET", "http://testserver/ims/oneroster/v1p1/orgs", auth=OAuth1(created.client.client_id, "worker-secret")
    ).prepare()
    header = signed.headers["Authorization"]
    headers = {"Authorization": header.decode() if isinstance(header, bytes) else header}
    assert first.get("/ims/oneroster/v1p1/orgs", headers=headers).status_code == 200
    replay = second.get("/ims/oneroster/v1p1/orgs", headers=headers)
    assert replay.status_code == 401 and "nonce" in replay.text


def test_clients_command_line(tmp_path):
    database = ["--database", f"sqlite:///{tmp_path / 'c.db'}", "--secret-key-file", str(tmp_path / "k")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ROSTERLAB, "clients", *args, *database], capture_output=True, text=True, timeout=60)

    added = run("add", "Acme LMS", "--scope", "roster.readonly", "--org", "school-1", "--client-id", "acme")
    assert added.returncode == 0, added.stderr
    secret = next(line.split()[1] for line in added.stdout.splitlines() if line.startswith("client_secret"))
    listed = run("list")
    assert "acme" in listed.stdout and "school-1" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout
    assert run("add", "again", "--client-id", "acme").returncode == 2
    assert run("revoke", "acme").returncode == 0
    assert "REVOKED" in run("list").stdout
    missing = run("revoke", "nobody")
    assert missing.returncode == 2 and "no client" in missing.stderr
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
