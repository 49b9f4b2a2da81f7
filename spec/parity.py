"""Compare two OpenAPI documents of the same service: operations and schemas, not prose.

Each difference is one line of text (`GET /users: parameter query fields: explode: official True, ours
False`) so that deliberate deviations can be listed with glob patterns in spec/deviations.toml.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Schema = dict[str, Any]
DEVIATIONS_FILE = Path(__file__).parent / "deviations.toml"

# The official 1.2 files and the document of ours that each corresponds to.
OFFICIAL_FILES: dict[str, str] = {
    "onerosterv1p2rostersservice_openapi3_v1p0.json": "oneroster-v1p2-rostering",
    "onerosterv1p2gradebookservice_openapi3_v1p0.json": "oneroster-v1p2-gradebook",
    "onerosterv1p2resourcesservice_openapi3_v1p0.json": "oneroster-v1p2-resources",
}


@dataclass(frozen=True)
class Deviation:
    """A difference from the official definitions that rosterlab makes on purpose."""

    id: str
    match: tuple[str, ...]  # glob patterns over difference lines
    reason: str

    def explains(self, difference: str) -> bool:
        """Whether this deviation covers the difference."""
        return any(fnmatch.fnmatchcase(difference, pattern) for pattern in self.match)


def load_deviations(path: Path = DEVIATIONS_FILE) -> list[Deviation]:
    """The deviations listed in spec/deviations.toml."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Deviation(d["id"], tuple(d["match"]), d["reason"].strip()) for d in data["deviation"]]


def signature(schema: Schema | None) -> str:
    """A compact, order-independent description of what a schema accepts (descriptions ignored)."""
    if schema is None:
        return "-"
    if "$ref" in schema:
        return "ref:" + schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return "anyOf(" + " | ".join(sorted(signature(s) for s in schema["anyOf"])) + ")"
    parts = [str(schema.get("type", "any"))]
    if "format" in schema:
        parts.append(f"format={schema['format']}")
    if "enum" in schema:
        parts.append("enum=" + ",".join(sorted(map(str, schema["enum"]))))
    if "pattern" in schema:
        parts.append(f"pattern={schema['pattern']}")
    for key in ("minimum", "maximum", "default", "minItems"):
        if key in schema:
            parts.append(f"{key}={schema[key]}")
    if "items" in schema:
        parts.append("items=" + signature(schema["items"]))
    return " ".join(parts)


def _diff_value(where: str, what: str, official: Any, ours: Any) -> Iterator[str]:
    if official != ours:
        yield f"{where}: {what}: official {official}, ours {ours}"


def _diff_sets(where: str, what: str, official: Iterable[str], ours: Iterable[str]) -> Iterator[str]:
    official_set, our_set = set(official), set(ours)
    for name in sorted(official_set - our_set):
        yield f"{where}: {what} {name}: official only"
    for name in sorted(our_set - official_set):
        yield f"{where}: {what} {name}: ours only"


def compare_schemas(official: dict[str, Schema], ours: dict[str, Schema]) -> Iterator[str]:
    """Differences between two `components.schemas` maps."""
    yield from _diff_sets("schemas", "schema", official, ours)
    for name in sorted(set(official) & set(ours)):
        theirs, mine = official[name], ours[name]
        where = f"schema {name}"
        yield from _diff_value(where, "type", theirs.get("type"), mine.get("type"))
        yield from _diff_value(
            where,
            "additionalProperties",
            theirs.get("additionalProperties"),
            mine.get("additionalProperties"),
        )
        yield from _diff_sets(where, "required", theirs.get("required", []), mine.get("required", []))
        their_props, my_props = theirs.get("properties", {}), mine.get("properties", {})
        yield from _diff_sets(where, "property", their_props, my_props)
        for prop in sorted(set(their_props) & set(my_props)):
            their_sig, my_sig = signature(their_props[prop]), signature(my_props[prop])
            yield from _diff_value(f"{where}.{prop}", "accepts", their_sig, my_sig)


