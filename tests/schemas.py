"""Validate response bodies against our documents and against 1EdTech's official ones (jsonschema-rs)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from rosterlab.spec import documents
from rosterlab.spec.openapi import DOCUMENTS, Document
from tests.conftest import OFFICIAL_OPENAPI_DIR

OFFICIAL_FILE_OF = {
    "oneroster-v1p2-rostering": "onerosterv1p2rostersservice_openapi3_v1p0.json",
    "oneroster-v1p2-gradebook": "onerosterv1p2gradebookservice_openapi3_v1p0.json",
    "oneroster-v1p2-resources": "onerosterv1p2resourcesservice_openapi3_v1p0.json",
}


@cache
def _validator(source: str, schema_name: str) -> jsonschema_rs.Draft4Validator:
    if source.startswith("official:"):
        spec = json.loads(Path(source.removeprefix("official:")).read_text(encoding="utf-8"))
    else:
        spec = documents.load(next(d for d in DOCUMENTS if d.name == source))
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return jsonschema_rs.Draft4Validator(root, validate_formats=True)


def success_schema(document: Document, path: str, method: str = "get") -> str:
    """The component name of an operation's 200 body in our document."""
    operation = documents.load(document)["paths"][path][method]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def errors_against_ours(document: Document, schema_name: str, body: Any) -> list[str]:
    """Why `body` does not match the schema in our document (empty when it does)."""
    return [error.message for error in _validator(document.name, schema_name).iter_errors(body)]


def errors_against_official(document: Document, schema_name: str, body: Any) -> list[str] | None:
    """The same against the official 1.2 file, or None when that file is not available here."""
    filename = OFFICIAL_FILE_OF.get(document.name)
    path = OFFICIAL_OPENAPI_DIR / filename if filename else None
    if path is None or not path.exists():
        return None
    return [error.message for error in _validator(f"official:{path}", schema_name).iter_errors(body)]
