"""High-water marks per entity, against a mock SIS whose collections are views refreshed separately (issue 18,
kind 4): a delta that saw one view's change before another view showed an older one must not move the other
entity's mark past it."""

from __future__ import annotations

import time

import pytest

from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.marks import delta_starts
from rosterlab.consumer.sources import RestSource
from rosterlab.consumer.store import ROSTER, metadata, state
from rosterlab.consumer.sync import DeletionGuard, delta_sync, full_sync
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.views import last_refresh_moment
from rosterlab.server.store.database import connect
from tests.quirk_matrix import authenticator, difference, district, provider_records, quirky, serving, stored_rows

PERIOD, SEED = 100, 2


def rest(url: str, version: str) -> RestSource:
    auth = authenticator(url, "oauth1" if version == "1.1" else "oauth2")
    return RestSource(OneRosterClient(url, auth, ClientSettings(page_size=100)), version)


def next_refresh(entity: str, now: float) -> float:
    return last_refresh_moment(entity, PERIOD, SEED, now) + PERIOD


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_change_a_later_view_shows_is_not_lost_by_the_next_delta(tmp_path, version):
    data = demo_district()
    sis = district(tmp_path / "sis.db", data)
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    now = [time.time()]  # moved on by less than OAuth 1.0a's window of 600 s
    with serving(sis, quirky(f"views_refresh_separately={PERIOD}", f"seed={SEED}"), clock=lambda: now[0]) as live:
        full_sync(local, "p", rest(live.url, version))
        # The view refreshed later gets the older change: a student's withdrawal from a class...
        early, late = sorted(("user", "enrollment"), key=lambda entity: next_refresh(entity, now[0]))
        enrollment = next(e for e in data["enrollment"] if e["role"] == "student")
        user = provider_records(sis, "user", "1.2", False)[data["user"][3]["sourcedId"]]
        changes = {
            "enrollment": lambda: delete_record(sis, "enrollment", enrollment["sourcedId"]),
            "user": lambda: set_record(sis, "user", {**user, "givenName": "Renamed"}),
        }
        changes[late]()
        changes[early]()  # ... then a change the view refreshed first shows: stamped later
        early_at, late_at = next_refresh(early, now[0]), next_refresh(late, now[0])
        assert early_at + 0.5 < late_at
        now[0] = early_at + 0.5  # the early view shows its change, the late one shows neither
        first = delta_sync(local, "p", rest(live.url, version))
        assert first.changed and not any(first.counts[late].values())
        now[0] = late_at + 0.5
        delta_sync(local, "p", rest(live.url, version), guard=DeletionGuard(count=10**9))
    assert stored_rows(local, "p", "enrollment")[enrollment["sourcedId"]][0] == "tobedeleted"
    assert stored_rows(local, "p", "user")[user["sourcedId"]][1]["givenName"] == "Renamed"
    assert difference(local, "p", sis, version, ROSTER) is None


def test_a_connection_with_one_mark_for_all_starts_every_entity_from_it(tmp_path):
    """A store written before marks were kept per entity: its single mark serves every entity until the next
    sync keeps one per entity."""
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    metadata.create_all(local)
    with local.begin() as db:
        db.execute(state.insert(), {"connection": "old", "high_water": "2025-01-15T08:00:00.000Z"})
    starts = delta_starts(local, "old", ROSTER)
    assert set(starts) == set(ROSTER) and len(set(starts.values())) == 1 and None not in starts.values()
