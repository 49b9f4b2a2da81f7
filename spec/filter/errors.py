"""Errors of the filter grammar, each pointing at the place in the text where it arose."""

from __future__ import annotations


class FilterError(ValueError):
    """A filter that cannot be parsed: says why, and where (a zero-based character position)."""

    def __init__(self, reason: str, text: str, position: int) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        super().__init__(f"{reason} (at character {position + 1})")

    def pointer(self) -> str:
        """The filter text with a caret under the offending position, for terminals and logs."""
        return f"{self.text}\n{' ' * self.position}^"