def _parameters(operation: Schema) -> dict[str, Schema]:
    return {f"{p['in']} {p['name']}": p for p in operation.get("parameters", [])}


def _explode(parameter: Schema) -> bool:
    return parameter.get("explode", parameter.get("style", "form") == "form")


def _success_keys(operation: Schema) -> dict[str, str]:
    """Success status code -> the schema of its body (or "-" for no body)."""
    keys = {}
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2"):
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            keys[code] = signature(schema)
    return keys


def _body(operation: Schema) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    return signature(content.get("application/json", {}).get("schema"))


def _scopes(operation: Schema) -> tuple[set[str], list[list[str]]]:
    requirements = operation.get("security", [])
    flat = {scope for requirement in requirements for scopes in requirement.values() for scope in scopes}
    structure = sorted(sorted(scopes) for requirement in requirements for scopes in requirement.values())
    return flat, structure


def compare_operation(where: str, official: Schema, ours: Schema) -> Iterator[str]:
    """Differences between two operation objects."""
    yield from _diff_value(where, "operationId", official.get("operationId"), ours.get("operationId"))
    their_params, my_params = _parameters(official), _parameters(ours)
    yield from _diff_sets(where, "parameter", their_params, my_params)
    for name in sorted(set(their_params) & set(my_params)):
        theirs, mine = their_params[name], my_params[name]
        at = f"{where}: parameter {name}"
        yield from _diff_value(at, "required", bool(theirs.get("required")), bool(mine.get("required")))
        yield from _diff_value(at, "schema", signature(theirs.get("schema")), signature(mine.get("schema")))
        yield from _diff_value(at, "explode", _explode(theirs), _explode(mine))
    yield from _diff_value(where, "success responses", _success_keys(official), _success_keys(ours))
    their_codes = [c for c in official.get("responses", {}) if not c.startswith("2")]
    my_codes = [c for c in ours.get("responses", {}) if not c.startswith("2")]
    yield from _diff_sets(where, "error response", their_codes, my_codes)
    yield from _diff_value(where, "request body", _body(official), _body(ours))
    their_scopes, their_structure = _scopes(official)
    my_scopes, my_structure = _scopes(ours)
    yield from _diff_sets(where, "scope", their_scopes, my_scopes)
    if their_scopes == my_scopes:
        yield from _diff_value(where, "security requirements", their_structure, my_structure)


def compare_documents(official: Schema, ours: Schema) -> list[str]:
    """Every difference between an official document and ours, one line each."""
    differences: list[str] = []
    their_ops = {(m.upper(), p): op for p, item in official["paths"].items() for m, op in item.items()}
    my_ops = {(m.upper(), p): op for p, item in ours["paths"].items() for m, op in item.items()}
    for method, path in sorted(set(their_ops) - set(my_ops)):
        differences.append(f"{method} {path}: operation: official only")
    for method, path in sorted(set(my_ops) - set(their_ops)):
        differences.append(f"{method} {path}: operation: ours only")
    for method, path in sorted(set(their_ops) & set(my_ops)):
        key = (method, path)
        differences += compare_operation(f"{method} {path}", their_ops[key], my_ops[key])
    differences += compare_schemas(official["components"]["schemas"], ours["components"]["schemas"])
    return differences


@dataclass
class ParityReport:
    """Differences sorted into explained and unexplained, and deviations that explain nothing."""

    explained: dict[str, list[str]]  # deviation id -> differences it covers
    unexplained: list[str]
    unused: list[str]  # ids of deviations that matched no difference


def explain(differences: Iterable[str], deviations: list[Deviation]) -> ParityReport:
    """Match each difference with the first deviation that explains it."""
    explained: dict[str, list[str]] = {d.id: [] for d in deviations}
    unexplained = []
    for difference in differences:
        for deviation in deviations:
            if deviation.explains(difference):
                explained[deviation.id].append(difference)
                break
        else:
            unexplained.append(difference)
    unused = [deviation_id for deviation_id, matched in explained.items() if not matched]
    return ParityReport(explained, unexplained, unused)
