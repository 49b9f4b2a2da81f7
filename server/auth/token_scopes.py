"""The scopes a token request names, and which version's operations a token's scopes grant.

A scope is asked for by its URI (`https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly`) or by its
short name (`roster.readonly`). A URI grants its scope in its own version only; a short name, or a token
requested with no scope, grants it in every version that has it. Anything else is unknown: never granted,
never echoed back. A token stores each granted scope as `slug/name` (a URI's) or `name` (both versions).
"""

from __future__ import annotations

from rosterlab.spec import scopes as sc
from rosterlab.spec.model import Version

PREFIX = "https://purl.imsglobal.org/spec/or/"


def parse(text: str) -> tuple[Version | None, str] | None:
    """(the version a scope URI names, or None for a short name; the short name), or None when unknown."""
    if "/" not in text:
        return (None, text) if text in sc.DESCRIPTIONS else None
    for version in Version:
        head = f"{PREFIX}{version.slug}/scope/"
        if text.startswith(head) and text[len(head) :] in sc.SCOPES_BY_VERSION[version]:
            return version, text[len(head) :]
    return None


def stored(version: Version | None, name: str) -> str:
    """How a token keeps a granted scope."""
    return name if version is None else f"{version.slug}/{name}"


def echoed(version: Version | None, name: str) -> str:
    """How a token response names a granted scope: as asked (a URI in its canonical form, or a short name)."""
    return name if version is None else sc.scope_uri(version, name)


def granted_in(entries: str, version: Version) -> frozenset[str]:
    """The short names of a token's stored scopes that grant operations of `version`."""
    names = set()
    for entry in entries.split():
        slug, _, name = entry.rpartition("/")
        if not slug or slug == version.slug:
            names.add(name)
    return frozenset(names)
