"""Paging that makes no progress, and sourcedIds served twice, against the mock SIS over real HTTP (issue 18,
kinds 1 and 2): a provider that ignores `offset` fails the sync with nothing applied; identical copies are kept
once with a warning, differing copies are rejected and listed, never silently chosen."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from rosterlab.consumer.cli import sync_group
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.sources import CsvSource, RestSource
from rosterlab.consumer.store import ROSTER
from rosterlab.consumer.sync import delta_sync, full_sync
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.churn import set_record
from rosterlab.server.csv.export import export_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from tests.quirk_matrix import authenticator, difference, district, quirky, serving, stored_rows
from tests.test_sync_sources import with_cell

IGNORES_OFFSET = "the provider ignores offset"


@pytest.fixture(scope="module")
def data():
    return demo_district()


@pytest.fixture(scope="module")
def sis(tmp_path_factory, data):
    engine = district(tmp_path_factory.mktemp("paging") / "sis.db", data)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def servers(sis):
    """The same district served straight, ignoring offset (with and without count headers), and with
    duplicates of both kinds."""
    configs = {
        "strict": quirky(),
        "ignore_offset": quirky("ignore_offset"),
        "ignore_offset_bare": quirky("ignore_offset", "no_count_headers"),
        "duplicates": quirky("duplicate_records=both", "seed=5"),
        "duplicates_identical": quirky("duplicate_records=identical", "seed=5"),
        "duplicates_differing": quirky("duplicate_records=differing", "seed=5"),
    }
    live = {name: serving(sis, config) for name, config in configs.items()}
    for server in live.values():
        server.__enter__()
    yield {name: server.url for name, server in live.items()}
    for server in live.values():
        server.__exit__()


def rest(url: str, version: str) -> RestSource:
    client = OneRosterClient(url, authenticator(url, "oauth1" if version == "1.1" else "oauth2"), ClientSettings(50))
    return RestSource(client, version)


def snapshot(local) -> dict:
    return {entity: stored_rows(local, "p", entity) for entity in ROSTER}


# -- kind 1: paging that makes no progress -------------------------------------------------------------


@pytest.mark.parametrize("server", ["ignore_offset", "ignore_offset_bare"], ids=["count-headers", "no-count-headers"])
@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_provider_that_ignores_offset_fails_every_sync_with_nothing_applied(tmp_path, sis, servers, server, version):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "p", rest(servers["strict"], version))
    before = snapshot(local)
    for user in demo_district()["user"][:60]:  # more changes than a page holds, for the delta to page through
        set_record(sis, "user", {**user, "familyName": user["familyName"] + "-" + version})
    for sync in (full_sync, delta_sync):
        with pytest.raises(SyncError, match=IGNORES_OFFSET):
            sync(local, "p", rest(servers[server], version))
        assert snapshot(local) == before  # nothing applied: above all, no "missing" record deleted


def test_the_cli_exits_1_and_names_the_cause(tmp_path, servers):
    database = f"sqlite:///{tmp_path / 'local.db'}"
    runner = CliRunner()
    added = runner.invoke(
        sync_group,
        ["connection", "add", "d", "--url", servers["ignore_offset_bare"], "--client-id", DEMO_OAUTH2.client_id,
         "--client-secret", DEMO_OAUTH2.secret, "--version", "1.2", "--database", database],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    ran = runner.invoke(sync_group, ["run", "d", "--database", database])
    assert ran.exit_code == 1 and "nothing applied" in ran.stderr and IGNORES_OFFSET in ran.stderr
    assert all(not stored_rows(connect(database), "d", entity) for entity in ROSTER)


# -- kind 2: duplicate sourcedIds ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_identical_copies_are_kept_once_and_differing_copies_are_rejected_and_listed(tmp_path, sis, servers, version):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    result = full_sync(local, "p", rest(servers["duplicates"], version))
    conflicting = result.rejected
    assert conflicting and result.warnings
    assert any("served twice with identical content" in warning for warning in result.warnings)
    for entity, ids in conflicting.items():
        for sourced_id in ids:
            assert sourced_id not in stored_rows(local, "p", entity)  # neither copy chosen
    for entity, ids in conflicting.items():  # each listed with its cause, or with what it names that was
        for sourced_id in ids:
            (why,) = [r for r in result.rejections if r.startswith(f"{entity} {sourced_id}:")]
            assert "served twice with different content" in why or "which was rejected" in why, why
    # every record not rejected (nor naming a rejected one) is the provider's, field by field
    assert difference(local, "p", sis, version, ROSTER, left_out=result.rejected) is None


def test_a_record_already_held_keeps_its_stored_copy_when_its_copies_differ(tmp_path, sis, servers):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "p", rest(servers["strict"], "1.2"))
    before = snapshot(local)
    result = full_sync(local, "p", rest(servers["duplicates"], "1.2"))
    assert result.rejected and not result.changed  # nothing chosen, nothing deleted
    assert snapshot(local) == before
    assert difference(local, "p", sis, "1.2", ROSTER) is None


@pytest.mark.parametrize("mode", ["identical", "differing"])
def test_a_delta_from_a_provider_serving_copies(tmp_path, sis, servers, data, mode):
    """Identical copies: the delta applies everything, once. Differing copies of a changed user: that user is
    rejected and keeps its stored copy, the others are updated. (The mock stamps a differing copy a second
    later than its original, so a delta filter that leaves an unchanged original out lets its copy through
    alone, indistinguishable from a change: the differing case is judged on the changed users only.)"""
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "p", rest(servers["strict"], "1.2"))
    for user in data["user"][:40]:
        set_record(sis, "user", {**user, "givenName": f"{user['givenName']} {mode}"})
    result = delta_sync(local, "p", rest(servers[f"duplicates_{mode}"], "1.2"))
    held = stored_rows(local, "p", "user")
    if mode == "identical":
        assert difference(local, "p", sis, "1.2", ROSTER) is None
        assert any("identical content" in warning for warning in result.warnings) and not result.rejected
        return
    conflicting = result.rejected["user"] & {u["sourcedId"] for u in data["user"][:40]}
    assert conflicting, "the seed duplicates none of the changed users"
    for user in data["user"][:40]:
        renamed = held[user["sourcedId"]][1]["givenName"].endswith(f" {mode}")
        assert renamed is (user["sourcedId"] not in conflicting), user["sourcedId"]


def test_a_csv_bundle_with_a_sourcedid_twice_is_refused_whole(tmp_path, data):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    bundle = export_bundle(data, "1.2")
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        first = archive.read("users.csv").decode().splitlines()[1].split(",")[0]
    twice = with_cell(bundle, "users.csv", 3, "sourcedId", first)
    with pytest.raises(SyncError, match=r"users\.csv, row \d+, column sourcedId: .* is also on row \d+"):
        full_sync(local, "upload", CsvSource(twice))
    assert all(not stored_rows(local, "upload", entity) for entity in ROSTER)
