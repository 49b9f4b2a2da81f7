"""One mock SIS store for every command: `make run`, `serve`, `clients`, `sis`, `csv`, `generate`, `report`.

A client added after `make run` must land in the database the running server serves.
"""

from __future__ import annotations

import os
import queue
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import httpx
import pytest

from rosterlab.cli import main
from rosterlab.server.store.database import DEFAULT_URL

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ROSTERLAB = [sys.executable, "-m", "rosterlab"]
STORE_COMMANDS = ("serve", "clients", "sis", "csv", "generate", "report")


def _environment(**settings: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("ROSTERLAB_DATABASE", "ROSTERLAB_SECRET_KEY")}
    return {**environment, **settings}


def _run(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROSTERLAB, *args], cwd=cwd, env=_environment(**settings), capture_output=True, text=True, timeout=120
    )


def _database_options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    """(command path, its --database option) for `command` and every command below it."""
    found = [(path, p) for p in command.params if isinstance(p, click.Option) and p.name == "database_url"]
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            found += _database_options(command.get_command(context, name), f"{path} {name}")
    return found


def test_every_store_command_reads_rosterlab_database():
    context = click.Context(main)
    options = [found for name in STORE_COMMANDS for found in _database_options(main.get_command(context, name), name)]
    paths = {path for path, _ in options}
    assert {"serve", "clients add", "sis advance", "csv export", "csv import", "generate", "report consumer"} <= paths
    for path, option in options:
        assert option.envvar == "ROSTERLAB_DATABASE", path
        assert option.default == DEFAULT_URL, path


def test_make_run_serves_the_default_store_on_the_chosen_port():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123", "HOST=127.0.0.2"],
        cwd=PROJECT_ROOT,
        env=_environment(PORT="9999", HOST="machine-name"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    serve = next(line for line in result.stdout.splitlines() if " serve " in line)
    assert "--database" not in serve
    assert "--port 8123" in serve and "--host 127.0.0.2" in serve
    default = subprocess.run(["make", "-n", "run"], cwd=PROJECT_ROOT, env=_environment(HOST="machine-name"),
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "--host 127.0.0.1 --port 8000" in default.stdout


def test_clients_follow_rosterlab_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    key = str(tmp_path / "secret.key")
    added = _run("clients", "add", "Acme LMS", "--client-id", "acme", "--secret-key-file", key, cwd=tmp_path,
                 ROSTERLAB_DATABASE=url)  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = _run("clients", "list", "--secret-key-file", key, cwd=tmp_path, ROSTERLAB_DATABASE=url)
    assert "acme" in listed.stdout
    assert not (tmp_path / "rosterlab.db").exists()
    assert (tmp_path / "shared.db").exists()


def test_the_help_names_the_variable(tmp_path):
    result = _run("clients", "add", "--help", cwd=tmp_path)
    assert "ROSTERLAB_DATABASE" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _printed_command(process: subprocess.Popen) -> str:
    """The `clients add` command the server prints at start-up."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert process.poll() is None, "the server stopped before printing the clients command"
            continue
        if " clients add " in line:
            return line.split(":", 1)[1].strip()
    pytest.fail("no `clients add` command printed")


def _token(base: str, client_id: str, secret: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.post(
                f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.2)


def test_serve_prints_the_clients_command_for_the_database_it_serves(tmp_path):
    port = _free_port()
    key = tmp_path / "secret.key"
    process = subprocess.Popen(
        [*ROSTERLAB, "serve", "--demo", "--port", str(port), "--secret-key-file", str(key)],
        cwd=tmp_path,
        env=_environment(ROSTERLAB_DATABASE=f"sqlite:///{tmp_path / 'served.db'}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        command = _printed_command(process)
        assert "--database" in command and "served.db" in command and str(key) in command
        words = [("Printed LMS" if word == "NAME" else word) for word in shlex.split(command)]
        added = subprocess.run(
            [*words, "--client-id", "printed"],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        secret = next(line.split()[1] for line in added.stdout.splitlines() if line.startswith("client_secret"))
        token = _token(f"http://127.0.0.1:{port}", "printed", secret)
        assert token.status_code == 200, token.text
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_printed_command_leaves_out_the_default_database():
    from rosterlab.server.cli import clients_add_command

    default = clients_add_command(DEFAULT_URL, Path(".rosterlab/secret.key"))
    assert default.endswith("clients add NAME")
    other = clients_add_command("postgresql://postgres@127.0.0.1/x y", Path("keys/k"))
    assert other.endswith("clients add NAME --database 'postgresql://postgres@127.0.0.1/x y' --secret-key-file keys/k")
