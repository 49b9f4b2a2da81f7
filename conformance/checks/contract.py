"""The contract: collection responses match the response schemas of rosterlab's spec/ documents."""

from __future__ import annotations

from functools import cache

import jsonschema
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rosterlab.conformance.model import Evidence, Failed, Level, check
from rosterlab.conformance.target import Target
from rosterlab.spec import documents
from rosterlab.spec.endpoints import operation
from rosterlab.spec.openapi import DOCUMENTS

CONTRACT = "OpenAPI documents of the REST binding: response status, content type and schema"
COLLECTIONS = (
    "getAllOrgs",
    "getAllAcademicSessions",
    "getAllCourses",
    "getAllClasses",
    "getAllUsers",
    "getAllEnrollments",
    "getAllDemographics",
)


@cache
def _validator(version: str, operation_id: str) -> jsonschema.protocols.Validator:
    op = operation(operation_id)
    document = next(d for d in DOCUMENTS if d.version.value == version and op.service() in d.services)
    spec = documents.load(document)
    for item in spec["paths"].values():
        for details in item.values():
            if isinstance(details, dict) and details.get("operationId") == operation_id:
                schema = details["responses"]["200"]["content"]["application/json"]["schema"]
                return jsonschema.Draft7Validator({**schema, "components": spec["components"]})
    raise LookupError(f"{operation_id} is not in the {version} documents")


@check("contract.collections", "Collection responses match the documents' schemas", CONTRACT, Level.MUST)
def collections_match(target: Target) -> None:
    for operation_id in COLLECTIONS:
        exchange = target.get(operation_id, {"limit": "25"})
        if exchange.status != 200:
            raise exchange.fail(f"{operation_id}: HTTP {exchange.status}")
        if not exchange.response.headers.get("content-type", "").startswith("application/json"):
            raise exchange.fail(f"{operation_id}: content type {exchange.response.headers.get('content-type')!r}")
        errors = sorted(_validator(target.version, operation_id).iter_errors(exchange.body), key=str)
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(the body)"
            first = errors[0].message[:200]
            raise Failed(
                f"{operation_id}: {len(errors)} schema violation(s); first at {where}: {first}", exchange.evidence()
            )


EXAMPLES = 3  # generated requests per operation
SCHEMATHESIS_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _read_operations(document) -> tuple[schemathesis.BaseSchema, list[str]]:
    spec = documents.load(document)
    paths = [path for path, item in spec["paths"].items() if "get" in item]
    return schemathesis.openapi.from_dict(spec), paths


def _exercise(target: Target, operation_, base: str, path: str, failures: list[tuple[str, Evidence]]) -> None:
    """Send EXAMPLES generated requests for one operation and keep what broke the contract."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # fmt: skip
    @given(case=operation_.as_strategy())
    def call(case) -> None:
        sent = case.as_transport_kwargs(base_url=base)
        response = target.client.get(sent["url"], sent.get("params"))
        try:
            case.validate_response(response, checks=SCHEMATHESIS_CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis reports groups of check failures
            evidence = Evidence(f"GET {response.request.url}", response.status_code, response.text[:600])
            failures.append((f"GET {path}: {str(error).splitlines()[0][:200]}", evidence))

    call()


@check("contract.operations", "Every read operation answers as the documents say (schemathesis)", CONTRACT, Level.MUST)
def operations_conform(target: Target) -> None:
    failures: list[tuple[str, Evidence]] = []
    for document in (d for d in DOCUMENTS if d.version.value == target.version):
        schema, paths = _read_operations(document)
        for path in paths:
            _exercise(target, schema[path]["GET"], target.root + document.base_path, path, failures)
    if failures:
        message, evidence = failures[0]
        raise Failed(f"{len(failures)} generated request(s) broke the contract; first: {message}", evidence)
