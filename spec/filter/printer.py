"""Write a filter tree back as text that `parse` reads as the same tree."""

from __future__ import annotations

from rosterlab.spec.filter.ast import And, Node, Or, Predicate


def quote(value: str) -> str:
    """A value in single quotes, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def _item(node: Node, parent: type[And] | type[Or]) -> str:
    text = to_text(node)
    # AND binds tighter than OR, so an AND inside an OR needs no parentheses; any other nested
    # group keeps its own, so that the tree reads back exactly as it was.
    if isinstance(node, Predicate) or (parent is Or and isinstance(node, And)):
        return text
    return f"({text})"


def to_text(node: Node) -> str:
    """The canonical text of a filter tree, e.g. `familyName='O''Brien' AND status='active'`."""
    if isinstance(node, Predicate):
        return f"{node.path}{node.op.value}{quote(node.value)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_item(item, type(node)) for item in node.items)
