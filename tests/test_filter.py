"""The filter grammar: round trips, clear rejections, and no crash on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosterlab.spec.filter import And, FilterError, Op, Or, Predicate, baseline_violations, parse, to_text
from tests.strategies import filter_trees


@given(filter_trees)
@settings(max_examples=2000)
def test_tree_to_text_to_tree_is_the_identity(tree):
    assert parse(to_text(tree)) == tree


@given(filter_trees)
def test_canonical_text_is_stable(tree):
    text = to_text(tree)
    assert to_text(parse(text)) == text


@given(st.text())
@settings(max_examples=10_000)
def test_arbitrary_text_parses_or_fails_cleanly(text):
    try:
        tree = parse(text)
    except FilterError as error:
        assert 0 <= error.position <= len(text)
        assert error.reason
    else:
        assert parse(to_text(tree)) == tree


@given(st.text(alphabet="()'=!<>~ .,\tANDORand_xy1", max_size=60))
@settings(max_examples=10_000)
def test_filter_like_text_parses_or_fails_cleanly(text):
    try:
        parse(text)
    except FilterError as error:
        assert 0 <= error.position <= len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("familyName='jones'", Predicate(("familyName",), Op.EQ, "jones")),
        ("familyName = 'jones'", Predicate(("familyName",), Op.EQ, "jones")),
        ("familyName='O''Brien'", Predicate(("familyName",), Op.EQ, "O'Brien")),
        ("title~'math, grade 5'", Predicate(("title",), Op.CONTAINS, "math, grade 5")),
        ("dateLastModified>='2024-01-01'", Predicate(("dateLastModified",), Op.GE, "2024-01-01")),
        ("school.sourcedId!='s1'", Predicate(("school", "sourcedId"), Op.NE, "s1")),
        ("a<'1' AND b<='2'", And((Predicate(("a",), Op.LT, "1"), Predicate(("b",), Op.LE, "2")))),
        (
            "a='1' OR b='2' AND c='3'",
            Or(
                (
                    Predicate(("a",), Op.EQ, "1"),
                    And((Predicate(("b",), Op.EQ, "2"), Predicate(("c",), Op.EQ, "3"))),
                )
            ),
        ),
        (
            "(a='1' OR b='2') AND c='3'",
            And(
                (
                    Or((Predicate(("a",), Op.EQ, "1"), Predicate(("b",), Op.EQ, "2"))),
                    Predicate(("c",), Op.EQ, "3"),
                )
            ),
        ),
        ("status=''", Predicate(("status",), Op.EQ, "")),
    ],
)
def test_parses_the_grammar(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("", "the filter is empty", 0),
        ("   ", "the filter is empty", 3),
        ("familyName='jones", "unterminated value", 11),
        ("familyName=jones", "expected a value in single quotes after '='", 11),
        ('familyName="jones"', "values are enclosed in single quotes", 11),
        ("familyName 'jones'", "expected a comparison", 11),
        ("='jones'", "expected a field name", 0),
        ("a='1' and b='2'", "logical operators are upper case: AND", 6),
        ("a='1' AND", "expected a field name, found the end of the filter", 9),
        ("a='1' b='2'", "expected AND, OR or the end of the filter", 6),
        ("(a='1'", "unbalanced '('", 0),
        ("a='1')", "unbalanced ')'", 5),
        ("a.='1'", "expected a field name after '.'", 2),
        ("a=='1'", "expected a value in single quotes after '='", 2),
        ("a='1' AND AND b='2'", "expected a field name, found 'AND'", 10),
        ("a=>'1'", "expected a value in single quotes after '='", 2),
        ("a$='1'", "unexpected character '$'", 1),
        ("(" * 40 + "a='1'" + ")" * 40, "nested more than 32 deep", 32),
        (" OR ".join(["a='1'"] * 101), "at most 100 comparisons", 100 * len("a='1' OR ") + 2),
    ],
)
def test_rejects_malformed_filters_saying_where_and_why(text, reason, position):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert reason in caught.value.reason
    assert caught.value.position == position
    assert caught.value.pointer().splitlines()[-1] == " " * position + "^"


def test_baseline_filters_have_no_violations():
    assert baseline_violations(parse("familyName='jones' AND dateLastModified>'2015-01-01'")) == []
    assert baseline_violations(parse("status='active'")) == []


def test_extensions_are_reported_against_the_baseline():
    reasons = baseline_violations(parse("(a='1' OR b='2') AND c.d='3'"))
    assert len(reasons) == 3
    assert "3 comparisons" in reasons[0]
    assert "c.d" in reasons[2]
