"""The contract: collection responses match the response schemas of rosterlab's spec/ documents."""

from __future__ import annotations

from functools import cache

import jsonschema

from rosterlab.conformance.model import Failed, Level, check
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
