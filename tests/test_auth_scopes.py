"""The scope matrix: every read operation of both versions with every scope (and with none).

The expected answer is written here from the facts' scope table, independently of spec/endpoints.py:
core rostering reads (collections and single objects, demographics aside) take roster.readonly or
roster-core.readonly; demographics only roster-demographics.readonly; nested rostering reads only
roster.readonly; the same shape for gradebook (gradebook-core.readonly, 1.2 only) and resources
(resource-core.readonly, 1.2 only); assessment reads take assessment.readonly.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.registry import ALL_SCOPES
from rosterlab.spec.endpoints import Operation, OpKind, operations
from rosterlab.spec.model import Service, Version
from tests.conftest import server_config
from tests.oracle import in_selection, records, sample_parameters

NO_SCOPE = "(none)"


def allowed_scopes(op: Operation, service: Service, version: Version) -> set[str]:
    core = not op.parents
    if op.entity == "demographics":
        return {"roster-demographics.readonly"}
    if op.entity.startswith("assessment"):
        return {"assessment.readonly"}
    family = {Service.ROSTERING: "roster", Service.GRADEBOOK: "gradebook", Service.RESOURCES: "resource"}[service]
    scopes = {f"{family}.readonly"}
    if core and (service is Service.ROSTERING or version is Version.V1P2):
        scopes.add(f"{family}-core.readonly")
    return scopes


@pytest.fixture(scope="module")
def matrix(demo_engine, demo_data):
    config = server_config()
    registry = registry_for(config, demo_engine)
    client = TestClient(create_app(config, engine=demo_engine))
    tokens = {}
    for scope in (*ALL_SCOPES, NO_SCOPE):
        scopes = () if scope == NO_SCOPE else (scope,)
        created = registry.add(f"matrix {scope}", scopes)
        response = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(created.client.client_id, created.secret)
        )
        tokens[scope] = response.json()["access_token"]
    return client, tokens, sample_parameters(demo_data)


def _url(op: Operation, version: Version, service: Service, params: dict, demo_data) -> str:
    from rosterlab.spec.endpoints import base_path

    if op.kind is OpKind.SINGLE:
        chosen = next(r for r in records(demo_data, op.entity) if in_selection(op.entity, r, op.selection))
        path = op.path.format(sourcedId=chosen["sourcedId"])
    else:
        path = op.path.format(**params)
    return base_path(version, service) + path


CASES = [
    (version, service, op)
    for version in Version
    for service in Service
    for op in operations(version, service)
    if op.kind in (OpKind.COLLECTION, OpKind.SINGLE)
]


@pytest.mark.parametrize(("version", "service", "op"), CASES, ids=lambda v: getattr(v, "operation_id", str(v)))
def test_each_scope_gives_200_or_403_as_the_table_says(matrix, demo_data, version, service, op):
    client, tokens, params = matrix
    url = _url(op, version, service, params, demo_data)
    expected_ok = allowed_scopes(op, service, version)
    for scope, token in tokens.items():
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        expected = 200 if scope in expected_ok else 403
        assert response.status_code == expected, (scope, response.text[:200])
        if expected == 403:
            body = response.json()
            info = body["statusInfoSet"][0] if version is Version.V1P1 else body
            assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "forbidden"
    assert client.get(url).status_code == 401


def allowed_write_scopes(op: Operation) -> set[str]:
    family = "assessment" if op.entity.startswith("assessment") else "gradebook"
    action = {OpKind.PUT: "createput", OpKind.DELETE: "delete", OpKind.CREATE_MANY: "createpost"}[op.kind]
    return {f"{family}.{action}"}


WRITES = [
    (version, op)
    for version in Version
    for op in operations(version, Service.GRADEBOOK)
    if op.kind in (OpKind.PUT, OpKind.DELETE, OpKind.CREATE_MANY)
]


@pytest.mark.parametrize(("version", "op"), WRITES, ids=lambda v: getattr(v, "operation_id", str(v)))
def test_each_scope_may_or_may_not_write(matrix, version, op):
    """Without the write's scope: 403 and nothing checked; with it: the request is judged on its merits
    (here an empty object, so 422, or 404 for an unknown object), never 401 or 403."""
    from rosterlab.spec.endpoints import base_path

    client, tokens, params = matrix
    url = base_path(version, Service.GRADEBOOK) + op.path.format(**{**params, "sourcedId": "no-such-object"})
    allowed = allowed_write_scopes(op)
    for scope, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        key = op.request_key(version)
        body = {key: {} if op.kind is OpKind.PUT else [{}]} if key else None
        response = client.request(op.method.upper(), url, headers=headers, json=body)
        if scope in allowed:
            assert response.status_code in (404, 422), (scope, response.text[:200])
        else:
            assert response.status_code == 403, (scope, response.text[:200])
