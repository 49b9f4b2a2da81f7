"""Render a canonical record as the object a version sends on the wire.

A canonical record is a OneRoster 1.2 object whose GUIDRefs need only a sourcedId. Rendering adds each
GUIDRef's `type` and `href` (a path from the host's root, prefixed with the host when a response is
written), writes booleans as the version does, and puts fields in the model's order. 1.1 objects are
derived from the same record: a user's single `role` and `orgs` come from its roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from rosterlab.spec.endpoints import base_path
from rosterlab.spec.entities import model_for
from rosterlab.spec.filter.fields import format_instant, parse_instant
from rosterlab.spec.model import Field, Kind, Nested, Ref, Scalar, Version, Vocabulary

Record = dict[str, Any]

# 1.2 role -> 1.1 role; 1.1 knows only these eight.
ROLE_V1P1 = {
    "student": "student",
    "teacher": "teacher",
    "aide": "aide",
    "guardian": "guardian",
    "parent": "parent",
    "proctor": "proctor",
    "relative": "relative",
}


def href(version: Version, target: str, sourced_id: str) -> str:
    """The path of an object, e.g. `/ims/oneroster/rostering/v1p2/orgs/o1`."""
    entity = model_for(Version.V1P2).entity(target)
    return f"{base_path(version, entity.service)}/{entity.plural}/{quote(sourced_id, safe='')}"


def _sourced_id(value: Any) -> str:
    return value["sourcedId"] if isinstance(value, Mapping) else str(value)


def _boolean(value: Any, version: Version) -> bool | str:
    truth = value if isinstance(value, bool) else str(value).lower() == "true"
    return truth if version is Version.V1P1 else ("true" if truth else "false")


def _value(field: Field, value: Any, version: Version) -> Any:
    type_ = field.type
    if isinstance(type_, Ref):
        sourced_id = _sourced_id(value)
        return {"href": href(version, type_.target, sourced_id), "sourcedId": sourced_id, "type": type_.target}
    if isinstance(type_, Nested):
        structure = model_for(version).structure(type_.structure)
        if structure.open:
            return dict(value)
        return _object(structure.fields, value, version)
    if isinstance(type_, Scalar):
        if type_.kind is Kind.BOOLEAN:
            return _boolean(value, version)
        if type_.kind is Kind.DATETIME:
            return format_instant(parse_instant(value))
        if type_.kind is Kind.NUMBER and isinstance(value, str):
            return float(value)
    return value


def _fits(field: Field, value: Any, version: Version) -> bool:
    """Whether a vocabulary value exists in this version (1.1 has no `ext:` tokens and fewer terms)."""
    if version is Version.V1P2 or not isinstance(field.type, Vocabulary):
        return True
    return value in field.type.values


def _object(fields: tuple[Field, ...], record: Mapping[str, Any], version: Version) -> Record:
    rendered: Record = {}
    for field in fields:
        value = record.get(field.name)
        if value is None:
            continue
        if field.many:
            items = [_value(field, item, version) for item in value if _fits(field, item, version)]
            if items or not field.required:
                rendered[field.name] = items
        elif _fits(field, value, version) or field.required:
            rendered[field.name] = _value(field, value, version)
    return rendered


def _v1p1_user(record: Mapping[str, Any]) -> Record:
    roles = list(record.get("roles", []))
    primary = next((r for r in roles if r.get("roleType") == "primary"), roles[0] if roles else None)
    derived = dict(record)
    derived["role"] = ROLE_V1P1.get(primary["role"], "administrator") if primary else "student"
    org_ids: list[str] = []
    for role in roles:
        org_id = _sourced_id(role["org"])
        if org_id not in org_ids:
            org_ids.append(org_id)
    derived["orgs"] = [{"sourcedId": org_id} for org_id in org_ids]
    derived.setdefault("username", "")
    return derived


def _v1p1_line_item(record: Mapping[str, Any]) -> Record:
    derived = dict(record)
    if "gradingPeriod" not in derived and "academicSession" in derived:
        derived["gradingPeriod"] = derived["academicSession"]
    return derived


_DERIVE_V1P1 = {"user": _v1p1_user, "lineItem": _v1p1_line_item}


def render(entity_name: str, record: Mapping[str, Any], version: Version | str) -> Record | None:
    """The object as `version` sends it, or None when the version has no such entity."""
    version = Version(version)
    model = model_for(version)
    if not model.has_entity(entity_name):
        return None
    if version is Version.V1P1 and entity_name in _DERIVE_V1P1:
        record = _DERIVE_V1P1[entity_name](record)
    return _object(model.entity(entity_name).all_fields, record, version)
