"""The conformance checker against the mock with single quirk switches (over real HTTP): each switch is failed
by exactly the checks named for it in QUIRKS, in each version, with evidence that shows the record at fault;
the strict mock after churn passes at every level (fresh, it is the strict row of tests/test_conformance.py).
One mock server per switch serves both versions' runs."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest

from rosterlab.conformance.model import REGISTRY, Level, Report, Status
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import advance, delete_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks import rate_limit
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.quirks.switches import DESCRIPTIONS
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer

ERRORS_WITHOUT_SORT = {"errors.bad-paging", "errors.bad-filter", "errors.unknown-filter-field"}
PLAIN_ERRORS = {*ERRORS_WITHOUT_SORT, "errors.unknown-object", "contract.operations"}


def both(failing: set[str]) -> dict[str, set[str]]:
    return {"1.1": failing, "1.2": failing}


# quirk switches -> the checks each version fails; every other check passes, skips or does not apply.
QUIRKS: dict[tuple[str, ...], dict[str, set[str]]] = {
    ("wrong_envelope_keys",): both({"operations.envelope", "contract.operations"}),
    ("lenient_paging_params",): both({*ERRORS_WITHOUT_SORT, "errors.unknown-sort-field"}),
    ("duplicate_records",): both({"records.unique"}),
    ("orphan_enrollments",): both({"refs.resolve"}),
    ("dangling_refs",): both({"refs.resolve"}),
    ("relative_hrefs",): both({"refs.hrefs", "contract.operations"}),
    ("null_optional_fields",): both({"operations.schema", "contract.operations"}),
    ("string_periods",): both({"operations.schema", "contract.operations"}),
    ("empty_parent",): both({"operations.schema", "contract.operations"}),
    # 1.1 warns of an unknown sort beside the data (a 200), so only 1.2's refusal can lose its envelope
    ("error_body_plain",): {"1.1": PLAIN_ERRORS, "1.2": {*PLAIN_ERRORS, "errors.unknown-sort-field"}},
    # honoured: the checker waits out each 429 (the window shortened below), so nothing fails
    ("rate_limit=150",): {"1.2": set()},
    ("hard_deletes",): both(set()),  # without writes, a deletion outright cannot be told from no deletion
    ("datetime_dates",): both(set()),  # leniency towards what clients send; the consumer report grades them
    ("ignore_offset",): both({"paging.complete"}),  # and the run ends: the walk sees the first page again
}
RATE_WINDOW = 3.0  # seconds, instead of a minute: the limit is the same, the waits are short
EXAMPLES = 1  # schemathesis requests per operation: enough for every row here, a third of the default's time
LONGEST_RUN = 120.0  # seconds a run may take before the test calls it endless


def test_every_named_check_and_switch_exists():
    named = {check_id for versions in QUIRKS.values() for ids in versions.values() for check_id in ids}
    assert named <= set(REGISTRY)
    assert {s.split("=")[0] for switches in QUIRKS for s in switches} <= set(DESCRIPTIONS)


def within(seconds: float, run: Callable[[], Report]) -> Report:
    """`run()`'s report, or a test failure when it has not ended after `seconds` (an endless walk)."""
    done: list[Report] = []
    worker = threading.Thread(target=lambda: done.append(run()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert done, f"the run did not end within {seconds:g} s"
    return done[0]


def checked(live: LiveServer, version: str, fail_on: Level = Level.MUST) -> Report:
    auth = (
        OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret)
        if version == "1.1"
        else OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    )

    def run() -> Report:
        with OneRosterClient(live.url, auth) as client:
            return run_checks(Target(client, version, examples=EXAMPLES), fail_on=fail_on)

    return within(LONGEST_RUN, run)


def serve(sis, switches: tuple[str, ...] = ()) -> LiveServer:
    config = apply_profile(server_config(), "strict", switches)
    ensure_demo_clients(registry_for(config, sis))
    return LiveServer(create_app(config, engine=sis))


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    data = demo_district()
    sis = connect(f"sqlite:///{tmp_path_factory.mktemp('quirks') / 'sis.db'}")
    load(sis, data)
    delete_record(sis, "enrollment", data["enrollment"][0]["sourcedId"])  # a deletion for deltas to carry
    yield sis
    sis.dispose()


@pytest.fixture(scope="module", params=list(QUIRKS), ids=lambda switches: ",".join(switches))
def quirky(request, district):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rate_limit, "WINDOW", RATE_WINDOW)
        with serve(district, request.param) as live:
            yield request.param, live


def _duplicate(message: str, excerpt: str) -> bool:
    sid = re.search(r"'([^']+)' is served at places", message).group(1)
    return excerpt.count(f'"sourcedId": "{sid}"') == 2  # both copies shown


def _dangling(message: str, excerpt: str) -> bool:
    holder, missing = re.search(r"\(first: (\S+) names '([^']+)'\)", message).groups()
    return excerpt.startswith(f'{{"sourcedId": "{holder}"') and f'"sourcedId": "{missing}"' in excerpt


# quirk switches -> the failing check whose evidence must show the record at fault
POINTS_AT = {
    ("duplicate_records",): ("records.unique", _duplicate),
    ("dangling_refs",): ("refs.resolve", _dangling),
    ("orphan_enrollments",): ("refs.resolve", _dangling),
}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_each_quirk_fails_exactly_its_checks(quirky, version):
    switches, live = quirky
    if version not in QUIRKS[switches]:
        pytest.skip(f"{switches} is tabled for {sorted(QUIRKS[switches])} only")
    report = checked(live, version)
    failed = {r.check.id: r.verdict.message for r in report.failures()}
    assert set(failed) == QUIRKS[switches][version], failed
    assert not report.errors(), {r.check.id: r.verdict.message for r in report.errors()}
    for result in report.failures():
        assert result.verdict.message and result.verdict.evidence and result.verdict.evidence.request
    if switches in POINTS_AT:  # the evidence is the record at fault, not the first records of a page
        check_id, shows = POINTS_AT[switches]
        verdict = next(r.verdict for r in report.results if r.check.id == check_id)
        assert shows(verdict.message, verdict.evidence.excerpt), (verdict.message, verdict.evidence.excerpt)


@pytest.fixture(scope="module")
def churned(tmp_path_factory):
    sis = connect(f"sqlite:///{tmp_path_factory.mktemp('churned') / 'sis.db'}")
    load(sis, demo_district())
    advance(sis, 45)  # a month and a half of arrivals, withdrawals, schedule changes and term roll-overs
    with serve(sis) as live:
        yield live
    sis.dispose()


SKIPPED_ON_STRICT = {
    "1.1": {"gradebook.round-trip", "auth.missing-scope", "auth.expired-token"},  # OAuth 1.0a; tokens live an hour
    "1.2": {"gradebook.round-trip", "auth.replayed-nonce", "auth.expired-token"},
}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_the_strict_mock_after_churn_passes_at_every_level(churned, version):
    """(Fresh, it is the strict row of tests/test_conformance.py's table: no failure at any level.)"""
    report = checked(churned, version, fail_on=Level.MAY)
    assert report.passed, {r.check.id: r.verdict.message for r in report.failures() + report.errors()}
    skipped = {r.check.id: r.verdict.message for r in report.results if r.verdict.status is Status.SKIP}
    assert set(skipped) == SKIPPED_ON_STRICT[version], skipped  # every other check earned its pass
