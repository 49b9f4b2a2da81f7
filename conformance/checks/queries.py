"""filter, sort and fields, checked against a client-side evaluation of the same data; booleans' form."""

from __future__ import annotations

from itertools import pairwise

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target
from rosterlab.spec.entities import model_for
from rosterlab.spec.filter import parse, quote
from rosterlab.spec.filter.evaluate import compile_filter

FILTERING = "REST binding: filtering (the filter parameter's operators and logical joins)"
SORTING = "REST binding: sorting (sort, orderBy)"
FIELDS = "REST binding: field selection (fields)"
BOOLEANS = "1.2 data model: booleans are the strings true/false (1.1: JSON booleans)"


def _compare(target: Target, text: str) -> None:
    users = target.everything("getAllUsers")
    entity = model_for(target.version).entity("user")
    keep = compile_filter(parse(text), entity, target.version)
    expected = {u["sourcedId"] for u in users if keep(u)}
    walked = target.walk("getAllUsers", {"filter": text})
    got = {record.get("sourcedId") for record in walked.records}
    if got != expected:
        missing, extra = sorted(expected - got)[:3], sorted(got - expected, key=str)[:3]
        wrong = next((u for u in users if u["sourcedId"] in missing[:1]), None)
        wrong = wrong or next((r for r in walked.records if r.get("sourcedId") in extra[:1]), None)
        raise walked.last.fail(
            f"filter {text!r}: {len(got)} records, {len(expected)} expected; missing {missing}, extra {extra}", wrong
        )


def _family_name(target: Target) -> str:
    names = sorted({u.get("familyName") for u in target.everything("getAllUsers") if u.get("familyName")})
    if not names:
        raise NotApplicable("no user has a familyName to filter on")
    return names[len(names) // 2]


@check("filter.operators", "Each comparison operator selects what the standard says", FILTERING, Level.MUST)
def operators(target: Target) -> None:
    name = quote(_family_name(target))
    for op in ("=", "!=", ">", ">=", "<", "<="):
        _compare(target, f"familyName{op}{name}")
    _compare(target, f"familyName~{quote(_family_name(target)[:2])}")


@check("filter.logical", "AND and OR join predicates", FILTERING, Level.MUST)
def logical(target: Target) -> None:
    name = quote(_family_name(target))
    _compare(target, f"familyName={name} AND status='active'")
    _compare(target, f"familyName={name} OR familyName>{name}")


@check("filter.total-count", "X-Total-Count counts the records that match the filter", FILTERING, Level.SHOULD)
def filtered_total(target: Target) -> None:
    text = f"familyName={quote(_family_name(target))}"
    exchange = target.get("getAllUsers", {"filter": text, "limit": "1"})
    total = exchange.response.headers.get("X-Total-Count")
    if total is None:
        raise NotApplicable("the provider sends no X-Total-Count (see paging.total-count)")
    entity = model_for(target.version).entity("user")
    keep = compile_filter(parse(text), entity, target.version)
    expected = sum(1 for u in target.collection("getAllUsers").records if keep(u))  # copies counted as served
    if int(total) != expected:
        raise exchange.fail(f"X-Total-Count is {total} for a filter that matches {expected} records")


@check("sort.order", "sort=familyName returns users in that order", SORTING, Level.SHOULD)
def sort_order(target: Target) -> None:
    walked = target.walk("getAllUsers", {"sort": "familyName", "orderBy": "asc"})
    firsts = walked.unique()  # a copy served again later is records.unique's to report
    for before, after in pairwise(firsts):
        if (before.get("familyName") or "") > (after.get("familyName") or ""):
            raise walked.last.fail(
                f"users are not in familyName order: {before.get('familyName')!r} ({before.get('sourcedId')}) "
                f"comes before {after.get('familyName')!r} ({after.get('sourcedId')})",
                [before, after],
            )


@check("fields.selection", "fields=sourcedId,givenName returns only those fields", FIELDS, Level.SHOULD)
def field_selection(target: Target) -> None:
    target.some("getAllUsers")
    exchange = target.get("getAllUsers", {"fields": "sourcedId,givenName", "limit": "5"})
    if exchange.status != 200:
        raise exchange.fail(f"HTTP {exchange.status}")
    for record in target.records(exchange, "getAllUsers") or []:
        if not set(record) <= {"sourcedId", "givenName"}:
            beyond = sorted(set(record) - {"sourcedId", "givenName"})
            raise exchange.fail(f"fields beyond the selection: {beyond}", record)


@check("booleans.form", "Booleans are written as the version says", BOOLEANS, Level.MUST)
def boolean_form(target: Target) -> None:
    users = [u for u in target.everything("getAllUsers") if "enabledUser" in u]
    if not users:
        raise NotApplicable("no user carries enabledUser")
    wanted = str if target.version == "1.2" else bool
    wrong = [u["sourcedId"] for u in users if not isinstance(u["enabledUser"], wanted)]
    if wrong:
        exchange = target.get("getUser", sourcedId=wrong[0])
        form = "strings" if wanted is str else "JSON booleans"
        record = target.single(exchange, "getUser")
        raise exchange.fail(f"{len(wrong)} users' enabledUser is not written as {form} in {target.version}", record)
