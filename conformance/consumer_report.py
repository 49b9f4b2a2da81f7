"""A report on a consumer: how a client that synced against the mock behaved, graded from the mock's request
log (`rosterlab serve --record-requests`). Each criterion is a plain function of the client's requests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import Engine, select

from rosterlab.server.request_log import metadata, requests

WRITE_SCOPES = ("createput", "createpost", ".delete")


@dataclass
class Grade:
    id: str
    title: str
    status: str  # pass, fail or skip
    detail: str = ""


def _params(row) -> dict[str, str]:
    return dict(parse_qsl(row.query, keep_blank_values=True))


def _pages(rows) -> list:
    return [r for r in rows if r.method == "GET" and r.records is not None]


def complete_pulls(rows) -> Grade:
    pulls: dict[tuple[str, str], list] = defaultdict(list)
    for r in _pages(rows):
        pulls[(r.path, _params(r).get("filter", ""))].append(r)
    unfinished = []
    for (path, _), pages in pulls.items():
        done = any(p.records == 0 or (p.total is not None and int(_params(p).get("offset", 0)) + p.records >= p.total)
                   for p in pages if p.status == 200)  # fmt: skip
        if not done:
            unfinished.append(path)
    if not pulls:
        return Grade(
            "consumer.complete-pulls", "Every collection it read, it read to the end", "skip", "no collection reads"
        )
    status = "fail" if unfinished else "pass"
    detail = f"stopped early: {sorted(set(unfinished))[:5]}" if unfinished else f"{len(pulls)} collections"
    return Grade("consumer.complete-pulls", "Every collection it read, it read to the end", status, detail)


def stable_order(rows) -> Grade:
    unsorted = [
        r.path for r in _pages(rows) if _params(r).get("offset", "0") not in ("", "0") and "sort" not in _params(r)
    ]
    title = "It pages in a stable order (sort given)"
    if not [r for r in _pages(rows) if _params(r).get("offset", "0") not in ("", "0")]:
        return Grade("consumer.stable-order", title, "skip", "it never asked for a second page")
    return Grade("consumer.stable-order", title, "fail" if unsorted else "pass",
                 f"pages without sort: {sorted(set(unsorted))[:5]}" if unsorted else "")  # fmt: skip


def honours_retry_after(rows) -> Grade:
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


def no_blind_write_retries(rows) -> Grade:
    title = "It never repeats a non-idempotent write after a failure"
    repeated = []
    failed: set[tuple[str, str]] = set()
    for r in rows:
        if r.method != "POST" or r.body_hash is None or r.path.endswith("/token"):
            continue
        key = (r.path, r.body_hash)
        if key in failed:
            repeated.append(r.path)
        if r.status == 0 or r.status == 429 or r.status >= 500:
            failed.add(key)
    return Grade("consumer.no-blind-write-retries", title, "fail" if repeated else "pass",
                 f"POST repeated after a failure: {sorted(set(repeated))}" if repeated else "")  # fmt: skip


def least_scope(rows) -> Grade:
    title = "It asks for the least scope it needs"
    tokens = [r for r in rows if r.scope_asked is not None and r.status == 200]
    if not tokens:
        return Grade("consumer.least-scope", title, "skip", "no OAuth 2.0 token requests")
    wrote = any(r.method in ("PUT", "POST", "DELETE") and r.scope_asked is None for r in rows)
    problems = []
    for r in tokens:
        if not r.scope_asked.strip():
            problems.append("asked for no scope: the token carries every scope the client has")
        elif not wrote and any(marker in r.scope_asked for marker in WRITE_SCOPES):
            problems.append(f"asked for write scopes without writing: {r.scope_asked}")
    return Grade("consumer.least-scope", title, "fail" if problems else "pass", "; ".join(sorted(set(problems))))


def uses_deltas(rows) -> Grade:
    title = "Repeated syncs ask only for changes (dateLastModified filters)"
    pulls = [r for r in _pages(rows) if r.path.endswith("/users") and _params(r).get("offset", "0") in ("", "0")]
    if len(pulls) < 2:
        return Grade("consumer.deltas", title, "skip", "it read users once")
    delta = any("dateLastModified" in _params(r).get("filter", "") for r in pulls)
    return Grade("consumer.deltas", title, "pass" if delta else "fail",
                 "" if delta else f"{len(pulls)} full pulls of users, none filtered by dateLastModified")  # fmt: skip


def signs_everything(rows) -> Grade:
    title = "Its OAuth 1.0a signatures cover every query parameter (no 401s)"
    signed = [r for r in rows if r.auth == "oauth1"]
    if not signed:
        return Grade("consumer.signatures", title, "skip", "no OAuth 1.0a requests")
    refused = [f"{r.path}?{r.query}" for r in signed if r.status == 401]
    return Grade("consumer.signatures", title, "fail" if refused else "pass", "; ".join(refused[:3]))


CRITERIA: tuple[Callable[[list], Grade], ...] = (
    complete_pulls,
    stable_order,
    honours_retry_after,
    no_blind_write_retries,
    least_scope,
    uses_deltas,
    signs_everything,
)


def clients(engine: Engine) -> list[str]:
    """The clients the log knows."""
    metadata.create_all(engine)
    with engine.connect() as db:
        return sorted(c for c in db.execute(select(requests.c.client).distinct()).scalars() if c)


def grade_client(engine: Engine, client: str) -> list[Grade]:
    """Every criterion, graded on `client`'s requests in the order they came."""
    metadata.create_all(engine)
    with engine.connect() as db:
        rows = db.execute(select(requests).where(requests.c.client == client).order_by(requests.c.id)).all()
    return [criterion(rows) for criterion in CRITERIA]
