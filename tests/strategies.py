"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

from rosterlab.spec.filter import And, Op, Or, Predicate

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(lambda n: n not in ("AND", "OR"))
field_paths = st.lists(names, min_size=1, max_size=3).map(tuple)
predicates = st.builds(Predicate, field_paths, st.sampled_from(list(Op)), st.text(max_size=20))


def _compound(children):
    items = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(items.map(And), items.map(Or))


filter_trees = st.recursive(predicates, _compound, max_leaves=12)
