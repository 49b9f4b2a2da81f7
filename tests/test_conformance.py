"""The conformance checker against rosterlab's own mock: strict passes, and each quirk profile fails exactly the
checks its deviations break (nothing else); reports in every format; the command line's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from rosterlab.conformance.model import REGISTRY, Level, Report, Status
from rosterlab.conformance.reports.data import report_data
from rosterlab.conformance.reports.html import html_page
from rosterlab.conformance.reports.junit import junit_xml
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer

# profile -> how the checker connects (auth for 1.1, OAuth 2.0 client authentication, token host), and the
# check ids expected to fail per version checked. Everything else must pass or not apply.
EXPECTED = {
    "strict": ("oauth1", "basic", "127.0.0.1", {"1.1": set(), "1.2": set()}),
    "ed-fi": (
        "oauth1",
        "basic",
        "localhost",  # where its token endpoint redirects: the partner configures that URL
        {
            "1.2": {
                "errors.unknown-sort-field",
                "errors.bad-filter",
                "errors.bad-paging",
                "errors.unknown-filter-field",
                "errors.unknown-object",
                "paging.link",
                "paging.total-count",
                "contract.operations",
            },
        },
    ),
    "powerschool": ("oauth1", "basic", "127.0.0.1", {"1.1": {"paging.full-pages"}, "1.2": {"paging.full-pages"}}),
    "classlink": (
        "oauth1",
        "basic",
        "127.0.0.1",
        {"1.1": {"booleans.form", "operations.schema", "contract.operations"}, "1.2": set()},
    ),
    "infinite-campus": ("oauth1", "query", "127.0.0.1", {"1.1": set(), "1.2": set()}),
    "aeries": (
        "oauth2",
        "basic",
        "127.0.0.1",
        {  # its per-school endpoints answer 404
            "1.1": {"nested.school-classes", "operations.status"},
            "1.2": {"nested.school-classes", "operations.status"},
        },
    ),
    "skyward": ("oauth1", "basic", "127.0.0.1", {"1.1": set()}),
    "v1p2-on-v1p1": (
        "oauth1",
        "basic",
        "127.0.0.1",
        {"1.1": {"booleans.form", "operations.schema", "contract.operations"}, "1.2": set()},
    ),
    "status-info": (
        "oauth1",
        "basic",
        "127.0.0.1",
        {"1.1": set(), "1.2": {"operations.schema", "contract.operations"}},
    ),
    "total-before-filter": (
        "oauth1",
        "basic",
        "127.0.0.1",
        {"1.1": {"filter.total-count"}, "1.2": {"filter.total-count"}},
    ),
    "malformed-links": ("oauth1", "basic", "127.0.0.1", {"1.1": {"paging.link"}, "1.2": {"paging.link"}}),
}


# Ed-Fi's 100 requests a minute would only make these runs wait (the checker honours Retry-After); the limit
# itself is seen on the wire in tests/test_quirk_catalogue.py.
UNTHROTTLED = {"ed-fi": ("rate_limit=0",)}
# schemathesis requests per read operation: one is enough for every row but Ed-Fi's, whose contract breaks
# only in error answers (flat codeMinor) that one generated request per operation does not reach
EXAMPLES = {"ed-fi": 3}


def test_every_profile_has_its_expected_failures():
    assert set(EXPECTED) == set(PROFILES)
    named = {check_id for *_, versions in EXPECTED.values() for ids in versions.values() for check_id in ids}
    assert named <= set(REGISTRY)


def test_every_check_says_what_it_rests_on():
    for check in REGISTRY.values():
        assert check.title and check.reference and check.level in Level


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The report of a profile and version; one mock server per profile runs every version of its row."""
    data = demo_district()
    sis = connect(f"sqlite:///{tmp_path_factory.mktemp('profiles') / 'sis.db'}")
    load(sis, data)
    delete_record(sis, "enrollment", data["enrollment"][0]["sourcedId"])  # a deletion for deltas to carry
    done: dict[tuple[str, str], Report] = {}

    def report(profile: str, version: str) -> Report:
        if (profile, version) not in done:
            kind, client_auth, token_host, versions = EXPECTED[profile]
            config = apply_profile(server_config(), profile, UNTHROTTLED.get(profile, ()))
            ensure_demo_clients(registry_for(config, sis))
            with LiveServer(create_app(config, engine=sis)) as live:
                for used in versions:
                    if used == "1.1" and kind == "oauth1":
                        auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret)
                    else:
                        token_url = live.url.replace("127.0.0.1", token_host) + "/oauth/token"
                        auth = OAuth2(token_url, DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, client_auth=client_auth)
                    with OneRosterClient(live.url, auth) as client:
                        done[(profile, used)] = run_checks(Target(client, used, examples=EXAMPLES.get(profile, 1)))
        return done[(profile, version)]

    yield report
    sis.dispose()


