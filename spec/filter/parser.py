"""A recursive-descent parser for OneRoster filter expressions.

    filter     := or_expr END
    or_expr    := and_expr ( "OR" and_expr )*
    and_expr   := term ( "AND" term )*
    term       := "(" or_expr ")" | predicate
    predicate  := field operator value
    field      := name ( "." name )*          dotted paths are a rosterlab extension
    operator   := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"
    value      := "'" ( any character but "'" | "''" )* "'"

AND binds tighter than OR. The keywords are upper case, as the standard writes them.
"""

from __future__ import annotations

from rosterlab.spec.filter.ast import And, Node, Op, Or, Predicate
from rosterlab.spec.filter.errors import FilterError
from rosterlab.spec.filter.tokens import Token, TokenKind, tokenize

MAX_DEPTH = 32
MAX_PREDICATES = 100


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.count = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, reason: str, token: Token | None = None) -> FilterError:
        return FilterError(reason, self.text, (token or self.current).position)

    def parse(self) -> Node:
        if self.current.kind is TokenKind.END:
            raise self.fail("the filter is empty")
        node = self.or_expr()
        if self.current.kind is not TokenKind.END:
            raise self.fail(self.unexpected_after_term())
        return node

    def unexpected_after_term(self) -> str:
        token = self.current
        if token.kind is TokenKind.RPAREN:
            return "unbalanced ')': no '(' is open"
        if token.kind is TokenKind.NAME and token.text.upper() in ("AND", "OR"):
            return f"logical operators are upper case: {token.text.upper()}, not {token.text}"
        return f"expected AND, OR or the end of the filter, found {self.describe(token)}"

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.current.kind is TokenKind.OR:
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.term()]
        while self.current.kind is TokenKind.AND:
            self.advance()
            items.append(self.term())
        return items[0] if len(items) == 1 else And(tuple(items))

    def term(self) -> Node:
        if self.current.kind is not TokenKind.LPAREN:
            return self.predicate()
        opening = self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"parentheses are nested more than {MAX_DEPTH} deep", opening)
        node = self.or_expr()
        if self.current.kind is not TokenKind.RPAREN:
            if self.current.kind is TokenKind.END:
                raise self.fail("unbalanced '(': the closing ')' is missing", opening)
            raise self.fail(self.unexpected_after_term())
        self.advance()
        self.depth -= 1
        return node

    def predicate(self) -> Predicate:
        field = self.field()
        operator = self.current
        if operator.kind is not TokenKind.OPERATOR:
            raise self.fail(
                f"expected a comparison (=, !=, >, >=, <, <=, ~) after {'.'.join(field)!r}, "
                f"found {self.describe(operator)}"
            )
        self.advance()
        value = self.current
        if value.kind is not TokenKind.VALUE:
            raise self.fail(f"expected a value in single quotes after {operator.text!r}, found {self.describe(value)}")
        self.advance()
        self.count += 1
        if self.count > MAX_PREDICATES:
            raise self.fail(f"a filter may hold at most {MAX_PREDICATES} comparisons", value)
        return Predicate(field, Op(operator.text), value.text)

    def field(self) -> tuple[str, ...]:
        token = self.current
        if token.kind is not TokenKind.NAME:
            raise self.fail(f"expected a field name, found {self.describe(token)}")
        names = [self.advance().text]
        while self.current.kind is TokenKind.DOT:
            self.advance()
            if self.current.kind is not TokenKind.NAME:
                raise self.fail(f"expected a field name after '.', found {self.describe(self.current)}")
            names.append(self.advance().text)
        return tuple(names)

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind is TokenKind.END:
            return "the end of the filter"
        if token.kind is TokenKind.VALUE:
            return f"the value '{token.text}'"
        return repr(token.text)


def parse(text: str) -> Node:
    """Parse a filter expression (already URL-decoded) into its tree; raise FilterError if malformed."""
    return _Parser(text).parse()
