"""Quirk switches chosen live in the mock SIS's console: stored beside the profile and the fault mix,
applied on top of the profile, refused (nothing stored) when unknown or badly set."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from rosterlab.server.app import registry_for
from rosterlab.server.console.app import create_sis_console
from rosterlab.server.console.live import (
    FAULTS_KEY,
    PROFILE_KEY,
    LiveSettings,
    configured,
    store_settings,
    stored_settings,
    switches_beyond,
)
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.quirks.switches import Quirks
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import create_schema
from rosterlab.server.store.tables import sis_state
from tests.conftest import server_config

PASSWORD = "console-password"


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    create_schema(engine)
    return engine


def test_switches_are_stored_with_the_profile_and_applied_on_top_of_it(engine):
    base = server_config()
    assert stored_settings(engine) == (None, None, None)
    assert configured(base, *stored_settings(engine)) is base

    store_settings(engine, "powerschool", "", " page_cap=7 , ignore_offset,,")
    assert stored_settings(engine) == ("powerschool", "", "page_cap=7,ignore_offset")
    config = configured(base, *stored_settings(engine))
    assert config.profile == "powerschool"
    assert config.quirks.page_cap == 7 and config.quirks.ignore_offset
    assert switches_beyond(config.quirks, "powerschool") == ["page_cap=7", "ignore_offset=1"]

    store_settings(engine, "powerschool", "latency=0")  # callers that choose no switches: none on top
    assert stored_settings(engine) == ("powerschool", "latency=0", "")
    config = configured(base, *stored_settings(engine))
    assert config.quirks.page_cap == 75 and not config.quirks.ignore_offset and config.faults is not None
    assert switches_beyond(config.quirks, "powerschool") == []


def test_a_profile_switch_turned_off_reads_back_as_off():
    quirks = apply_profile(server_config(), "powerschool", ("page_cap=0", "duplicate_records")).quirks
    beyond = switches_beyond(quirks, "powerschool")
    assert beyond == ["page_cap=0", "duplicate_records=both"]
    assert apply_profile(server_config(), "powerschool", tuple(beyond)).quirks == quirks
    assert switches_beyond(quirks, "strict") == ["duplicate_records=both"]


@pytest.mark.parametrize(
    ("switches", "named"), [("teleport", "teleport"), ("page_cap=seven", "page_cap"), ("ignore_offset=maybe", "maybe")]
)
def test_a_bad_switch_is_refused_and_nothing_is_stored(engine, switches, named):
    store_settings(engine, "strict", "", "page_cap=7")
    with pytest.raises(ValueError, match=named):
        store_settings(engine, "ed-fi", "latency=1", switches)
    assert stored_settings(engine) == ("strict", "", "page_cap=7")


def test_settings_stored_before_there_were_switches_still_apply(engine):
    with engine.begin() as connection:
        connection.execute(
            insert(sis_state), [{"key": PROFILE_KEY, "value": "ed-fi"}, {"key": FAULTS_KEY, "value": ""}]
        )
    assert stored_settings(engine) == ("ed-fi", "", None)
    config = configured(server_config(quirks=Quirks(page_cap=3)), *stored_settings(engine))
    assert config.profile == "ed-fi" and config.quirks.rate_limit == 100 and config.quirks.page_cap == 0


def test_the_server_rebuilds_when_only_the_switches_change(engine, monkeypatch):
    monkeypatch.setattr("rosterlab.server.console.live.CHECK_EVERY", 0.0)
    built = []
    live = LiveSettings(lambda config: built.append(config) or len(built), server_config(), engine)
    store_settings(engine, "strict", "", "")
    assert live.current() == 2 and built[-1].quirks.page_cap == 0
    store_settings(engine, "strict", "", "page_cap=7")
    assert live.current() == 3 and built[-1].quirks.page_cap == 7
    assert live.current() == 3


@pytest.fixture
def console(engine):
    config = server_config(admin_password=PASSWORD, console=True, quirks=Quirks(rate_limit=9))
    app = create_sis_console(engine, config, registry_for(config, engine), PASSWORD)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    return client


def test_the_overview_prefills_the_switches_beyond_the_profile(console, engine):
    page = console.get("/").text
    assert 'name="quirks" value="rate_limit=9"' in page  # as the server was started (--quirk rate_limit=9)
    store_settings(engine, "powerschool", "", "page_cap=7,string_booleans")
    page = console.get("/").text
    assert 'name="quirks" value="page_cap=7,string_booleans=1"' in page
    assert '<strong id="quirks">page_cap=7, string_booleans=1</strong>' in page


def test_the_console_refuses_a_bad_switch_with_its_message(console, engine):
    answer = console.post("/behaviour", data={"profile": "strict", "faults": "", "quirks": "teleport"})
    assert answer.status_code == 302
    assert stored_settings(engine) == (None, None, None)
    page = console.get("/").text
    assert "Not switched: unknown quirk &#39;teleport&#39;" in page
    answer = console.post("/behaviour", data={"profile": "strict", "faults": "", "quirks": "page_cap=7"})
    assert answer.status_code == 302 and stored_settings(engine) == ("strict", "", "page_cap=7")
