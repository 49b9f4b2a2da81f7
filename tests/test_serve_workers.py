"""`rosterlab serve --workers 2` comes up on a busy 2-core machine, and says what it is doing meanwhile."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from rosterlab.server.cli import WORKER_HEALTHCHECK_SECONDS, worker_options
from tests.conftest import fetch_token

SCRIPT = Path(sys.executable).with_name("rosterlab")  # the console script, as users run it
BURN = "while True:\n    pass\n"
HEAVY = ("connexion", "starlette", "schemathesis", "flask", "asyncssh", "apscheduler", "sqlalchemy", "uvicorn")
# What a worker spawned by uvicorn runs before it can answer the supervisor's health check: the main script,
# as `__mp_main__` (multiprocessing's spawn start method).
BOOTSTRAP = """
import json, runpy, sys
runpy.run_path({script!r}, run_name="__mp_main__")
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


@contextmanager
def busy_cores(count: int = 2) -> Iterator[None]:
    """`count` processes burning a CPU each, for the duration."""
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tmp_path: Path, port: int) -> subprocess.Popen:
    arguments = ["serve", "--demo", "--workers", "2", "--port", str(port), "--database",
                 f"sqlite:///{tmp_path / 'demo.db'}", "--secret-key-file", str(tmp_path / "secret.key")]  # fmt: skip
    return subprocess.Popen(
        [str(SCRIPT), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its workers are stopped with it, whatever happens to the test
    )


def _stop(process: subprocess.Popen) -> str:
    """Stop the server and its workers; what it printed."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
    return output


def _answers(process: subprocess.Popen, base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            token = fetch_token(base)
            response = httpx.get(f"{base}/ims/oneroster/v1p1/orgs", headers={"Authorization": f"Bearer {token}"})
            return response.status_code == 200
        except (httpx.TransportError, httpx.HTTPStatusError):
            time.sleep(0.5)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not SCRIPT.exists(), reason="the rosterlab console script is not installed beside Python")
def test_two_workers_come_up_while_both_cores_are_busy(tmp_path):
    port = _free_port()
    with busy_cores(2):
        process = _serve(tmp_path, port)
        try:
            answered = _answers(process, f"http://127.0.0.1:{port}", seconds=150)
            time.sleep(1)  # the second worker's line, if it comes after the first answer
        finally:
            output = _stop(process)
    assert answered, output
    assert "was not ready in time" not in output and "died" not in output, output
    assert "preparing the database" in output
    assert "starting 2 workers" in output
    assert output.count("loading the application") == 2, output  # no worker was killed and started again
    assert output.count("ready to answer") == 2, output


@pytest.mark.skipif(not SCRIPT.exists(), reason="the rosterlab console script is not installed beside Python")
def test_a_spawned_worker_imports_little_before_it_answers_health_checks():
    code = BOOTSTRAP.format(script=str(SCRIPT), heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_workers_get_a_patient_health_check():
    options = worker_options(2)
    assert options["workers"] == 2
    if "timeout_worker_healthcheck" not in uvicorn.Config.__init__.__code__.co_varnames:
        pytest.skip(f"uvicorn {uvicorn.__version__} has no worker health check timeout")
    assert options["timeout_worker_healthcheck"] == WORKER_HEALTHCHECK_SECONDS >= 60
