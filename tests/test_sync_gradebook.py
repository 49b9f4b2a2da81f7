"""The gradebook over REST as an option of a connection (issue 18, kind 11): categories, line items and results
pulled with the roster, in 1.1 and 1.2, with the same guarantees (field by field, deletions, deltas), and
never over what the host application wrote and has not pushed yet."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rosterlab.consumer.cli import sync_group
from rosterlab.consumer.grades import stage
from rosterlab.consumer.store import SYNCED, TABLES, connect_store
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.demo import demo_district
from tests.quirk_matrix import difference, district, provider_records, quirky, serving, stored_rows

CONNECT = {
    "1.2": ("--client-id", DEMO_OAUTH2.client_id, "--client-secret", DEMO_OAUTH2.secret, "--version", "1.2"),
    "1.1": ("--oauth1", "--key", DEMO_OAUTH1.client_id, "--secret", DEMO_OAUTH1.secret, "--version", "1.1"),
}


def cli(database: str, *args: str):
    return CliRunner().invoke(sync_group, [*args, "--database", database])


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_connection_with_the_gradebook_syncs_it_like_the_roster(tmp_path, version):
    data = demo_district()
    sis = district(tmp_path / "sis.db", data)
    database = f"sqlite:///{tmp_path / 'local.db'}"
    local = connect_store(database)
    with serving(sis, quirky()) as live:
        added = cli(database, "connection", "add", "d", "--url", live.url, "--gradebook", *CONNECT[version])
        assert added.exit_code == 0, added.output
        tested = cli(database, "connection", "test", "d")
        assert tested.exit_code == 0 and "lineItem" in tested.stdout and "result" in tested.stdout, tested.output
        assert cli(database, "run", "d").exit_code == 0
        assert difference(local, "d", sis, version, SYNCED) is None
        line_item = provider_records(sis, "lineItem", "1.2", False)[data["lineItem"][0]["sourcedId"]]
        set_record(sis, "lineItem", {**line_item, "title": "Homework 1 (revised)"})
        delete_record(sis, "result", data["result"][0]["sourcedId"])
        delta = cli(database, "run", "d", "--delta")
        assert delta.exit_code == 0 and "delta sync of d" in delta.stdout, delta.output
        assert difference(local, "d", sis, version, SYNCED) is None
        assert stored_rows(local, "d", "result")[data["result"][0]["sourcedId"]][0] == "tobedeleted"


def test_a_pull_leaves_what_the_host_wrote_and_has_not_pushed(tmp_path):
    data = demo_district()
    sis = district(tmp_path / "sis.db", data)
    database = f"sqlite:///{tmp_path / 'local.db'}"
    local = connect_store(database)
    with serving(sis, quirky()) as live:
        assert cli(database, "connection", "add", "d", "--url", live.url, "--gradebook", *CONNECT["1.2"]).exit_code == 0
        assert cli(database, "run", "d").exit_code == 0
        category = {**stored_rows(local, "d", "category")["cat-homework"][1], "title": "Home work"}
        stage(local, "d", "category", category)  # changed locally, not pushed
        stage(local, "d", "category", {"sourcedId": "cat-local", "title": "Local only"})  # new, not pushed
        assert cli(database, "run", "d").exit_code == 0
    held = stored_rows(local, "d", "category")
    assert held["cat-homework"][1]["title"] == "Home work" and held["cat-local"][0] == "active"
    table = TABLES["category"]
    with local.connect() as db:
        pending = set(db.execute(select(table.c.sourced_id).where(table.c.pending.is_(True))).scalars())
    assert pending == {"cat-homework", "cat-local"}  # both still wait for `sync push-grades`
