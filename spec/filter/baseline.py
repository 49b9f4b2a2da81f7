"""What of a filter goes beyond the baseline grammar that every OneRoster provider must accept.

The standard's baseline is one or two comparisons on plain field names joined by one AND or OR. rosterlab
parses more (any number of comparisons, parentheses, dotted paths); a conformance check or a strict
provider profile can use this to hold a filter to the baseline.
"""

from __future__ import annotations

from rosterlab.spec.filter.ast import Node, Predicate, predicates


def baseline_violations(node: Node) -> list[str]:
    """Reasons why the filter is not baseline OneRoster (empty when it is)."""
    reasons = []
    found = list(predicates(node))
    if len(found) > 2:
        reasons.append(f"{len(found)} comparisons; the baseline allows at most two")
    if not isinstance(node, Predicate) and any(not isinstance(item, Predicate) for item in node.items):
        reasons.append("grouped or mixed AND/OR; the baseline allows one logical operator")
    dotted = sorted({p.path for p in found if len(p.field) > 1})
    if dotted:
        listed = ", ".join(dotted)
        reasons.append(f"dotted field paths ({listed}); the baseline allows plain field names")
    return reasons
