"""Paging: completeness, count and Link headers, limit clamping."""

from __future__ import annotations

import re

from rosterlab.conformance.checks.common import links
from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target

PAGING = "REST binding: pagination (limit, offset, X-Total-Count, Link)"
SMALL_PAGE = 7


@check("paging.complete", "Walking users by offset gives every record exactly once", PAGING, Level.MUST)
def every_record_once(target: Target) -> None:
    seen: list[str] = []
    offset = 0
    last = None
    while True:
        last = target.get("getAllUsers", {"limit": str(SMALL_PAGE), "offset": str(offset), "sort": "sourcedId"})
        if last.status != 200:
            raise last.fail(f"HTTP {last.status} while paging")
        page = last.body.get(target.key("getAllUsers"), []) if isinstance(last.body, dict) else []
        if not page:
            break
        seen += [record.get("sourcedId") for record in page]
        offset += len(page)
        if len(page) > SMALL_PAGE:
            raise last.fail(f"asked for {SMALL_PAGE} records, got {len(page)}")
    duplicates = {sid for sid in seen if seen.count(sid) > 1}
    if duplicates:
        raise last.fail(f"records seen twice while paging: {sorted(duplicates)[:5]}")
    total = last.response.headers.get("X-Total-Count")
    if total is not None and total.isdigit() and int(total) != len(seen):
        raise last.fail(f"X-Total-Count says {total}, paging gave {len(seen)} records")
    if set(seen) != {r["sourcedId"] for r in target.everything("getAllUsers")}:
        raise last.fail("paging by offset and the full pull disagree on which users exist")


@check("paging.total-count", "Collections carry X-Total-Count", PAGING, Level.SHOULD)
def total_count(target: Target) -> None:
    exchange = target.get("getAllUsers", {"limit": "1"})
    total = exchange.response.headers.get("X-Total-Count")
    if total is None or not total.isdigit():
        raise exchange.fail("no X-Total-Count header")
    if int(total) != len(target.everything("getAllUsers")):
        raise exchange.fail(f"X-Total-Count says {total}, the collection holds {len(target.everything('getAllUsers'))}")


@check("paging.link", "Link gives next (and last) pages that continue where the page ends", PAGING, Level.SHOULD)
def link_header(target: Target) -> None:
    users = target.everything("getAllUsers")
    if len(users) <= 2:
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
        last_offset = int(re.search(r"[?&]offset=(\d+)", found["last"]).group(1))
        if not (len(users) - 2 <= last_offset < len(users)) or last_offset % 2:
            raise exchange.fail(f"rel=last points at offset {last_offset} for {len(users)} records by 2")


@check("paging.limit-clamp", "A limit above the provider's maximum is clamped, not refused", PAGING, Level.SHOULD)
def limit_clamped(target: Target) -> None:
    exchange = target.get("getAllUsers", {"limit": "100000"})
    if exchange.status != 200:
        raise exchange.fail(f"limit=100000 answered HTTP {exchange.status}")


@check("paging.full-pages", "Pages before the last hold as many records as the limit asked", PAGING, Level.SHOULD)
def full_pages(target: Target) -> None:
    users = target.everything("getAllUsers")
    limit = 100
    if len(users) <= limit:
        raise NotApplicable(f"{len(users)} users fit in one page of {limit}")
    exchange = target.get("getAllUsers", {"limit": str(limit), "offset": "0"})
    page = exchange.body.get(target.key("getAllUsers"), []) if isinstance(exchange.body, dict) else []
    if len(page) != limit:
        raise exchange.fail(f"limit={limit} gave a first page of {len(page)} records, with more to come")
