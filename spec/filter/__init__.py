"""The OneRoster filter grammar: `parse` text into a tree, `to_text` it back."""

from rosterlab.spec.filter.ast import And, Node, Op, Or, Predicate, predicates
from rosterlab.spec.filter.baseline import baseline_violations
from rosterlab.spec.filter.errors import FilterError
from rosterlab.spec.filter.parser import parse
from rosterlab.spec.filter.printer import quote, to_text

__all__ = [
    "And",
    "FilterError",
    "Node",
    "Op",
    "Or",
    "Predicate",
    "baseline_violations",
    "parse",
    "predicates",
    "quote",
    "to_text",
]
