"""Split a filter expression into tokens: names, dots, operators, quoted values, AND, OR, parentheses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rosterlab.spec.filter.errors import FilterError

OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")  # two-character operators first
KEYWORDS = ("AND", "OR")


class TokenKind(StrEnum):
    NAME = "name"
    DOT = "dot"
    OPERATOR = "operator"
    VALUE = "value"
    AND = "AND"
    OR = "OR"
    LPAREN = "("
    RPAREN = ")"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # for VALUE: the unquoted value, with '' turned back into '
    position: int


def _is_name_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_")


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _read_value(text: str, start: int) -> tuple[str, int]:
    """Read a single-quoted value starting at `start`; return it and the position after it."""
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        if text[index] == "'":
            if text.startswith("''", index):
                chars.append("'")
                index += 2
                continue
            return "".join(chars), index + 1
        chars.append(text[index])
        index += 1
    raise FilterError("unterminated value: the closing quote (') is missing", text, start)


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an END token."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == "'":
            value, after = _read_value(text, index)
            tokens.append(Token(TokenKind.VALUE, value, index))
            index = after
        elif _is_name_start(char):
            end = index
            while end < len(text) and _is_name_char(text[end]):
                end += 1
            word = text[index:end]
            kind = TokenKind(word) if word in KEYWORDS else TokenKind.NAME
            tokens.append(Token(kind, word, index))
            index = end
        elif char == ".":
            tokens.append(Token(TokenKind.DOT, char, index))
            index += 1
        elif char in "()":
            tokens.append(Token(TokenKind(char), char, index))
            index += 1
        else:
            operator = next((op for op in OPERATORS if text.startswith(op, index)), None)
            if operator is None:
                hint = "; values are enclosed in single quotes" if char == '"' else ""
                raise FilterError(f"unexpected character {char!r}{hint}", text, index)
            tokens.append(Token(TokenKind.OPERATOR, operator, index))
            index += len(operator)
    tokens.append(Token(TokenKind.END, "", len(text)))
    return tokens