@pytest.mark.parametrize(("profile", "version"), [(p, v) for p, (*_, versions) in EXPECTED.items() for v in versions])
def test_each_profile_fails_exactly_its_deviations(reports, profile, version):
    report = reports(profile, version)
    failed = {r.check.id for r in report.failures()}
    expected = EXPECTED[profile][3][version]
    details = {r.check.id: r.verdict.message for r in report.failures()}
    assert failed == expected, details
    if profile == "strict":
        assert not report.failures(Level.MUST) and not report.failures(Level.SHOULD)
        skipped = {r.check.id for r in report.results if r.verdict.status is Status.SKIP}
        other_auth = "auth.missing-scope" if version == "1.1" else "auth.replayed-nonce"  # the method not used
        assert skipped == {"gradebook.round-trip", other_auth, "auth.expired-token"}  # tokens live an hour
    assert not report.errors(), {r.check.id: r.verdict.message for r in report.errors()}
    for result in report.failures():
        assert result.verdict.message and result.verdict.evidence  # every failure says why, and shows it


def test_reports_in_every_format(reports):
    report = reports("classlink", "1.1")
    data = report_data(report)
    assert data["passed"] is False and data["failures_by_level"]["must"] == 3
    failing = next(r for r in data["results"] if r["id"] == "booleans.form")
    assert failing["evidence"]["request"].startswith("GET ") and failing["evidence"]["status"] == 200
    suite = ET.fromstring(junit_xml(report))
    assert suite.get("failures") == "3" and len(suite.findall("testcase")) == len(REGISTRY)
    assert {case.get("name") for case in suite.findall("testcase") if case.find("failure") is not None} == {
        "booleans.form",
        "operations.schema",
        "contract.operations",
    }
    page = html_page(report)
    assert page.startswith("<!doctype html>") and "FAILED" in page and "<script" not in page and "booleans.form" in page


def test_the_command_line_exits_by_must_failures(tmp_path):
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(sis, demo_district())
    outcomes = {}
    for profile in ("strict", "malformed-links", "classlink"):
        config = apply_profile(server_config(), profile)
        ensure_demo_clients(registry_for(config, sis))
        with LiveServer(create_app(config, engine=sis)) as live:
            done = subprocess.run(
                [sys.executable, "-m", "rosterlab", "check", live.url, "--version", "1.1", "--oauth1",
                 "--key", DEMO_OAUTH1.client_id, "--secret", DEMO_OAUTH1.secret, "--examples", "1",
                 "--junit", str(tmp_path / f"{profile}.xml"), "--json", str(tmp_path / f"{profile}.json"),
                 "--html", str(tmp_path / f"{profile}.html")],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
        outcomes[profile] = done.returncode
        assert "Traceback" not in done.stderr and DEMO_OAUTH1.secret not in done.stdout
        assert json.loads((tmp_path / f"{profile}.json").read_text())["versions"] == ["1.1"]
    assert outcomes == {"strict": 0, "malformed-links": 0, "classlink": 1}  # a should-failure passes; a must fails


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_gradebook_round_trip_when_writes_are_allowed(tmp_path, version):
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(sis, demo_district())
    config = server_config()
    ensure_demo_clients(registry_for(config, sis))
    with LiveServer(create_app(config, engine=sis)) as live:
        auth = (
            OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret)
            if version == "1.1"
            else OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        )
        with OneRosterClient(live.url, auth) as client:
            skipped = run_checks(Target(client, version), ("gradebook",))
            written = run_checks(Target(client, version, allow_writes=True), ("gradebook",))
    assert [r.verdict.status for r in skipped.results] == [Status.SKIP]
    assert [(r.verdict.status, r.verdict.message) for r in written.results] == [(Status.PASS, "")]


def test_an_expired_token_is_checked_when_tokens_are_short_lived(tmp_path):
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(sis, demo_district())
    config = replace(server_config(), token_lifetime=2)
    ensure_demo_clients(registry_for(config, sis))
    with LiveServer(create_app(config, engine=sis)) as live:
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, auth) as client:
            report = run_checks(Target(client, "1.2"), ("auth.expired",))
    assert [(r.check.id, r.verdict.status) for r in report.results] == [("auth.expired-token", Status.PASS)]
