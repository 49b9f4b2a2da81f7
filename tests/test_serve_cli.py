"""`rosterlab serve` as a user runs it: a separate process on a loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import fetch_token

ROSTERLAB = [sys.executable, "-m", "rosterlab"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _first_token(process: subprocess.Popen, base: str, path: str) -> str:
    """A token from the server starting in `process`, once it answers."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return fetch_token(base, path=path)
        except (httpx.TransportError, httpx.HTTPStatusError):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


def test_serve_demo_district_over_http(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [
            *ROSTERLAB,
            "serve",
            "--demo",
            "--port",
            str(port),
            "--database",
            f"sqlite:///{tmp_path / 'demo.db'}",
            "--secret-key-file",
            str(tmp_path / "secret.key"),
            "--token-path",
            "/oauth2/token",
            "--token-lifetime",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        token = _first_token(process, base, "/oauth2/token")
        headers = {"Authorization": f"Bearer {token}"}
        response = httpx.get(f"{base}/ims/oneroster/rostering/v1p2/schools", headers=headers)
        assert response.status_code == 200
        assert len(response.json()["orgs"]) == 3
        assert httpx.get(f"{base}/ims/oneroster/v1p1/users?limit=1", headers=headers).json()["users"][0]["role"]
        assert httpx.get(f"{base}/ims/oneroster/v1p1/users").status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "loaded the demo district" in output
    assert "demo-oauth2-secret" in output and "demo-oauth1" in output
    assert f"http://127.0.0.1:{port}/ims/oneroster/v1p1" in output


def test_serve_refuses_an_unusable_database_clearly(tmp_path):
    result = subprocess.run(
        [*ROSTERLAB, "serve", "--database", f"sqlite:///{tmp_path / 'missing' / 'x.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot use the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_profile_a_quirk_and_faults(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [*ROSTERLAB, "serve", "--demo", "--port", str(port), "--database", f"sqlite:///{tmp_path / 'demo.db'}",
         "--secret-key-file", str(tmp_path / "secret.key"), "--profile", "skyward", "--quirk", "string_booleans",
         "--faults", "seed=3,latency=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        token = _first_token(process, base, "/oauth/token")
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/ims/oneroster/rostering/v1p2/users", headers=headers).status_code == 404
        user = httpx.get(f"{base}/ims/oneroster/v1p1/users?limit=1", headers=headers).json()["users"][0]
        assert user["enabledUser"] in ("true", "false")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "profile: skyward; quirks: string_booleans=1, v1p1_only=1" in output
    assert "faults: seed=3," in output


def test_profiles_are_listed_and_unknown_ones_refused(tmp_path):
    listed = subprocess.run([*ROSTERLAB, "profiles"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "powerschool" in listed.stdout and "max_concurrent" in listed.stdout
    refused = subprocess.run(
        [*ROSTERLAB, "serve", "--profile", "moodle", "--database", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        refused.returncode == 2 and "unknown profile 'moodle'" in refused.stderr and "Traceback" not in refused.stderr
    )
