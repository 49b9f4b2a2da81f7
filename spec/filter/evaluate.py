"""The reference evaluator: apply a filter to JSON objects in Python, as the standard's semantics say.

The server filters in SQL; the conformance checker and the tests use this evaluator to say what the
answer should have been.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rosterlab.spec.filter.ast import And, Node, Op, Or, Predicate
from rosterlab.spec.filter.fields import ASCII_LOWER, TypedPredicate, type_predicate
from rosterlab.spec.model import Entity, Kind, Version

_MISSING = object()


def _walk(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _values(record: Mapping[str, Any], typed: TypedPredicate) -> Iterator[Any]:
    """The values a predicate compares: one, none (missing), or one per list element."""
    found = _walk(record, typed.path.outer)
    if found is _MISSING or found is None:
        return
    if typed.path.inner is None:
        yield found
        return
    if isinstance(found, list):
        for element in found:
            value = _walk(element, typed.path.inner)
            if value is not _MISSING and value is not None:
                yield value


def _compare(value: Any, typed: TypedPredicate) -> bool:
    op, target = typed.op, typed.value
    if typed.path.kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        value = float(value)
    elif typed.path.kind is Kind.BOOLEAN:
        if not isinstance(value, type(target)):
            return False
    elif not isinstance(value, str):
        return False
    if op is Op.CONTAINS:
        return target in value.translate(ASCII_LOWER)
    if op in (Op.EQ, Op.NE):
        return value == target
    if op is Op.GT:
        return value > target
    if op is Op.GE:
        return value >= target
    if op is Op.LT:
        return value < target
    return value <= target


def _holds(record: Mapping[str, Any], typed: TypedPredicate) -> bool:
    if typed.op is Op.NE:
        return not any(_compare(value, typed) for value in _values(record, typed))
    return any(_compare(value, typed) for value in _values(record, typed))


def compile_filter(node: Node, entity: Entity, version: Version | str) -> Callable[[Mapping[str, Any]], bool]:
    """A function telling whether a rendered object matches; raises FilterFieldError or FilterValueError."""
    if isinstance(node, Predicate):
        typed = type_predicate(node, entity, version)
        return lambda record: _holds(record, typed)
    parts = [compile_filter(item, entity, version) for item in node.items]
    if isinstance(node, And):
        return lambda record: all(part(record) for part in parts)
    assert isinstance(node, Or)
    return lambda record: any(part(record) for part in parts)


def matches(node: Node, entity: Entity, version: Version | str, record: Mapping[str, Any]) -> bool:
    """Whether one rendered object matches the filter."""
    return compile_filter(node, entity, version)(record)
