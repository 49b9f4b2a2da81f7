"""The GUIDRefs of the model, read from spec/: which fields of which entity name another object, and the
references a record holds (nested structures included, such as a 1.2 user's roles[].org)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rosterlab.spec.endpoints import OpKind, operations
from rosterlab.spec.entities import VersionModel, model_for
from rosterlab.spec.model import Field, Nested, Ref


@dataclass(frozen=True)
class RefKind:
    """One kind of reference: `class.course`, `user.roles[].org`, ..."""

    entity: str  # the entity holding it
    path: tuple[str, ...]  # field names from the record down to the GUIDRef (a list's items as "name[]")
    target: str  # the entity it names

    @property
    def name(self) -> str:
        return f"{self.entity}.{'.'.join(self.path)}"


def _refs_in(fields: tuple[Field, ...], model: VersionModel, prefix: tuple[str, ...]) -> Iterator[tuple]:
    for field in fields:
        step = (*prefix, field.name + ("[]" if field.many else ""))
        if isinstance(field.type, Ref):
            yield step, field.type.target
        elif isinstance(field.type, Nested):
            yield from _refs_in(model.structure(field.type.structure).fields, model, step)


def ref_kinds(version: str) -> list[RefKind]:
    """Every kind of GUIDRef in `version` whose holder and target both have a collection to read."""
    model = model_for(version)
    readable = set(collections_of(version))
    kinds = []
    for entity in model.entities:
        if entity.name not in readable:
            continue
        for path, target in _refs_in(entity.all_fields, model, ()):
            if target in readable:
                kinds.append(RefKind(entity.name, path, target))
    return kinds


def collections_of(version: str) -> dict[str, str]:
    """Entity -> the operationId of its top-level collection (`/users`, not `/students`)."""
    found = {}
    for op in operations(version):
        if op.kind is OpKind.COLLECTION and not op.parents and op.selection is None and op.method == "get":
            found.setdefault(op.entity, op.operation_id)
    return found


def refs(record: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """The values at `path` in a record: one GUIDRef, a list's items, or none."""
    values: list[Any] = [record]
    for step in path:
        name, many = (step[:-2], True) if step.endswith("[]") else (step, False)
        found: list[Any] = []
        for value in values:
            inner = value.get(name) if isinstance(value, dict) else None
            if many and isinstance(inner, list):
                found += inner
            elif inner is not None:
                found.append(inner)
        values = found
    return values
