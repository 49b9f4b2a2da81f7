"""A pass is earned: every check is seen failing against a provider with the fault it looks for. The quirk
switches and profiles (tests/test_conformance.py, tests/test_conformance_quirks.py) break most checks; the
faults no switch imitates are made here by small layers around the strict mock (FAULTS), each breaking one
thing, and the checker fails exactly the checks they break, with evidence that points at the fault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from rosterlab.conformance.model import REGISTRY, Report, Status
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.auth.registry import ALL_SCOPES
from rosterlab.server.churn import delete_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.asgi import Buffered, buffered
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer
from tests.test_conformance import EXPECTED
from tests.test_conformance_quirks import QUIRKS

MASTER = "faulty-provider-master-token"  # what a provider that checks no credentials lets everyone act as
Scope = dict[str, Any]


def _query(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _with_query(scope: Scope, pairs: list[tuple[str, str]]) -> Scope:
    return {**scope, "query_string": urlencode(pairs).encode("latin-1")}


def credentials_unchecked(scope: Scope) -> Scope:
    """Every request acts with a full-scope token, whatever credentials it carries (or lacks)."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
    return {**scope, "headers": [*headers, (b"authorization", f"Bearer {MASTER}".encode())]}


def not_equal_as_equal(scope: Scope) -> Scope:
    """A filter's != read as =."""
    return _with_query(scope, [(k, v.replace("!=", "=") if k == "filter" else v) for k, v in _query(scope)])


def or_as_and(scope: Scope) -> Scope:
    """A filter's OR read as AND."""
    return _with_query(scope, [(k, v.replace(" OR ", " AND ") if k == "filter" else v) for k, v in _query(scope)])


def sort_by_family_name_ignored(scope: Scope) -> Scope:
    return _with_query(scope, [(k, v) for k, v in _query(scope) if (k, v) != ("sort", "familyName")])


def fields_ignored(scope: Scope) -> Scope:
    return _with_query(scope, [(k, v) for k, v in _query(scope) if k != "fields"])


EXTRA_STUDENT = {"sourcedId": "stranger-1", "status": "active", "givenName": "Not", "familyName": "Enrolled"}


def extra_student(scope: Scope, response: Buffered) -> None:
    """A student no enrollment names, in every class's student list."""
    if scope["path"].endswith("/students") and "/classes/" in scope["path"] and response.status == 200:
        body = response.json()
        body["users"] = [*body["users"], {**body["users"][0], **EXTRA_STUDENT}] if body["users"] else body["users"]
        response.set_json(body)


def large_limit_refused(scope: Scope, response: Buffered) -> None:
    if ("limit", "100000") in _query(scope):
        response.status = 400
        response.set_json({"imsx_codeMajor": "failure", "imsx_description": "limit too large"})


def delta_without_deletions(scope: Scope, response: Buffered) -> None:
    """A dateLastModified filter that leaves out what was deleted."""
    if any(k == "filter" and "dateLastModified" in v for k, v in _query(scope)) and response.status == 200:
        body = response.json()
        response.set_json({k: [r for r in v if r.get("status") != "tobedeleted"] for k, v in body.items()})


def deletes_ignored(scope: Scope, response: Buffered) -> None:
    """DELETE answered 204, and nothing deleted (the request never reaches the store: see `Faulty`)."""


# check -> the fault that breaks it, on requests (Scope -> Scope) or responses (changed in place)
FAULTS: dict[str, Callable] = {
    "auth.no-credentials": credentials_unchecked,
    "auth.bad-credentials": credentials_unchecked,
    "auth.replayed-nonce": credentials_unchecked,
    "auth.missing-scope": credentials_unchecked,
    "auth.expired-token": credentials_unchecked,
    "nested.class-students": extra_student,
    "paging.limit-clamp": large_limit_refused,
    "filter.operators": not_equal_as_equal,
    "filter.logical": or_as_and,
    "sort.order": sort_by_family_name_ignored,
    "fields.selection": fields_ignored,
    "delta.tobedeleted": delta_without_deletions,
    "gradebook.round-trip": deletes_ignored,
}
REQUEST_FAULTS = {credentials_unchecked, not_equal_as_equal, or_as_and, sort_by_family_name_ignored, fields_ignored}
# what each version's run fails: replayed nonces are OAuth 1.0a's (1.1 here), scopes OAuth 2.0's; tokens live
# an hour here, too long to wait for (auth.expired-token is seen failing with short-lived tokens below)
FAILING = {
    "1.1": set(FAULTS) - {"auth.missing-scope", "auth.expired-token"},
    "1.2": set(FAULTS) - {"auth.replayed-nonce", "auth.expired-token"},
}


