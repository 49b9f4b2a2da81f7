"""Hypothesis strategies for filters over a given entity, with values taken from the data at hand."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from rosterlab.spec.entities import model_for
from rosterlab.spec.filter import And, Op, Or, Predicate
from rosterlab.spec.model import Entity, Field, Nested, Ref, Version


def _paths(
    fields: tuple[Field, ...], version: Version, prefix: tuple[str, ...], in_list: bool
) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for field in fields:
        path = (*prefix, field.name)
        crosses = in_list or field.many
        if field.many and in_list:
            continue
        if isinstance(field.type, Ref):
            paths += [path, (*path, "sourcedId")]
        elif isinstance(field.type, Nested):
            structure = model_for(version).structure(field.type.structure)
            if not structure.open:
                paths += _paths(structure.fields, version, path, crosses)
        else:
            paths.append(path)
    return paths


def filterable_paths(entity: Entity, version: Version) -> list[tuple[str, ...]]:
    """Every field path of the entity a filter may name (through at most one list)."""
    return _paths(entity.all_fields, version, (), False)


def _values_at(document: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [document["sourcedId"]] if isinstance(document, dict) and "sourcedId" in document else [document]
    if isinstance(document, list):
        return [value for item in document for value in _values_at(item, path)]
    if isinstance(document, dict) and path[0] in document:
        return _values_at(document[path[0]], path[1:])
    return []


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@st.composite
def predicates_for(draw, entity: Entity, version: Version, documents: list[dict]) -> Predicate:
    """A predicate on a field of the entity; its value usually occurs in the documents."""
    path = draw(st.sampled_from(filterable_paths(entity, version)))
    seen = [_text(v) for document in documents for v in _values_at(document, path) if not isinstance(v, dict | list)]
    candidates = st.sampled_from(seen) if seen else st.nothing()
    # No NUL: the server refuses it before any SQL (PostgreSQL cannot hold it); see test_server_errors.
    free_text = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=4)
    value = draw(st.one_of(candidates, candidates.map(lambda s: s[: len(s) // 2]), free_text, st.just("")))
    op = draw(st.sampled_from(list(Op)))
    return Predicate(path, op, value)


def filters_for(entity: Entity, version: Version, documents: list[dict]):
    """Filter trees of up to four predicates on the entity."""
    leaves = predicates_for(entity, version, documents)
    return st.recursive(
        leaves,
        lambda children: st.lists(children, min_size=2, max_size=3).flatmap(
            lambda items: st.sampled_from([And(tuple(items)), Or(tuple(items))])
        ),
        max_leaves=4,
    )
