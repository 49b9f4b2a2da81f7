"""Orphans and dangling references, against the mock SIS over real HTTP and from CSV bundles (issue 18, kind 7):
a record naming what the roster does not hold is rejected and listed, with what names it in turn, so that
nothing kept points at what is not kept; selections included."""

from __future__ import annotations

import pytest

from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sources import CsvSource, RestSource
from rosterlab.consumer.store import ROSTER, SYNCED
from rosterlab.consumer.sync import DeletionGuard, delta_sync, full_sync
from rosterlab.server.csv.export import export_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from tests.quirk_matrix import (
    authenticator,
    difference,
    district,
    quirky,
    serving,
    stored_rows,
    unheld_references,
    withheld,
)

ORPHANS = ("orphan_enrollments", "seed=4")


@pytest.fixture(scope="module")
def data():
    return demo_district()


@pytest.fixture(scope="module")
def provider(tmp_path_factory, data):
    """One district, served straight, with orphaned enrollments, and with dangling references."""
    sis = district(tmp_path_factory.mktemp("integrity") / "sis.db", data)
    configs = {"strict": quirky(), "orphans": quirky(*ORPHANS), "dangling": quirky("dangling_refs", "seed=9")}
    servers = {name: serving(sis, config) for name, config in configs.items()}
    for server in servers.values():
        server.__enter__()
    yield sis, {name: server.url for name, server in servers.items()}
    for server in servers.values():
        server.__exit__()


def rest(url: str, version: str) -> RestSource:
    auth = authenticator(url, "oauth1" if version == "1.1" else "oauth2")
    return RestSource(OneRosterClient(url, auth, ClientSettings(page_size=100)), version)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_enrollments_naming_users_and_classes_not_served_are_rejected_and_listed(tmp_path, provider, version):
    sis, urls = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    result = full_sync(local, "p", rest(urls["orphans"], version))
    assert unheld_references(local, "p", ROSTER) is None
    hidden = withheld(sis, quirky(*ORPHANS))
    orphans = result.rejected["enrollment"]
    assert orphans and all(
        any(f"names {target} {sid} " in reason for target, ids in hidden.items() for sid in ids)
        for reason in result.rejections
        if reason.startswith("enrollment")
    )
    assert len([r for r in result.rejections if "which the provider does not serve" in r]) >= len(orphans)
    left_out = {**{e: result.rejected.get(e, set()) for e in ROSTER}, **hidden}
    assert difference(local, "p", sis, version, ROSTER, left_out=left_out) is None


def test_a_selection_keeps_no_orphan_either(tmp_path, provider):
    _, urls = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    selection = Selection.of(schools=("school-1",))
    result = full_sync(local, "p", rest(urls["orphans"], "1.2"), selection=selection)
    assert unheld_references(local, "p", ROSTER) is None and result.rejected
    classes = {sid for sid, (status, _) in stored_rows(local, "p", "class").items() if status == "active"}
    enrollments = [record for status, record in stored_rows(local, "p", "enrollment").values() if status == "active"]
    assert enrollments and {e["class"]["sourcedId"] for e in enrollments} <= classes


def test_a_user_the_provider_stops_serving_takes_its_enrollments_with_it(tmp_path, provider):
    sis, urls = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "p", rest(urls["strict"], "1.2"))
    result = full_sync(local, "p", rest(urls["orphans"], "1.2"), guard=DeletionGuard(count=10**9))
    hidden = withheld(sis, quirky(*ORPHANS))
    users = stored_rows(local, "p", "user")
    assert all(users[sid][0] == "tobedeleted" for sid in hidden["user"])
    assert unheld_references(local, "p", ROSTER) is None
    assert result.counts["enrollment"]["deleted"] >= len(result.rejected["enrollment"]) > 0


def test_dangling_references_are_rejected_with_what_names_the_rejected(tmp_path, provider):
    sis, urls = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    result = full_sync(local, "p", rest(urls["dangling"], "1.2"), entities=SYNCED)
    assert unheld_references(local, "p", SYNCED) is None
    assert any("which the provider does not serve" in r for r in result.rejections)
    assert all("which the provider does not serve" in r or "which was rejected" in r for r in result.rejections)
    assert difference(local, "p", sis, "1.2", SYNCED, left_out=result.rejected) is None


def test_a_csv_delta_row_naming_an_unknown_user_is_rejected(tmp_path, data):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "upload", CsvSource(export_bundle(data, "1.2")))
    stray = {**data["enrollment"][1], "sourcedId": "enr-stray", "user": {"sourcedId": "nobody"}}
    stray["dateLastModified"] = "2025-02-01T08:00:00.000Z"
    bundle = export_bundle({"enrollment": [stray]}, "1.2", since="2025-01-31T00:00:00.000Z")
    result = delta_sync(local, "upload", CsvSource(bundle))
    assert result.rejections == [
        "enrollment enr-stray: names user nobody (user), which the provider does not serve; rejected"
    ]
    assert "enr-stray" not in stored_rows(local, "upload", "enrollment")
