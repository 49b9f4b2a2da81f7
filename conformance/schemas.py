"""The response schemas of spec/'s OpenAPI documents, as JSON Schema validators per operation."""

from __future__ import annotations

from functools import cache

import jsonschema

from rosterlab.spec import documents
from rosterlab.spec.endpoints import operation
from rosterlab.spec.openapi import DOCUMENTS


@cache
def validator(version: str, operation_id: str) -> jsonschema.protocols.Validator:
    """The validator of an operation's 200 response body in `version`."""
    op = operation(operation_id)
    document = next(d for d in DOCUMENTS if d.version.value == version and op.service() in d.services)
    spec = documents.load(document)
    for item in spec["paths"].values():
        for details in item.values():
            if isinstance(details, dict) and details.get("operationId") == operation_id:
                schema = details["responses"]["200"]["content"]["application/json"]["schema"]
                return jsonschema.Draft7Validator({**schema, "components": spec["components"]})
    raise LookupError(f"{operation_id} is not in the {version} documents")
