"""Our 1.2 documents against 1EdTech's official OpenAPI files: every difference is a listed deviation."""

from __future__ import annotations

import json

import pytest

from rosterlab.spec import documents
from rosterlab.spec.openapi import document
from rosterlab.spec.parity import OFFICIAL_FILES, Deviation, compare_documents, explain, load_deviations


@pytest.fixture(scope="module")
def differences(official_openapi_dir):
    found = {}
    for filename, ours in OFFICIAL_FILES.items():
        official = json.loads((official_openapi_dir / filename).read_text(encoding="utf-8"))
        found[ours] = compare_documents(official, documents.load(document(ours)))
    return found


@pytest.mark.parametrize("ours", list(OFFICIAL_FILES.values()))
def test_no_unexplained_difference(differences, ours):
    report = explain(differences[ours], load_deviations())
    assert report.unexplained == []


def test_every_deviation_explains_something(differences):
    everything = [line for lines in differences.values() for line in lines]
    assert explain(everything, load_deviations()).unused == []


def test_every_deviation_has_a_reason():
    for deviation in load_deviations():
        assert len(deviation.reason) > 40, deviation.id


def test_operation_sets_and_scopes_are_identical(differences):
    # Operations and scopes themselves are never a listed deviation: no operation or scope may be missing.
    everything = [line for lines in differences.values() for line in lines]
    assert not [line for line in everything if ": operation: " in line]
    assert not [line for line in everything if ": scope " in line]


def test_a_real_difference_would_be_caught(official_openapi_dir):
    filename = "onerosterv1p2rostersservice_openapi3_v1p0.json"
    official = json.loads((official_openapi_dir / filename).read_text(encoding="utf-8"))
    ours = json.loads(json.dumps(documents.load(document("oneroster-v1p2-rostering"))))
    del ours["components"]["schemas"]["UserDType"]["properties"]["pronouns"]
    ours["paths"]["/users"]["get"]["operationId"] = "listUsers"
    ours["components"]["schemas"]["OrgDType"]["required"].remove("identifier")
    report = explain(compare_documents(official, ours), load_deviations())
    assert sorted(report.unexplained) == [
        "GET /users: operationId: official getAllUsers, ours listUsers",
        "schema OrgDType: required identifier: official only",
        "schema UserDType: property pronouns: official only",
    ]


def test_deviation_patterns_are_globs():
    deviation = Deviation("x", ("GET /*: thing",), "because")
    assert deviation.explains("GET /users: thing")
    assert not deviation.explains("PUT /users: thing")
