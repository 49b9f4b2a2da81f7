"""Every profile x {no faults, a seeded fault mix}, and every quirk the sync engine must survive: the consumer
ends with the provider's data (less the records it rejects, each listed with its cause), or fails cleanly
with nothing applied and an error that names the cause. Each cell's expected outcome is written in
tests/quirk_matrix.py (MATRIX, QUIRK_CELLS)."""

from __future__ import annotations

import pytest

from rosterlab.consumer.sync import local_records
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import MIX
from rosterlab.server.quirks.profiles import PROFILES
from rosterlab.server.store.database import connect
from tests.quirk_matrix import EQUAL, MATRIX, QUIRK_CELLS, REJECTING, run_cell, run_quirk_cell


def test_the_matrix_covers_every_profile():
    assert set(MATRIX) == set(PROFILES)


@pytest.mark.parametrize("faults", [False, True], ids=["no-faults", "fault-mix"])
@pytest.mark.parametrize("profile", list(MATRIX))
def test_the_consumer_survives_the_provider(tmp_path, profile, faults):
    outcome = run_cell(tmp_path, profile, MIX if faults else None, demo_district())
    if outcome.expected == EQUAL:
        assert outcome.result == EQUAL, f"{profile}: {outcome.result}"
    else:
        assert outcome.expected in outcome.result, f"{profile}: failed otherwise: {outcome.result}"
        assert outcome.applied_nothing, "a failed sync applied something"
    if faults and outcome.result == EQUAL:  # the fault mix did change the data set mid-pull
        assert "late-arrival" in local_records(connect(f"sqlite:///{tmp_path / 'local.db'}"), "p", "user")


@pytest.fixture(scope="module")
def demo():
    return demo_district()


# Cells whose fault the end-to-end tests of tests/test_sync_*.py also show in that version.
ALSO_SHOWN_ELSEWHERE = {"ignore-offset-1.1", "duplicates-both-1.1", "gradebook-1.1"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[pytest.mark.slow] if n in ALSO_SHOWN_ELSEWHERE else []) for n in QUIRK_CELLS]
)
def test_the_consumer_survives_the_quirk(tmp_path, name, demo):
    outcome = run_quirk_cell(tmp_path, name, demo)
    if outcome.expected in (EQUAL, REJECTING):
        assert outcome.result == outcome.expected, f"{name}: {outcome.result}"
    else:
        assert outcome.expected in outcome.result, f"{name}: failed otherwise: {outcome.result}"
        assert outcome.applied_nothing, "a failed sync applied something"
