"""OAuth 2.0 scopes of OneRoster 1.1 and 1.2.

An operation lists the scopes that grant it; any one of them suffices (the 1.2 OpenAPI files list two
scopes in one requirement object, which strict OpenAPI reads as "both", but the scope descriptions and
certified providers read as "either").
"""

from rosterlab.spec.model import Version

ROSTER = "roster.readonly"
ROSTER_CORE = "roster-core.readonly"
ROSTER_DEMOGRAPHICS = "roster-demographics.readonly"
GRADEBOOK = "gradebook.readonly"
GRADEBOOK_CORE = "gradebook-core.readonly"
GRADEBOOK_PUT = "gradebook.createput"
GRADEBOOK_POST = "gradebook.createpost"
GRADEBOOK_DELETE = "gradebook.delete"
ASSESSMENT = "assessment.readonly"
ASSESSMENT_PUT = "assessment.createput"
ASSESSMENT_DELETE = "assessment.delete"
RESOURCE = "resource.readonly"
RESOURCE_CORE = "resource-core.readonly"

DESCRIPTIONS: dict[str, str] = {
    ROSTER: "Every rostering read, collections, single objects and nested, except demographics.",
    ROSTER_CORE: "The core rostering reads: every collection and single object, nothing nested.",
    ROSTER_DEMOGRAPHICS: "Reading demographics.",
    GRADEBOOK: "Every gradebook read.",
    GRADEBOOK_CORE: "The core gradebook reads: every collection and single object, nothing nested.",
    GRADEBOOK_PUT: "Creating and replacing gradebook objects whose sourcedId the client supplies.",
    GRADEBOOK_POST: "Creating gradebook objects whose sourcedIds the server allocates.",
    GRADEBOOK_DELETE: "Deleting gradebook objects.",
    ASSESSMENT: "Every assessment read.",
    ASSESSMENT_PUT: "Creating and replacing assessment objects whose sourcedId the client supplies.",
    ASSESSMENT_DELETE: "Deleting assessment objects.",
    RESOURCE: "Every resources read.",
    RESOURCE_CORE: "The core resources reads: the collection and single resources.",
}

SCOPES_BY_VERSION: dict[Version, tuple[str, ...]] = {
    Version.V1P2: tuple(DESCRIPTIONS),
    Version.V1P1: (
        ROSTER,
        ROSTER_CORE,
        ROSTER_DEMOGRAPHICS,
        GRADEBOOK,
        GRADEBOOK_PUT,
        GRADEBOOK_DELETE,
        RESOURCE,
    ),
}


def scope_uri(version: Version | str, name: str) -> str:
    """The full URI of a scope, e.g. `https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly`."""
    return f"https://purl.imsglobal.org/spec/or/{Version(version).slug}/scope/{name}"


def scope_name(uri: str) -> str:
    """The short name of a scope URI (the part after `/scope/`); a short name is returned unchanged."""
    return uri.rsplit("/scope/", 1)[-1]


# Scopes that grant a whole family; a narrower one is preferred when it grants the same operation.
UMBRELLAS = frozenset({ROSTER, GRADEBOOK, RESOURCE, ASSESSMENT})


def least_scopes(version: Version | str, operation_scopes: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The narrowest scopes granting every operation, given each operation's granting scopes (short names)."""
    available = SCOPES_BY_VERSION[Version(version)]
    chosen: list[str] = []
    for granting in operation_scopes:
        usable = [name for name in granting if name in available]
        if not usable or any(name in chosen for name in usable):
            continue
        narrow = [name for name in usable if name not in UMBRELLAS]
        chosen.append((narrow or usable)[0])
    return tuple(chosen)
