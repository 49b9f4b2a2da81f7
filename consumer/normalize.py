"""Read providers' payloads leniently into one form: what the consumer stores and compares.

Booleans arrive as JSON booleans (1.1) or the strings "true"/"false" (1.2, and 1.1 providers that copy it);
GUIDRefs arrive with hrefs that depend on where the provider runs. The stored form keeps booleans as
booleans and references as `{"sourcedId", "type"}`.
"""

from __future__ import annotations

from typing import Any

from rosterlab.spec.entities import MODELS
from rosterlab.spec.model import BOOLEAN

# Every field the model says is a boolean, in any entity or embedded structure.
BOOLEAN_FIELDS = frozenset(
    field.name
    for model in MODELS.values()
    for fields in [*(e.all_fields for e in model.entities), *(s.fields for s in model.structures)]
    for field in fields
    if field.type == BOOLEAN
)


def _value(name: str, value: Any) -> Any:
    kind = type(value)
    if kind is str:
        if name in BOOLEAN_FIELDS and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value
    if kind is dict or isinstance(value, dict):
        return {key: _value(key, item) for key, item in value.items() if key != "href"}
    if kind is list or isinstance(value, list):
        return [_value(name, item) for item in value]
    return value


def normalize(record: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a provider's record."""
    return {name: _value(name, value) for name, value in record.items()}
