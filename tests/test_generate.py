"""The district generator: deterministic, referentially complete, any size, and round-trips through CSV."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from rosterlab.server.csv.export import export_bundle, export_store
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.generate import DistrictGenerator, DistrictPlan
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.csv_bundle import read_bundle


def district(users: int, seed: int = 1, as_of: date = date(2025, 1, 15)) -> dict[str, list[dict]]:
    return {
        entity: list(stream)
        for entity, stream in DistrictGenerator(DistrictPlan.for_users(users, seed, as_of)).streams().items()
    }


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not():
    assert export_bundle(district(300, seed=5), "1.2.1") == export_bundle(district(300, seed=5), "1.2.1")
    assert export_bundle(district(300, seed=5), "1.2.1") != export_bundle(district(300, seed=6), "1.2.1")


def test_a_tiny_district_is_one_school_of_about_thirty_users():
    tiny = district(30)
    assert len([o for o in tiny["org"] if o["type"] == "school"]) == 1
    assert 25 <= len(tiny["user"]) <= 45
    roles = {u["roles"][0]["role"] for u in tiny["user"]}
    assert {"student", "teacher", "guardian", "principal", "districtAdministrator"} <= roles


def test_a_larger_district_has_every_kind_of_school_and_realistic_classes():
    larger = district(4000)
    kinds = {o["name"].split()[-2] for o in larger["org"] if o["type"] == "school"}
    assert kinds == {"Elementary", "Middle", "High"}
    sizes: dict[str, int] = {}
    for enrollment in larger["enrollment"]:
        if enrollment["role"] == "student":
            sizes[enrollment["class"]["sourcedId"]] = sizes.get(enrollment["class"]["sourcedId"], 0) + 1
    assert 15 <= sum(sizes.values()) / len(sizes) <= 30
    teachers = [e for e in larger["enrollment"] if e["role"] == "teacher"]
    assert len(teachers) == len(larger["class"])  # one primary teacher per class


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.2.1"])
def test_generated_districts_are_complete_and_round_trip(tmp_path, version):
    records = district(800, seed=3)
    first = export_bundle(records, version)
    assert read_bundle(first).issues == []  # every reference resolves within the bulk bundle
    store = connect(f"sqlite:///{tmp_path / 'rt.db'}")
    assert import_bundle(store, first).applied
    assert export_store(store, version) == first


def test_generated_districts_load_and_serve(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'g.db'}")
    counts = load(engine, DistrictGenerator(DistrictPlan.for_users(500, seed=2)).streams())
    assert counts["user"] == len(district(500, seed=2)["user"])


def test_generate_command(tmp_path):
    bundle = tmp_path / "d.zip"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rosterlab",
            "generate",
            "--users",
            "200",
            "--seed",
            "4",
            "--database",
            f"sqlite:///{tmp_path / 'c.db'}",
            "--csv",
            str(bundle),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert bundle.read_bytes() == export_bundle(district(200, seed=4), "1.2.1")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "rosterlab",
            "generate",
            "--as-of",
            "yesterday",
            "--database",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a date" in bad.stderr and "Traceback" not in bad.stderr
