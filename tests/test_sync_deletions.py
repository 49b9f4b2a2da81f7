"""Deletions, against the mock SIS over real HTTP and from CSV bundles (issue 18, kinds 3, 5 and 6): absence
is confirmed before it deletes (a view refreshed mid-pull, no count headers, hard deletes); a record that
arrives deleted is never created; a tombstone says `tobedeleted` inside the record as well as beside it."""

from __future__ import annotations

import pytest

from rosterlab.consumer.actions import approve_held
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sources import CsvSource, RestSource
from rosterlab.consumer.store import ROSTER
from rosterlab.consumer.sync import DeletionGuard, delta_sync, full_sync
from rosterlab.server.churn import advance, delete_record, set_record
from rosterlab.server.csv.export import export_bundle, export_store
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from tests.quirk_matrix import authenticator, difference, district, provider_records, quirky, serving, stored_rows

PERMISSIVE = DeletionGuard(count=10**9)


@pytest.fixture(scope="module")
def data():
    return demo_district()


def rest(url: str, version: str, page_size: int = 20) -> RestSource:
    client = OneRosterClient(
        url, authenticator(url, "oauth1" if version == "1.1" else "oauth2"), ClientSettings(page_size)
    )
    return RestSource(client, version)


def tombstones(local, name: str, entity: str) -> dict[str, dict]:
    return {sid: record for sid, (status, record) in stored_rows(local, name, entity).items() if status != "active"}


class Collecting:
    def __init__(self) -> None:
        self.changes = []

    def receive(self, changes) -> None:
        self.changes.extend(changes)


# -- kind 3: deletions inferred from absence are confirmed ------------------------------------------------
# (A first sync from a view refreshed mid-pull is a cell of the quirk matrix, in 1.1 and 1.2.)


def statuses(sis) -> dict[str, str]:
    return {sid: r["status"] for sid, r in provider_records(sis, "user", "1.2", False).items()}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_student_a_refreshed_view_skipped_is_not_deleted_and_the_real_deletions_are(tmp_path, data, version):
    sis = district(tmp_path / "sis.db", data)
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with serving(sis, quirky()) as live:
        full_sync(local, "p", rest(live.url, version))
    before = statuses(sis)
    with serving(sis, quirky(faults="seed=7,change_mid_pull=2")) as live:
        result = full_sync(local, "p", rest(live.url, version))
    after = statuses(sis)
    (gone,) = set(before) - set(after)
    (retired,) = [sid for sid, status in after.items() if status == "tobedeleted"]
    held = stored_rows(local, "p", "user")
    assert all(held[sid][0] == "active" for sid, status in after.items() if status == "active")  # none tombstoned
    assert held[gone][0] == held[retired][0] == "tobedeleted"
    assert result.counts["user"]["deleted"] == 2
    assert difference(local, "p", sis, version, ROSTER) is None


def test_a_hard_delete_without_count_headers_is_confirmed_then_applied(tmp_path, data):
    sis = district(tmp_path / "sis.db", data)
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with serving(sis, quirky("hard_deletes", "no_count_headers")) as live:
        full_sync(local, "p", rest(live.url, "1.2"))
        leaving = data["user"][5]["sourcedId"]
        delete_record(sis, "user", leaving)
        result = full_sync(local, "p", rest(live.url, "1.2"), guard=PERMISSIVE)
    assert result.counts["user"]["deleted"] == 1 and tombstones(local, "p", "user").keys() == {leaving}
    assert difference(local, "p", sis, "1.2", ROSTER, hard_deletes=True) is None


# -- kind 5: a record that arrives deleted is not created ---------------------------------------------------


@pytest.fixture(scope="module")
def churned(tmp_path_factory, data):
    """A district after a day of churn (withdrawals, schedule changes): deleted records among the active."""
    sis = district(tmp_path_factory.mktemp("churned") / "sis.db", data)
    summary = advance(sis, 1, seed=3)
    assert summary.changes["withdrawals"]
    with serving(sis, quirky()) as live:
        yield sis, live.url


@pytest.mark.parametrize("sync", [full_sync, delta_sync], ids=["full", "first-delta"])
@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_first_sync_creates_no_deleted_record_and_tells_no_sink_of_one(tmp_path, churned, version, sync):
    sis, url = churned
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    sink = Collecting()
    result = sync(local, "p", rest(url, version, 100), sinks=(sink,))
    assert all(not tombstones(local, "p", entity) for entity in ROSTER)
    assert all(change.record.get("status") == "active" for change in sink.changes)
    assert {change.action for change in sink.changes} == {"created"}
    assert sum(c["created"] for c in result.counts.values()) == len(sink.changes)
    assert difference(local, "p", sis, version, ROSTER) is None


def test_a_csv_delta_bundle_creates_no_deleted_record(tmp_path, data):
    sis = district(tmp_path / "sis.db", data)
    since = set_record(sis, "org", data["org"][0])
    advance(sis, 1, seed=3)
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    result = full_sync(local, "upload", CsvSource(export_store(sis, "1.2", since)))
    assert all(record["status"] == "active" for e in ROSTER for _, record in stored_rows(local, "upload", e).values())
    assert result.counts["user"]["created"] > 0 and result.kind == "delta"


# -- kind 6: tombstones say tobedeleted inside the record too -----------------------------------------------


def consistent(local, name: str) -> bool:
    return all(
        record.get("status") == status for e in ROSTER for status, record in stored_rows(local, name, e).values()
    )


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_tombstones_agree_with_themselves_after_absence_approval_and_selection(tmp_path, data, version):
    sis = district(tmp_path / "sis.db", data)
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with serving(sis, quirky("hard_deletes")) as live:
        full_sync(local, "p", rest(live.url, version, 100))
        delete_record(sis, "user", data["user"][7]["sourcedId"])  # gone without a trace: absence
        full_sync(local, "p", rest(live.url, version, 100))
        assert tombstones(local, "p", "user") and consistent(local, "p")
        for user in data["user"][20:60]:
            delete_record(sis, "user", user["sourcedId"])
        held = full_sync(local, "p", rest(live.url, version, 100))
        assert held.held and approve_held(local, "p") == sum(held.held.values())
        assert consistent(local, "p")
        assert difference(local, "p", sis, version, ROSTER, hard_deletes=True) is None
        selection = Selection.of(schools=("school-1",))
        full_sync(local, "part", rest(live.url, version, 100))
        full_sync(local, "part", rest(live.url, version, 100), selection=selection, guard=PERMISSIVE)
    assert tombstones(local, "part", "class") and consistent(local, "part")


def test_a_bulk_csv_without_a_record_leaves_a_consistent_tombstone(tmp_path, data):
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    full_sync(local, "upload", CsvSource(export_bundle(data, "1.2")))
    leaving = data["user"][-1]["sourcedId"]
    smaller = {**data, "user": data["user"][:-1]}
    smaller["demographics"] = [d for d in data["demographics"] if d["sourcedId"] != leaving]
    smaller["enrollment"] = [e for e in data["enrollment"] if e["user"]["sourcedId"] != leaving]
    full_sync(local, "upload", CsvSource(export_bundle(smaller, "1.2")))
    assert tombstones(local, "upload", "user").keys() == {leaving} and consistent(local, "upload")
