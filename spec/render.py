"""Render a canonical record as the object a version sends on the wire.

A canonical record is a OneRoster 1.2 object whose GUIDRefs need only a sourcedId. Rendering adds each
GUIDRef's `type` and `href` (a path from the host's root, prefixed with the host when a response is
written), writes booleans as the version does, and puts fields in the model's order. 1.1 objects are
derived from the same record: a user's single `role` and `orgs` come from its roles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from rosterlab.spec.endpoints import base_path
from rosterlab.spec.entities import model_for
from rosterlab.spec.filter.fields import format_instant, parse_instant
from rosterlab.spec.model import Field, Kind, Nested, Ref, Scalar, Version, Vocabulary

Record = dict[str, Any]

_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")

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


@cache
def _href_prefix(version: Version, target: str) -> str:
    entity = model_for(Version.V1P2).entity(target)
    return f"{base_path(version, entity.service)}/{entity.plural}/"


def _path_segment(sourced_id: str) -> str:
    return sourced_id if _UNRESERVED.fullmatch(sourced_id) else quote(sourced_id, safe="")


def href(version: Version, target: str, sourced_id: str) -> str:
    """The path of an object, e.g. `/ims/oneroster/rostering/v1p2/orgs/o1`."""
    return _href_prefix(Version(version), target) + _path_segment(sourced_id)


def _sourced_id(value: Any) -> str:
    if type(value) is dict or isinstance(value, Mapping):
        return value["sourcedId"]
    return str(value)


@lru_cache(maxsize=8192)
def canonical_instant(text: str) -> str:
    """An instant in its canonical text; the same stamps recur on many records, hence the cache."""
    return format_instant(parse_instant(text))


Converter = Callable[[Any], Any]


def _converter(field: Field, version: Version) -> Converter | None:
    """How one value of a field is written in `version`; None when it is written as it is."""
    type_ = field.type
    if isinstance(type_, Ref):
        prefix, target = _href_prefix(version, type_.target), type_.target

        def reference(value: Any) -> Record:
            sourced_id = _sourced_id(value)
            return {"href": prefix + _path_segment(sourced_id), "sourcedId": sourced_id, "type": target}

        return reference
    if isinstance(type_, Nested):
        structure = model_for(version).structure(type_.structure)
        if structure.open:
            return dict
        plan = _plan(structure.fields, version)
        return lambda value: _object(plan, value)
    if isinstance(type_, Scalar):
        if type_.kind is Kind.BOOLEAN:
            as_text = version is not Version.V1P1
            return lambda value: _boolean(value, as_text)
        if type_.kind is Kind.DATETIME:
            return canonical_instant
        if type_.kind is Kind.NUMBER:
            return lambda value: float(value) if isinstance(value, str) else value
    return None


def _boolean(value: Any, as_text: bool) -> bool | str:
    truth = value if isinstance(value, bool) else str(value).lower() == "true"
    return ("true" if truth else "false") if as_text else truth


class _FieldPlan(NamedTuple):
    name: str
    many: bool
    required: bool
    convert: Converter | None
    allowed: frozenset[str] | None  # a 1.1 vocabulary: values outside it are left out


def _plan(fields: tuple[Field, ...], version: Version) -> tuple[_FieldPlan, ...]:
    return tuple(
        _FieldPlan(
            field.name,
            field.many,
            field.required,
            _converter(field, version),
            frozenset(field.type.values) if version is Version.V1P1 and isinstance(field.type, Vocabulary) else None,
        )
        for field in fields
    )


def _object(plan: tuple[_FieldPlan, ...], record: Mapping[str, Any]) -> Record:
    rendered: Record = {}
    get = record.get
    for name, many, required, convert, allowed in plan:
        value = get(name)
        if value is None:
            continue
        if many:
            items = value if allowed is None else [item for item in value if item in allowed]
            items = [item for item in items] if convert is None else [convert(item) for item in items]
            if items or not required:
                rendered[name] = items
        elif allowed is None or value in allowed or required:
            rendered[name] = value if convert is None else convert(value)
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


@cache
def _entity_plan(entity_name: str, version: Version) -> tuple[_FieldPlan, ...] | None:
    model = model_for(version)
    if not model.has_entity(entity_name):
        return None
    return _plan(model.entity(entity_name).all_fields, version)


def render(entity_name: str, record: Mapping[str, Any], version: Version | str) -> Record | None:
    """The object as `version` sends it, or None when the version has no such entity."""
    version = Version(version)
    plan = _entity_plan(entity_name, version)
    if plan is None:
        return None
    if version is Version.V1P1 and entity_name in _DERIVE_V1P1:
        record = _DERIVE_V1P1[entity_name](record)
    return _object(plan, record)
