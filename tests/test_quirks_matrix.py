"""Every profile x {no faults, a seeded fault mix}: the consumer ends with the provider's data, or fails
cleanly with nothing applied and an error that names the cause. Each cell's expected outcome is written in
tests/quirk_matrix.py (MATRIX)."""

from __future__ import annotations

import pytest

from rosterlab.consumer.sync import local_records
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import MIX
from rosterlab.server.quirks.profiles import PROFILES
from rosterlab.server.store.database import connect
from tests.quirk_matrix import EQUAL, MATRIX, run_cell


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
