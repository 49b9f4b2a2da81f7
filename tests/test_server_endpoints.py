"""Every read endpoint of 1.1 and 1.2, end to end over real HTTP, against the demo district.

Each collection must return exactly what tests/oracle.py computes from the canonical records, with a
matching X-Total-Count; each body must validate against our document and, for 1.2, the official one.
"""

from __future__ import annotations

import pytest

from rosterlab.spec.endpoints import Operation, OpKind, operations
from rosterlab.spec.openapi import DOCUMENTS, Document
from tests.conftest import server_config
from tests.oracle import expected_ids, in_selection, records, sample_parameters, wrong_parent
from tests.schemas import errors_against_official, errors_against_ours, success_schema

READS = [
    (document, op)
    for document in DOCUMENTS
    for service in document.services
    for op in operations(document.version, service)
    if op.kind in (OpKind.COLLECTION, OpKind.SINGLE)
]


def _id(case: tuple[Document, Operation]) -> str:
    return f"{case[0].version}-{case[1].operation_id}"


@pytest.fixture(scope="module")
def client(authorized_client):
    return authorized_client


def _check_schemas(document: Document, op: Operation, body: dict) -> None:
    schema = success_schema(document, op.path)
    assert errors_against_ours(document, schema, body) == []
    official = errors_against_official(document, schema, body)
    assert not official, official


@pytest.mark.parametrize("case", READS, ids=_id)
def test_read_endpoint(case, client, demo_data):
    document, op = case
    params = sample_parameters(demo_data)
    if op.kind is OpKind.COLLECTION:
        path = op.path.format(**params)
        response = client.get(document.base_path + path, params={"limit": "1000"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        key = op.response_key(document.version)
        got = [item["sourcedId"] for item in body[key]]
        expected = expected_ids(demo_data, op, params)
        assert len(got) == len(set(got)), "a record came twice"
        assert set(got) == expected
        assert int(response.headers["X-Total-Count"]) == len(expected)
        assert got == sorted(got), "default order is by sourcedId"
        _check_schemas(document, op, body)
        if op.parents:
            for name in op.parents:
                wrong = dict(params, **{name: wrong_parent(demo_data, name)})
                refused = client.get(document.base_path + op.path.format(**wrong))
                assert refused.status_code == 404, (name, refused.text)
                assert "unknownobject" in refused.text
    else:
        chosen = next(r for r in records(demo_data, op.entity) if in_selection(op.entity, r, op.selection))
        response = client.get(document.base_path + op.path.format(sourcedId=chosen["sourcedId"]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body[op.response_key(document.version)]["sourcedId"] == chosen["sourcedId"]
        _check_schemas(document, op, body)
        outside = next((r for r in records(demo_data, op.entity) if not in_selection(op.entity, r, op.selection)), None)
        missing_id = outside["sourcedId"] if outside else "no-such-id"
        assert client.get(document.base_path + op.path.format(sourcedId=missing_id)).status_code == 404


def test_every_read_operation_is_covered():
    assert len(READS) == 41 + 10 + 4 + 41 + 19 + 5


def test_hrefs_are_absolute_and_resolve(client, demo_data):
    body = client.get("/ims/oneroster/rostering/v1p2/classes", params={"limit": "1"}).json()
    href = body["classes"][0]["school"]["href"]
    assert href.startswith(str(client.base_url))
    school = client.get(href).json()["org"]
    assert school["sourcedId"] == body["classes"][0]["school"]["sourcedId"]


def test_1p1_users_have_a_role_and_orgs_1p2_users_have_roles(client):
    v11 = client.get("/ims/oneroster/v1p1/teachers", params={"limit": "1"}).json()["users"][0]
    v12 = client.get(f"/ims/oneroster/rostering/v1p2/users/{v11['sourcedId']}").json()["user"]
    assert v11["role"] == "teacher" and v11["orgs"][0]["type"] == "org"
    assert v11["enabledUser"] is True and v12["enabledUser"] == "true"
    assert "roles" in v12 and "role" not in v12


def test_tobedeleted_records_stay_visible(tmp_path):
    from starlette.testclient import TestClient

    from rosterlab.server.app import create_app
    from rosterlab.server.store.database import connect
    from rosterlab.server.store.load import load

    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    org = {"sourcedId": "o1", "name": "Gone", "type": "school", "identifier": "1", "dateLastModified": "2025-01-02"}
    load(engine, {"org": [dict(org, status="tobedeleted")]})
    client = TestClient(create_app(server_config(authentication=False), engine=engine))
    body = client.get("/ims/oneroster/rostering/v1p2/orgs", params={"filter": "dateLastModified>'2025-01-01'"}).json()
    assert [o["status"] for o in body["orgs"]] == ["tobedeleted"]


@pytest.mark.parametrize(
    ("base", "names"),
    [
        (
            "/ims/oneroster/rostering/v1p2",
            ("onerosterv1p2rostersservice_openapi3_v1p0.json", "imsorv1p2_rostering_openapi3_v1p0.json"),
        ),
        (
            "/ims/oneroster/gradebook/v1p2",
            ("onerosterv1p2gradebookservice_openapi3_v1p0.json", "imsorv1p2_gradebook_openapi3_v1p0.json"),
        ),
        (
            "/ims/oneroster/resources/v1p2",
            ("onerosterv1p2resourcesservice_openapi3_v1p0.json", "imsorv1p2_resources_openapi3_v1p0.json"),
        ),
    ],
)
def test_discovery_documents_name_this_server(client, base, names):
    for name in names:
        response = client.get(f"{base}/discovery/{name}")
        assert response.status_code == 200
        spec = response.json()
        assert spec["openapi"].startswith("3.0")
        assert spec["servers"] == [{"url": f"{client.base_url}{base}"}]
        operation_ids = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
        committed = next(d for d in DOCUMENTS if d.base_path == base)
        assert operation_ids == {op.operation_id for op in operations(committed.version, committed.services[0])}


def test_openapi_and_swagger_ui_are_served(client):
    for document in DOCUMENTS:
        assert client.get(f"{document.base_path}/openapi.json").json()["info"]["version"] == document.version
        page = client.get(f"{document.base_path}/ui/")
        assert page.status_code == 200 and "swagger-ui" in page.text.lower()
