"""Each record once: no sourcedId served twice in a collection, within a page or across pages."""

from __future__ import annotations

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.references import collections_of
from rosterlab.conformance.target import Target

IDENTITY = "Data model: a sourcedId identifies one object; a collection lists each object once"


@check("records.unique", "No sourcedId appears twice in a collection", IDENTITY, Level.MUST)
def unique_sourced_ids(target: Target) -> None:
    read = 0
    found = []
    for operation_id in collections_of(target.version).values():
        if not target.allows(operation_id):
            continue
        try:
            walked = target.sample(operation_id)
        except NotApplicable:
            continue
        read += len(walked.records)
        copies = walked.copies()
        if copies:
            found.append((operation_id, walked, copies))
    if not read:
        raise NotApplicable("no records to look at")
    if found:
        operation_id, walked, copies = found[0]
        sid, places = next(iter(copies.items()))
        first, again = walked.records[places[0]], walked.records[places[1]]
        differ = sorted(name for name in set(first) | set(again) if first.get(name) != again.get(name))
        summary = "; ".join(f"{op}: {len(c)} sourcedIds served more than once" for op, _, c in found)
        how = f"the copies differ in {differ}" if differ else "identical copies"
        where = "in one page" if walked.page_of[places[0]] == walked.page_of[places[1]] else "on two pages"
        raise walked.page_for(places[1]).fail(
            f"{summary}{target.bound()}. {sid!r} is served at places {places[0] + 1} and {places[1] + 1} of "
            f"{operation_id} ({where}; {how})",
            [{name: copy.get(name) for name in ("sourcedId", *differ)} for copy in (first, again)],
        )
