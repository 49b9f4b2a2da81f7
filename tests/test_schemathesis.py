"""schemathesis against every operation the mock SIS serves, from all four documents, with every check,
positive and negative data, over the demo district (in-process ASGI)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from starlette.testclient import TestClient

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.errors import version_of_path
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.endpoints import operation
from rosterlab.spec.openapi import document
from tests.conftest import server_config

# A schema-valid request may still name a sourcedId that does not exist (404) or hold a filter, sort or
# fields value that OneRoster itself refuses (400): those are correct answers to valid-looking input.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["200", "400", "404"]},
        },
        "generation": {"mode": "all", "max-examples": 25},
    }
)
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=25)


def _demo_app():
    # Built at import: schemathesis parametrizes at collection time, before fixtures exist.
    engine = connect(f"sqlite:///{Path(tempfile.mkdtemp(prefix='rosterlab-schemathesis-')) / 'demo.db'}")
    load(engine, demo_district())
    config = server_config()
    ensure_demo_clients(registry_for(config, engine))
    return create_app(config, engine=engine)


APP = _demo_app()


def _token() -> str:
    client = TestClient(APP)
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    )
    return response.json()["access_token"]


HEADERS = {"Authorization": f"Bearer {_token()}"}


def _load(name: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi(f"{document(name).base_path}/openapi.json", APP, config=CONFIG)


def _selected_fields_conform(case, response) -> None:
    """With `fields`, objects hold only the selected keys, so required-ness cannot apply; every key must
    still be a field of the entity in that version."""
    op = operation(case.operation.definition.raw["operationId"])
    version = version_of_path(case.operation.schema.get_base_url() or case.formatted_path)
    known = {field.name for field in op.entity_in(version).all_fields}
    body = response.json()
    key = op.response_key(version)
    for item in body[key] if isinstance(body[key], list) else [body[key]]:
        assert set(item) <= known, set(item) - known


def run_case(case) -> None:
    """Call the operation and run every check (schema conformance adapted when `fields` selects)."""
    fields = (case.query or {}).get("fields")
    excluded = [response_schema_conformance] if fields not in (None, "", []) else []
    response = case.call_and_validate(headers=HEADERS, excluded_checks=excluded)
    if excluded and response.status_code == 200:
        _selected_fields_conform(case, response)


@_load("oneroster-v1p1").parametrize()
@SETTINGS
def test_v1p1(case):
    run_case(case)


@_load("oneroster-v1p2-rostering").parametrize()
@SETTINGS
def test_v1p2_rostering(case):
    run_case(case)


@_load("oneroster-v1p2-gradebook").parametrize()
@SETTINGS
def test_v1p2_gradebook(case):
    run_case(case)


@_load("oneroster-v1p2-resources").parametrize()
@SETTINGS
def test_v1p2_resources(case):
    run_case(case)
