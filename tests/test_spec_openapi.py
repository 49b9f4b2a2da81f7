"""The generated OpenAPI documents are valid, committed as generated, and say what the standard says."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from rosterlab.spec import documents
from rosterlab.spec.openapi import DOCUMENTS, build, document

DOCUMENT_NAMES = [doc.name for doc in DOCUMENTS]


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_openapi_spec_validator_accepts_the_committed_document(name):
    validate(documents.load(document(name)))


def test_committed_documents_match_the_model():
    stale = [doc.name for doc in documents.stale()]
    assert not stale, f"run `make spec`: {stale} differ from what the model renders"


def test_drift_is_detected(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "OPENAPI_DIR", tmp_path)
    documents.write_all()
    assert documents.stale() == []
    target = tmp_path / DOCUMENTS[1].filename
    target.write_text(target.read_text().replace('"getAllUsers"', '"getEveryone"'))
    assert [doc.name for doc in documents.stale()] == [DOCUMENTS[1].name]
    assert documents.main(["--check"]) == 1


def test_four_documents_with_their_base_paths():
    servers = {doc.name: build(doc)["servers"][0]["url"] for doc in DOCUMENTS}
    assert servers == {
        "oneroster-v1p1": "/ims/oneroster/v1p1",
        "oneroster-v1p2-rostering": "/ims/oneroster/rostering/v1p2",
        "oneroster-v1p2-gradebook": "/ims/oneroster/gradebook/v1p2",
        "oneroster-v1p2-resources": "/ims/oneroster/resources/v1p2",
    }


def _operation(name, path, method="get"):
    return documents.load(document(name))["paths"][path][method]


def test_1p1_accepts_oauth1_or_either_oauth2_scope():
    security = _operation("oneroster-v1p1", "/users")["security"]
    assert {"OAuth1": []} in security
    assert {"OAuth2CC": ["https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"]} in security
    assert {"OAuth2CC": ["https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"]} in security


def test_1p2_is_oauth2_only():
    security = _operation("oneroster-v1p2-rostering", "/demographics")["security"]
    assert security == [{"OAuth2CC": ["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"]}]


def test_booleans_are_strings_in_1p2_and_booleans_in_1p1():
    v12 = documents.load(document("oneroster-v1p2-rostering"))["components"]["schemas"]
    v11 = documents.load(document("oneroster-v1p1"))["components"]["schemas"]
    assert v12["UserDType"]["properties"]["enabledUser"] == {"type": "string", "enum": ["true", "false"]}
    assert v11["UserDType"]["properties"]["enabledUser"] == {"type": "boolean"}


def test_extensible_vocabularies_accept_ext_tokens_only_in_1p2():
    v12 = documents.load(document("oneroster-v1p2-rostering"))["components"]["schemas"]
    v11 = documents.load(document("oneroster-v1p1"))["components"]["schemas"]
    assert "anyOf" in v12["OrgDType"]["properties"]["type"]
    assert v11["OrgDType"]["properties"]["type"]["enum"] == [
        "department",
        "district",
        "local",
        "national",
        "school",
        "state",
    ]


def test_1p1_errors_come_in_a_status_info_set():
    responses = _operation("oneroster-v1p1", "/users/{sourcedId}")["responses"]
    assert responses["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/imsx_StatusInfoSetDType"
    }


def test_collections_document_paging_headers():
    headers = _operation("oneroster-v1p2-rostering", "/classes/{classSourcedId}/students")["responses"]["200"][
        "headers"
    ]
    assert set(headers) == {"X-Total-Count", "Link"}
