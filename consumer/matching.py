"""Match keys: how a provider's user is recognised as one already held, even when its sourcedId changed.

Districts re-key users when they change SIS or re-import; an application that keyed its accounts on the
sourcedId would then see every user deleted and created again. A match key names a field that stays:
`sourcedId` (the default), `email`, `username` (with an optional suffix, e.g. "@district.org", for
uniqueness across tenants), `identifier`, or `userIds:TYPE` (the identifier of that type in `userIds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MATCH_KEYS = ("sourcedId", "email", "username", "identifier")


@dataclass(frozen=True)
class MatchKey:
    """Which field identifies a user across syncs."""

    key: str = "sourcedId"
    username_suffix: str = ""

    def __post_init__(self) -> None:
        if self.key not in MATCH_KEYS and not (self.key.startswith("userIds:") and len(self.key) > len("userIds:")):
            raise ValueError(f"unknown match key {self.key!r}: use one of {', '.join(MATCH_KEYS)} or userIds:TYPE")

    def value(self, user: dict[str, Any]) -> str | None:
        """The user's value of the key (case-folded where case does not matter), or None when it has none."""
        if self.key.startswith("userIds:"):
            wanted = self.key.split(":", 1)[1]
            found = [u.get("identifier") for u in user.get("userIds") or [] if u.get("type") == wanted]
            return found[0] if found and found[0] else None
        value = user.get(self.key)
        if not value:
            return None
        if self.key == "username":
            return (str(value) + self.username_suffix).casefold()
        return str(value).casefold() if self.key == "email" else str(value)