class Faulty:
    """The strict mock behind every fault of FAULTS at once (they touch different requests)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/ims/oneroster/"):
            await self.app(scope, receive, send)
            return
        for fault in dict.fromkeys(FAULTS.values()):
            if fault in REQUEST_FAULTS:
                scope = fault(scope)
        if scope["method"] == "DELETE":
            response = Buffered(204, [], b"", complete=True)
        else:
            response = await buffered(self.app, scope, receive)
            for fault in dict.fromkeys(FAULTS.values()):
                if fault not in REQUEST_FAULTS:
                    fault(scope, response)
        response.set_header("content-length", str(len(response.body)))
        await response.send(send)


@pytest.fixture(scope="module")
def sis(tmp_path_factory):
    data = demo_district()
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('faulty') / 'sis.db'}")
    load(engine, data)
    delete_record(engine, "enrollment", data["enrollment"][0]["sourcedId"])  # a deletion for deltas to carry
    yield engine
    engine.dispose()


def serve_faulty(sis, **settings) -> LiveServer:
    config = replace(server_config(), **settings)
    registry = registry_for(config, sis)
    ensure_demo_clients(registry)
    if registry.token(MASTER) is None:
        registry.save_token(MASTER, DEMO_OAUTH2.client_id, " ".join(ALL_SCOPES), None)
    return LiveServer(Faulty(create_app(config, engine=sis)))


@pytest.fixture(scope="module")
def faulty(sis):
    with serve_faulty(sis) as live:
        yield live


REPORTS: dict[str, Report] = {}


def _report(live: LiveServer, version: str) -> Report:
    if version not in REPORTS:
        auth = (
            OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret)
            if version == "1.1"
            else OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        )
        with OneRosterClient(live.url, auth) as client:
            REPORTS[version] = run_checks(Target(client, version, allow_writes=True, examples=1))
    return REPORTS[version]


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_each_fault_fails_exactly_its_checks(faulty, version):
    report = _report(faulty, version)
    failed = {r.check.id: r.verdict.message for r in report.failures()}
    assert set(failed) == FAILING[version], {r.check.id: r.verdict.message for r in report.results}
    assert not report.errors()


def test_an_expired_token_accepted_fails(sis):
    with serve_faulty(sis, token_lifetime=2) as live:  # short enough for the check to wait for
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, auth) as client:
            report = run_checks(Target(client, "1.2"), ("auth.expired-token",))
    [result] = report.results
    assert result.verdict.status is Status.FAIL and "past its expires_in, answered HTTP 200" in result.verdict.message


def test_the_evidence_is_the_extra_student(faulty):
    result = next(r for r in _report(faulty, "1.2").results if r.check.id == "nested.class-students")
    assert "listed but not enrolled: ['stranger-1']" in result.verdict.message
    assert result.verdict.evidence.excerpt.startswith('{"sourcedId": "stranger-1"')
    assert "/students" in result.verdict.evidence.request


def test_every_check_is_seen_failing_somewhere():
    """No check passes without having been seen to fail against the provider fault it looks for."""
    failing = set(FAULTS)
    failing |= {c for versions in QUIRKS.values() for ids in versions.values() for c in ids}
    failing |= {c for *_, versions in EXPECTED.values() for ids in versions.values() for c in ids}
    assert set(REGISTRY) - failing == set()
