"""The filter expression tree: predicates joined by AND / OR."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class Op(StrEnum):
    """A comparison operator of the filter grammar."""

    EQ = "="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    CONTAINS = "~"


@dataclass(frozen=True)
class Predicate:
    """`field op 'value'`; `field` is a dotted path such as ("school", "sourcedId")."""

    field: tuple[str, ...]
    op: Op
    value: str

    @property
    def path(self) -> str:
        """The field as written: names joined by dots."""
        return ".".join(self.field)


@dataclass(frozen=True)
class And:
    """All of the items hold (at least two items)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Any of the items holds (at least two items)."""

    items: tuple[Node, ...]


Node = Predicate | And | Or


def predicates(node: Node) -> Iterator[Predicate]:
    """Every predicate of the tree, left to right."""
    if isinstance(node, Predicate):
        yield node
    else:
        for item in node.items:
            yield from predicates(item)
