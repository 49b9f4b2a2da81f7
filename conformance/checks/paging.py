"""Paging: completeness, count and Link headers, limit clamping."""

from __future__ import annotations

import re

from rosterlab.conformance.checks.common import links
from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target

PAGING = "REST binding: pagination (limit, offset, X-Total-Count, Link)"
SMALL_PAGE = 7


@check("paging.complete", "Walking users by offset in small pages gives every record", PAGING, Level.MUST)
def every_record(target: Target) -> None:
    walked = target.walk("getAllUsers", {"sort": "sourcedId"}, limit=SMALL_PAGE)
    for exchange in walked.pages:
        served = len(target.page(exchange, "getAllUsers"))
        if served > SMALL_PAGE:
            raise exchange.fail(f"asked for {SMALL_PAGE} records, got {served}")
    whole = target.collection("getAllUsers")
    if walked.total is not None and walked.total != len(walked.records):
        raise walked.last.fail(f"X-Total-Count says {walked.total}, paging gave {len(walked.records)} records")
    expected = {r.get("sourcedId") for r in whole.records}
    got = {r.get("sourcedId") for r in walked.records}
    if got != expected:
        skipped = sorted(expected - got, key=str)
        if skipped:
            record = next(r for r in whole.records if r.get("sourcedId") == skipped[0])
            raise walked.last.fail(
                f"{len(skipped)} users never served while paging by {SMALL_PAGE}: {skipped[:5]}", record
            )
        extra = sorted(got - expected, key=str)
        raise walked.last.fail(f"paging served users the full read does not hold: {extra[:5]}")


@check("paging.total-count", "Collections carry X-Total-Count", PAGING, Level.SHOULD)
def total_count(target: Target) -> None:
    exchange = target.get("getAllUsers", {"limit": "1"})
    total = exchange.response.headers.get("X-Total-Count")
    if total is None or not total.isdigit():
        raise exchange.fail("no X-Total-Count header")
    served = len(target.collection("getAllUsers").records)
    if int(total) != served:
        raise exchange.fail(f"X-Total-Count says {total}, walking the collection served {served} records")


@check("paging.link", "Link gives next (and last) pages that continue where the page ends", PAGING, Level.SHOULD)
def link_header(target: Target) -> None:
    served = len(target.collection("getAllUsers").records)
    if served <= 2:
        raise NotApplicable("fewer than three users: no next page to link to")
    exchange = target.get("getAllUsers", {"limit": "2", "offset": "0"})
    header = exchange.response.headers.get("Link")
    if not header:
        raise exchange.fail("no Link header although more records follow")
    if header.rstrip().endswith(","):
        raise exchange.fail("the Link header ends with a stray comma")
    found = links(exchange)
    if "next" not in found or not re.search(r"[?&]offset=2(&|$)", found["next"]):
        raise exchange.fail(f"rel=next should continue at offset 2: {header}")
    if "last" in found:
        at = re.search(r"[?&]offset=(\d+)", found["last"])
        last_offset = int(at.group(1)) if at else -1
        if not (served - 2 <= last_offset < served) or last_offset % 2:
            raise exchange.fail(f"rel=last points at offset {last_offset} for {served} records by 2")


@check("paging.limit-clamp", "A limit above the provider's maximum is clamped, not refused", PAGING, Level.SHOULD)
def limit_clamped(target: Target) -> None:
    exchange = target.get("getAllUsers", {"limit": "100000"})
    if exchange.status != 200:
        raise exchange.fail(f"limit=100000 answered HTTP {exchange.status}")


@check("paging.full-pages", "Pages before the last hold as many records as the limit asked", PAGING, Level.SHOULD)
def full_pages(target: Target) -> None:
    served = len(target.collection("getAllUsers").records)
    limit = 100
    if served <= limit:
        raise NotApplicable(f"{served} users fit in one page of {limit}")
    exchange = target.get("getAllUsers", {"limit": str(limit), "offset": "0"})
    page = target.records(exchange, "getAllUsers") or []
    if len(page) != limit:
        raise exchange.fail(f"limit={limit} gave a first page of {len(page)} records, with more to come")
