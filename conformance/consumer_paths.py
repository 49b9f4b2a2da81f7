"""Which OneRoster operation a logged request was: its method and path matched against spec/'s endpoints."""

from __future__ import annotations

import re
from functools import cache

from rosterlab.spec.endpoints import Operation, base_path, operations
from rosterlab.spec.model import Version


@cache
def _patterns() -> list[tuple[re.Pattern[str], str, int, Operation, Version]]:
    found = []
    for version in Version:
        for op in operations(version):
            path = base_path(version, op.service()) + op.path
            literal = sum(1 for part in path.split("/") if part and not part.startswith("{"))
            pattern = re.compile(re.sub(r"\{\w+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")))
            found.append((pattern, op.method.upper(), literal, op, version))
    return sorted(found, key=lambda item: -item[2])  # the most literal first: /users/x/classes before /users/x


def operation_of(method: str, path: str) -> tuple[Operation, Version] | None:
    """The operation (and version) a request was, or None for anything else (the token endpoint, ...)."""
    for pattern, verb, _, op, version in _patterns():
        if verb == method.upper() and pattern.fullmatch(path):
            return op, version
    return None
