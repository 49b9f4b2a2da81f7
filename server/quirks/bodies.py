"""What quirky providers do to the JSON they send: each function takes a parsed body (or record) and gives the
body as such a provider would write it."""

from __future__ import annotations

from typing import Any

from rosterlab.spec.entities import model_for
from rosterlab.spec.model import Entity, Version

_VERSION_MARKERS = ("/v1p1/", "/v1p2/")
_IRREGULAR_SINGULARS = {"classes": "class", "categories": "category"}


def resource_segments(path: str) -> list[str]:
    """The path's segments after its service's base: `/ims/oneroster/v1p1/schools/s1/classes` ->
    ["schools", "s1", "classes"]."""
    for marker in _VERSION_MARKERS:
        at = path.find(marker)
        if at >= 0:
            return [segment for segment in path[at + len(marker) :].split("/") if segment]
    return []


def singular(plural: str) -> str:
    """`schools` -> `school`, `classes` -> `class`."""
    return _IRREGULAR_SINGULARS.get(plural, plural[:-1] if plural.endswith("s") else plural)


def key_after_path(path: str) -> str | None:
    """The envelope key a provider naming it after the path uses: the collection's last segment, or the
    singular of the segment before an object's id."""
    segments = resource_segments(path)
    if not segments:
        return None
    return segments[-1] if len(segments) % 2 else singular(segments[-2])


def with_keys_after_path(body: dict[str, Any], path: str) -> dict[str, Any]:
    """`{"orgs": [...]}` on /schools as `{"schools": [...]}`; `{"user": {...}}` on /students/x as `{"student": ...}`."""
    key = key_after_path(path)
    data_keys = [name for name in body if name != "statusInfoSet"]
    if key is None or len(data_keys) != 1 or data_keys[0] == key:
        return body
    return {(key if name == data_keys[0] else name): value for name, value in body.items()}


def entity_for_key(version: Version, key: str) -> Entity | None:
    """The entity whose collection or single key is `key` in `version`."""
    for entity in model_for(version).entities:
        if key in (entity.plural, entity.single):
            return entity
    return None


def records(body: dict[str, Any], version: Version) -> list[tuple[Entity | None, dict[str, Any]]]:
    """Every record of a data body (a collection or one object), with the entity it is, by its key."""
    found: list[tuple[Entity | None, dict[str, Any]]] = []
    for key, value in body.items():
        if key == "statusInfoSet":
            continue
        items = value if isinstance(value, list) else [value]
        entity = entity_for_key(version, key)
        found += [(entity, item) for item in items if isinstance(item, dict)]
    return found


def null_optional_fields(record: dict[str, Any], entity: Entity) -> None:
    """Every optional field the record lacks, as JSON null."""
    for field in entity.all_fields:
        if not field.required and field.name not in record:
            record[field.name] = None


def string_periods(record: dict[str, Any]) -> None:
    """`periods: ["1", "2"]` as `periods: "1, 2"`."""
    if isinstance(record.get("periods"), list):
        record["periods"] = ", ".join(str(period) for period in record["periods"])


def empty_parent(record: dict[str, Any], entity: Entity) -> None:
    """`parent: {}` where an org or session has no parent."""
    if entity.has_field("parent") and record.get("parent") is None:
        record["parent"] = {}


# rosterlab's codeMinor values as Ed-Fi writes them: every 400 is invalid_data
EDFI_CODE_MINOR = {
    "invaliddata": "invalid_data",
    "invalid_filter_field": "invalid_data",
    "invalid_selection_field": "invalid_data",
    "invalid_blank_selection_field": "invalid_data",
    "invalid_sort_field": "invalid_data",
    "unknownobject": "unknown_object",
    "unauthorisedrequest": "unauthorized",
    "deletefailure": "delete_failure",
}


def flat_status(info: dict[str, Any], keep_code_minor: bool = True) -> dict[str, Any]:
    """An imsx_StatusInfo with its nested imsx_CodeMinor as one flat string spelled as Ed-Fi spells it (or
    with no codeMinor at all)."""
    minor = info.get("imsx_CodeMinor")
    flat = {k: v for k, v in info.items() if k not in ("imsx_CodeMinor", "imsx_codeMinor")}
    if keep_code_minor and isinstance(minor, dict):
        value = (minor.get("imsx_codeMinorField") or [{}])[0].get("imsx_codeMinorFieldValue", "")
        flat["imsx_codeMinor"] = EDFI_CODE_MINOR.get(value, value)
    elif keep_code_minor and "imsx_codeMinor" in info:
        flat["imsx_codeMinor"] = info["imsx_codeMinor"]
    return flat


def without_code_minor(info: dict[str, Any]) -> dict[str, Any]:
    """An imsx_StatusInfo with no codeMinor in either spelling."""
    return {k: v for k, v in info.items() if k not in ("imsx_CodeMinor", "imsx_codeMinor")}


def status_infos(body: Any) -> list[dict[str, Any]]:
    """The imsx_StatusInfo objects of an error body (1.2: the body; 1.1: its statusInfoSet)."""
    if isinstance(body, dict) and isinstance(body.get("statusInfoSet"), list):
        return [info for info in body["statusInfoSet"] if isinstance(info, dict)]
    return [body] if isinstance(body, dict) else []


def map_status_infos(body: Any, change) -> Any:
    """The error body with `change` applied to each of its imsx_StatusInfo objects."""
    if isinstance(body, dict) and isinstance(body.get("statusInfoSet"), list):
        return dict(body, statusInfoSet=[change(info) for info in body["statusInfoSet"]])
    return change(body) if isinstance(body, dict) else body


def plain_error(body: Any) -> dict[str, str]:
    """`{"error": "<description>"}`: an error as a hand-built provider writes it."""
    infos = status_infos(body)
    description = str(infos[0].get("imsx_description", "")) if infos else ""
    return {"error": description or "request failed"}
