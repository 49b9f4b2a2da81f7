"""A report on a consumer: how a client that synced against the mock behaved, graded from the mock's request
log (`rosterlab serve --record-requests`). Each criterion is a plain function of the client's requests, in the
order they came; what the mock itself caused (its choice of authentication methods, a redirect) is never held
against the client, and a criterion with nothing to judge is skipped, not passed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, select

from rosterlab.conformance.consumer_paths import operation_of
from rosterlab.conformance.consumer_pulls import Pull, pulls
from rosterlab.server.request_log import ensure_table, requests
from rosterlab.spec.entities import model_for
from rosterlab.spec.model import Field, Kind, Nested, Scalar
from rosterlab.spec.scopes import scope_name

SIGNATURE_MISMATCH = "signature does not match"  # the mock's reason for a signature that does not cover the request
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
REFRESH_MARGIN = 60.0  # seconds before a token's expiry in which fetching the next one is fair


@dataclass
class Grade:
    id: str
    title: str
    status: str  # pass, fail or skip
    detail: str = ""


def _span(start: int, end: int) -> str:
    return f"{start}-{end - 1}" if end - start > 1 else str(start)


def _judged(rows: list[Any]) -> list[Pull]:
    """The last pull of each collection and filter: an earlier one that was started again is not judged."""
    last: dict[tuple[str, str], Pull] = {}
    for pull in pulls(rows):
        last[(pull.path, pull.filter)] = pull
    return list(last.values())


def complete_pulls(rows: list[Any]) -> Grade:
    title = "Every collection it read, it read to the end"
    judged = _judged(rows)
    if not judged:
        return Grade("consumer.complete-pulls", title, "skip", "no collection reads")
    short = []
    for pull in judged:
        if pull.complete():
            continue
        name = pull.path.rsplit("/", 1)[-1] + (f" (filter {pull.filter})" if pull.filter else "")
        gaps = ", ".join(_span(a, b) for a, b in pull.missing()[:3])
        if pull.total is not None:
            short.append(f"{name}: read {pull.read()} of {pull.total}; places {gaps} never read")
        else:
            short.append(f"{name}: stopped after {pull.read()} records without an empty page or a total")
    status = "fail" if short else "pass"
    return Grade("consumer.complete-pulls", title, status, "; ".join(short[:4]) or f"{len(judged)} collections")


def stable_order(rows: list[Any]) -> Grade:
    title = "It pages in one stable order (the same sort on every page of a pull)"
    paged = [pull for pull in pulls(rows) if len(pull.pages) > 1]
    if not paged:
        return Grade("consumer.stable-order", title, "skip", "it never asked for a second page")
    changed = []
    for pull in paged:
        orders = list(dict.fromkeys(pull.orders()))
        if len(orders) > 1:
            shown = " then ".join(f"sort={s or '(none)'}" + (f"&orderBy={o}" if o else "") for s, o in orders)
            changed.append(f"{pull.path.rsplit('/', 1)[-1]}: {shown}")
    if changed:
        return Grade("consumer.stable-order", title, "fail", "the order changed mid-pull: " + "; ".join(changed[:3]))
    unsorted = any(not sort for pull in paged for sort, _ in pull.orders())
    return Grade("consumer.stable-order", title, "pass",
                 "relies on the provider's default order, which the mock keeps stable" if unsorted else "")  # fmt: skip


def honours_retry_after(rows: list[Any]) -> Grade:
    title = "It waits as long as Retry-After says"
    busy = [(i, r) for i, r in enumerate(rows) if r.status in (429, 503) and (r.retry_after or "").isdigit()]
    if not busy:
        return Grade("consumer.retry-after", title, "skip", "it was never asked to wait")
    early = []
    for i, r in busy:  # the retry is the next request for the same thing (other requests may run meanwhile)
        following = next((n for n in rows[i + 1 :] if (n.method, n.path, n.query) == (r.method, r.path, r.query)), None)
        if following is not None and following.at - r.at < 0.9 * int(r.retry_after):
            early.append(f"{r.path}: came back after {following.at - r.at:.2f} s, asked {r.retry_after} s")
    return Grade(
        "consumer.retry-after", title, "fail" if early else "pass", "; ".join(early[:3]) or f"{len(busy)} waits"
    )


def no_blind_write_retries(rows: list[Any]) -> Grade:
    title = "It never repeats a non-idempotent write after a failure"
    posts = [r for r in rows if r.method == "POST" and r.body_hash is not None and r.scope_asked is None]
    if not posts:
        return Grade("consumer.no-blind-write-retries", title, "skip", "it sent no POST")
    repeated = []
    failed: set[tuple[str, str]] = set()
    for r in posts:
        key = (r.path, r.body_hash)
        if key in failed:
            repeated.append(r.path)
        if r.status == 0 or r.status == 429 or r.status >= 500:
            failed.add(key)
    return Grade("consumer.no-blind-write-retries", title, "fail" if repeated else "pass",
                 f"POST repeated after a failure: {sorted(set(repeated))}" if repeated else "")  # fmt: skip


def _tokens(rows: list[Any]) -> list[Any]:
    return [r for r in rows if r.scope_asked is not None and r.status == 200]


def least_scope(rows: list[Any]) -> Grade:
    title = "It asks for the least scope it needs"
    tokens = _tokens(rows)
    if not tokens:
        return Grade("consumer.least-scope", title, "skip", "no OAuth 2.0 token requests")
    if any(not r.scope_asked.strip() for r in tokens):
        return Grade("consumer.least-scope", title, "fail", "asked for no scope: the token carries every scope the "
                     "client has")  # fmt: skip
    asked = {scope_name(part) for r in tokens for part in r.scope_asked.split()}
    used: set[str] = set()
    for r in rows:
        found = operation_of(r.method, r.path) if r.scope_asked is None else None
        if found is not None:
            used.update(found[0].scopes)
    unused = sorted(asked - used)
    if unused:
        return Grade("consumer.least-scope", title, "fail", f"asked for scopes it never used: {', '.join(unused)}")
    return Grade("consumer.least-scope", title, "pass", f"asked for {', '.join(sorted(asked))}")


def reuses_tokens(rows: list[Any]) -> Grade:
    title = "It reuses a token until it is about to expire"
    tokens = _tokens(rows)
    if not tokens:
        return Grade("consumer.token-reuse", title, "skip", "no OAuth 2.0 token requests")
    early = []
    for before, after in pairwise(tokens):
        lifetime = before.token_lifetime
        if lifetime is None or set(after.scope_asked.split()) != set(before.scope_asked.split()):
            continue  # a token without a stated expiry, or one for another scope
        refused = any(r.status == 401 and before.id < r.id < after.id for r in rows)
        if not refused and after.at - before.at < lifetime - min(REFRESH_MARGIN, lifetime / 2):
            early.append(after.at - before.at)
    used = sum(1 for r in rows if r.scope_asked is None)
    if early:
        return Grade("consumer.token-reuse", title, "fail",
                     f"{len(early)} of {len(tokens)} tokens fetched while the last was valid (the first "
                     f"{early[0]:.1f} s after it) for {used} requests")  # fmt: skip
    return Grade("consumer.token-reuse", title, "pass", f"{len(tokens)} token(s) for {used} requests")


def uses_deltas(rows: list[Any]) -> Grade:
    title = "Repeated syncs ask only for changes (dateLastModified filters)"
    users = [p for p in pulls(rows) if p.path.endswith("/users")]
    if len(users) < 2:
        return Grade("consumer.deltas", title, "skip", "it read users once")
    delta = any("dateLastModified" in p.filter for p in users)
    return Grade("consumer.deltas", title, "pass" if delta else "fail",
                 "" if delta else f"{len(users)} full pulls of users, none filtered by dateLastModified")  # fmt: skip


def signs_everything(rows: list[Any]) -> Grade:
    title = "Its OAuth 1.0a signatures cover every query parameter"
    signed = [(i, r) for i, r in enumerate(rows) if r.auth == "oauth1"]
    if not signed:
        return Grade("consumer.signatures", title, "skip", "no OAuth 1.0a requests")
    refused = []
    for i, r in signed:
        if r.status != 401 or SIGNATURE_MISMATCH not in (r.reason or ""):
            continue  # a 401 for another reason (OAuth 1.0a not taken there, a stale timestamp) is not this
        if i and 300 <= rows[i - 1].status < 400:
            continue  # signed for the URL it asked, then sent where the mock redirected it
        refused.append(f"{r.path}?{r.query}")
    return Grade("consumer.signatures", title, "fail" if refused else "pass",
                 "; ".join(refused[:3]) or f"{len(signed)} signed requests")  # fmt: skip


def _date_values(value: Any, fields: tuple[Field, ...], version: str, where: str) -> Iterator[tuple[str, Any, Kind]]:
    """(where, value, kind) of every date and date-time the model types among `fields` in `value`."""
    if not isinstance(value, dict):
        return
    model = model_for(version)
    for field in fields:
        items = value.get(field.name)
        for item in items if field.many and isinstance(items, list) else [items]:
            if item is None:
                continue
            if isinstance(field.type, Scalar) and field.type.kind in (Kind.DATE, Kind.DATETIME):
                yield f"{where}.{field.name}", item, field.type.kind
            elif isinstance(field.type, Nested):
                nested = model.structure(field.type.structure).fields
                yield from _date_values(item, nested, version, f"{where}.{field.name}")


def date_formats(rows: list[Any]) -> Grade:
    title = "It writes dates and date-times as the model types them"
    wrong, looked = [], 0
    for r in rows:
        found = operation_of(r.method, r.path) if r.body and r.method in ("PUT", "POST") else None
        if found is None:
            continue
        op, version = found
        key = op.request_key(version)
        try:
            body = json.loads(r.body)
        except ValueError:
            continue
        sent = body.get(key) if isinstance(body, dict) and key else None
        entity = op.entity_in(version)
        for record in sent if isinstance(sent, list) else [sent]:
            for where, value, kind in _date_values(record, entity.all_fields, version, entity.name):
                looked += 1
                pattern = DATE if kind is Kind.DATE else DATE_TIME
                if not isinstance(value, str) or not pattern.fullmatch(value):
                    said = "a date-time where the model says date" if kind is Kind.DATE else "not a date-time"
                    wrong.append(f"{r.method} {r.path}: {where} {value!r} is {said}")
    if not looked:
        return Grade("consumer.date-formats", title, "skip", "it wrote no dates")
    return Grade("consumer.date-formats", title, "fail" if wrong else "pass",
                 "; ".join(wrong[:3]) or f"{looked} dates written")  # fmt: skip


CRITERIA: tuple[Callable[[list[Any]], Grade], ...] = (
    complete_pulls,
    stable_order,
    honours_retry_after,
    no_blind_write_retries,
    least_scope,
    reuses_tokens,
    uses_deltas,
    signs_everything,
    date_formats,
)


def clients(engine: Engine) -> list[str]:
    """The clients the log knows."""
    ensure_table(engine)
    with engine.connect() as db:
        return sorted(c for c in db.execute(select(requests.c.client).distinct()).scalars() if c)


def grade_client(engine: Engine, client: str) -> list[Grade]:
    """Every criterion, graded on `client`'s requests in the order they came."""
    ensure_table(engine)
    with engine.connect() as db:
        rows = db.execute(select(requests).where(requests.c.client == client).order_by(requests.c.id)).all()
    return [criterion(rows) for criterion in CRITERIA]
