"""How `rosterlab check` behaves, over real HTTP: bounded (a page cap and ignored offsets, request timeouts, a
hung request failing its check while the others go on, --budget), four outcomes with exit codes 0/1/2/3,
--fail-on, --no-auth, --scope, both versions in one run, --thorough, progress on the terminal, and no
.hypothesis/ left where it runs."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rosterlab.conformance import target as target_module
from rosterlab.conformance.budget import Budget
from rosterlab.conformance.cli import check
from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import REGISTRY, Failed, NotApplicable, Status
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.conformance.walk import Walk, walk
from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.request_log import requests
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.scopes import ROSTER_CORE, ROSTER_DEMOGRAPHICS, scope_uri
from tests.conftest import server_config
from tests.live import LiveServer

OAUTH2 = ("--client-id", DEMO_OAUTH2.client_id, "--client-secret", DEMO_OAUTH2.secret)


@pytest.fixture(scope="module")
def sis(tmp_path_factory):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('behaviour') / 'sis.db'}")
    load(engine, demo_district())
    yield engine
    engine.dispose()


def app(sis, switches: tuple[str, ...] = (), **settings):
    config = replace(apply_profile(server_config(), "strict", switches), **settings)
    ensure_demo_clients(registry_for(config, sis))
    return create_app(config, engine=sis)


@pytest.fixture(scope="module")
def strict(sis):
    with LiveServer(app(sis, record_requests=True)) as live:
        yield live


@pytest.fixture(scope="module")
def faulty(sis):
    """A must-failure (malformed offsets answered 200), a should-failure (a Link with a stray comma) and a
    provider ignoring offset, in one."""
    with LiveServer(app(sis, ("lenient_paging_params", "malformed_link", "ignore_offset"))) as live:
        yield live


def cli(*args: str) -> tuple[int, dict, str]:
    """`rosterlab check ARGS --json FILE` in this process: the exit code, the JSON report and stderr."""
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "report.json"
        result = CliRunner().invoke(check, [*args, "--json", str(written)], catch_exceptions=False)
        data = json.loads(written.read_text(encoding="utf-8")) if written.exists() else {}
    return result.exit_code, data, result.stderr


def statuses(data: dict, version: str | None = None) -> dict[str, tuple[str, str]]:
    report = next(r for r in data["reports"] if version is None or r["version"] == version)
    return {r["id"]: (r["status"], r["message"]) for r in report["results"]}


# -- bounded ------------------------------------------------------------------------------------------------


def test_a_provider_that_ignores_offset_ends_within_its_budget(faulty):
    started = time.monotonic()
    code, data, _ = cli(faulty.url, "--version", "1.2", *OAUTH2, "--only", "paging.complete", "--budget", "60")
    assert time.monotonic() - started < 60
    assert code == 1 and data["outcome"] == "fail"
    status, message = statuses(data)["paging.complete"]
    assert status == "fail" and message.startswith("the provider ignores offset: the page at offset 7 repeats")


def _page(offset: int, total: int | None = None) -> Exchange:
    users = [{"sourcedId": f"user-{offset + i}"} for i in range(3)]
    headers = {} if total is None else {"X-Total-Count": str(total)}
    return Exchange(f"GET /users?offset={offset}", httpx.Response(200, json={"users": users}, headers=headers))


def test_every_walk_has_a_page_cap():
    def read(exchange: Exchange) -> list[dict]:
        return exchange.body["users"]

    with pytest.raises(Failed, match="5 pages read and no end in sight: the walk stopped"):
        walk(_page, read, Walk("getAllUsers"), max_pages=5)  # records without end, and no total to explain them
    with pytest.raises(
        NotApplicable, match="getAllUsers holds 1000000 records, more than 5 pages; run with --thorough"
    ):
        walk(lambda offset: _page(offset, 10**6), read, Walk("getAllUsers"), max_pages=5)
    sampled = walk(_page, read, Walk("getAllUsers"), most=7)
    assert len(sampled.records) == 9 and not sampled.complete


class Hang:
    """The mock answering nothing for `seconds` on the paths `pattern` matches."""

    def __init__(self, app, pattern: str, seconds: float) -> None:
        self.app, self.pattern, self.seconds = app, re.compile(pattern), seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self.pattern.search(scope["path"]):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def test_a_hung_request_fails_its_check_with_evidence_and_the_others_go_on(sis):
    with LiveServer(Hang(app(sis), r"/classes/[^/]+/students$", 2.5)) as live:
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, auth) as client:
            started = time.monotonic()
            report = run_checks(Target(client, "1.2", budget=Budget(None, request_timeout=1.0), examples=1))
            took = time.monotonic() - started
    failed = {r.check.id: r.verdict for r in report.failures()}
    assert set(failed) == {"nested.class-students", "operations.status", "contract.operations"}, failed
    hung = failed["nested.class-students"]
    assert hung.message == "no answer within 1 s" and hung.evidence.status is None
    assert re.fullmatch(r"GET http://127\.0\.0\.1:\d+/ims/oneroster/rostering/v1p2/classes/[^/?]+/students\?.*",
                        hung.evidence.request)  # fmt: skip
    assert "getStudentsForClass: no answer within 1 s" in failed["operations.status"].message
    assert len(report.results) == len(REGISTRY) and not report.errors()  # every other check ran, and passed
    assert took < 30


def test_a_provider_that_hangs_everywhere_ends_within_the_budget_with_what_it_gathered(sis):
    slow = app(sis, faults=Faults(latency=10_000))  # every OneRoster answer takes 2 s (the fault's ceiling)
    with LiveServer(slow) as live:
        started = time.monotonic()
        code, data, _ = cli(live.url, "--version", "1.2", *OAUTH2, "--budget", "9", "--timeout", "5",
                            "--only", "errors.unknown-object", "--only", "records")  # fmt: skip
        took = time.monotonic() - started
    assert code == 3 and data["outcome"] == "error" and took < 9 + 3
    found = statuses(data)
    assert found["errors.unknown-object"] == ("pass", "")  # gathered before the budget ran out, and kept
    status, message = found["records.unique"]
    assert status == "error" and "budget of 9 s ran out" in message


def test_request_timeouts_stay_within_the_budget():
    now = [100.0]
    budget = Budget(10, request_timeout=4, clock=lambda: now[0])
    assert budget.timeout() == 4 and not budget.spent
    now[0] += 8
    assert budget.timeout() == pytest.approx(2) and budget.allows_wait(1) and not budget.allows_wait(3)
    now[0] += 2
    assert budget.spent
    assert Budget(None, request_timeout=4).timeout() == 4 and Budget(None).remaining() is None


# -- outcomes and exit codes ----------------------------------------------------------------------------------


def test_pass_fail_usage_and_could_not_run_exit_0_1_2_3(strict, faulty):
    assert cli(strict.url, "--version", "1.2", *OAUTH2, "--only", "paging.total-count")[0] == 0
    assert cli(faulty.url, "--version", "1.2", *OAUTH2, "--only", "errors.bad-paging")[0] == 1
    assert cli(strict.url, "--version", "1.2")[0] == 2  # no credentials, no --no-auth
    code, data, stderr = cli(strict.url, "--client-id", DEMO_OAUTH2.client_id, "--client-secret", "s3cr3t-guess")
    assert code == 3 and data["outcome"] == "error" and "s3cr3t-guess" not in json.dumps(data) + stderr
    [report] = data["reports"]
    assert [(r["id"], r["status"]) for r in report["results"]] == [("run.connect", "error")]  # one clear error
    assert "the token endpoint refused the credentials" in report["results"][0]["message"]
    assert "could not run" in stderr


def test_a_refused_token_is_one_error_not_every_check_failing(strict):
    auth = OAuth2(f"{strict.url}/oauth/token", DEMO_OAUTH2.client_id, "not-the-secret")
    with OneRosterClient(strict.url, auth) as client:
        report = run_checks(Target(client, "1.2"))
    assert [(r.check.id, r.verdict.status) for r in report.results] == [("run.connect", Status.ERROR)]
    assert report.outcome.exit_code == 3


def test_fail_on_chooses_the_level_that_fails_the_run(faulty):
    args = (faulty.url, "--version", "1.2", *OAUTH2, "--only", "paging.link")
    must, data, _ = cli(*args)
    assert statuses(data)["paging.link"][0] == "fail"  # a should-check
    assert must == 0 and cli(*args, "--fail-on", "should")[0] == 1 and cli(*args, "--fail-on", "may")[0] == 1


# -- authentication, scope, versions ------------------------------------------------------------------------------


def test_no_auth_checks_a_provider_without_authentication(sis):
    with LiveServer(app(sis, authentication=False)) as live:
        code, data, _ = cli(live.url, "--no-auth", "--version", "1.2", "--only", "auth", "--only", "paging.total")
    assert code == 0, data
    found = statuses(data)
    assert found["paging.total-count"] == ("pass", "")
    assert {found[c.id] for c in REGISTRY.values() if c.id.startswith("auth.")} == {
        ("skip", "checked without credentials (--no-auth)")
    }


def test_scope_is_honoured_everywhere(sis, strict):
    issued = registry_for(server_config(), sis).add("scoped checker", (ROSTER_CORE, ROSTER_DEMOGRAPHICS))
    client_id, secret = issued.client.client_id, issued.secret
    scope = scope_uri("1.2", ROSTER_CORE)
    code, data, _ = cli(strict.url, "--version", "1.2", "--client-id", client_id, "--client-secret", secret,
                        "--scope", scope, "--examples", "1")  # fmt: skip
    found = statuses(data)
    assert code == 0, {k: v for k, v in found.items() if v[0] in ("fail", "error")}
    assert found["nested.class-students"] == (
        "skip",
        "getStudentsForClass needs roster.readonly, outside the scope asked for (--scope)",
    )
    with sis.connect() as db:
        rows = db.execute(select(requests).where(requests.c.client == client_id)).all()
    asked = {r.scope_asked for r in rows if r.scope_asked is not None}
    assert asked == {scope, scope_uri("1.2", ROSTER_DEMOGRAPHICS)}  # the second: auth.missing-scope's own probe
    refused = [r for r in rows if r.status == 403]
    assert len(refused) == 1 and refused[0].path.endswith("/users")  # only the probe's demographics-only token


def test_both_versions_in_one_run(strict, tmp_path):
    written = {kind: str(tmp_path / f"r.{kind}") for kind in ("json", "junit", "html")}
    result = CliRunner().invoke(check, [strict.url, *OAUTH2, "--only", "paging.total-count",
                                        *(f"--{k}={path}" for k, path in written.items())])  # fmt: skip
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    suites = ET.fromstring((tmp_path / "r.junit").read_text(encoding="utf-8"))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result.exit_code == 0 and data["versions"] == ["1.2", "1.1"]
    assert [s.get("name").rsplit(" ", 1)[1] for s in suites.findall("testsuite")] == ["1.2)", "1.1)"]
    assert "OneRoster 1.2: PASSED" in page and "OneRoster 1.1: PASSED" in page
    assert result.stdout.count("conformance of") == 2


def test_thorough_reads_every_record_where_a_sample_reads_the_first(sis, monkeypatch):
    monkeypatch.setattr(target_module, "SAMPLE", 40)
    with LiveServer(app(sis, ("dangling_refs",))) as live:
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, auth) as client:
            sampled = run_checks(Target(client, "1.2"), ("refs.resolve",)).results[0].verdict
            thorough = run_checks(Target(client, "1.2", thorough=True), ("refs.resolve",)).results[0].verdict
    followed = [int(re.search(r"of (\d+) references", v.message).group(1)) for v in (sampled, thorough)]
    assert sampled.status is thorough.status is Status.FAIL and followed[0] < followed[1]
    assert "(the first 40 records of each collection; --thorough: all)" in sampled.message
    assert "--thorough" not in thorough.message


# -- on the terminal and in the user's folder ------------------------------------------------------------------


def test_progress_names_each_check_as_it_runs(strict):
    code, _, stderr = cli(strict.url, "--version", "1.2", *OAUTH2, "--only", "paging", "--progress")
    assert code == 0
    ids = [c.id for c in REGISTRY.values() if c.id.startswith("paging")]
    for index, check_id in enumerate(ids):
        assert f"OneRoster 1.2 [{index + 1}/{len(ids)}] {check_id}" in stderr


def test_the_runner_reports_each_check_and_request(strict):
    started, sent = [], []
    auth = OAuth2(f"{strict.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    with OneRosterClient(strict.url, auth) as client:
        target = Target(client, "1.2")
        target.transport.on_request = sent.append
        run_checks(target, ("errors",), progress=lambda i, n, c: started.append((i, n, c.id)))
    ids = [c.id for c in REGISTRY.values() if c.id.startswith("errors")]
    assert started == [(i, len(ids), check_id) for i, check_id in enumerate(ids)]
    assert len(sent) > len(ids) and all(shown.startswith("GET ") for shown in sent)


def test_no_hypothesis_folder_is_left_where_it_runs(strict, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rosterlab", "check", strict.url, "--version", "1.1", *OAUTH2, "--only", "contract",
         "--examples", "1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []
