"""A REST provider as a source: one collection per entity, pulled concurrently within a per-connection limit,
then confirmed where no total vouched for it (consumer/confirm.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import OneRosterClient, Paged, SyncError, reason
from rosterlab.consumer.confirm import Where, confirm
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.base import Progress, Pull, Since, start_of
from rosterlab.consumer.spool import Spool
from rosterlab.consumer.store import ROSTER
from rosterlab.spec.endpoints import base_path, operation
from rosterlab.spec.scopes import least_scopes, scope_uri

# The collection each synced entity is read from, and the operation that reads one of its records.
COLLECTIONS = {
    "org": "getAllOrgs",
    "academicSession": "getAllAcademicSessions",
    "course": "getAllCourses",
    "class": "getAllClasses",
    "user": "getAllUsers",
    "enrollment": "getAllEnrollments",
    "demographics": "getAllDemographics",
    "category": "getAllCategories",
    "lineItem": "getAllLineItems",
    "result": "getAllResults",
}
SINGLE = {
    "org": "getOrg",
    "academicSession": "getAcademicSession",
    "course": "getCourse",
    "class": "getClass",
    "user": "getUser",
    "enrollment": "getEnrollment",
    "demographics": "getDemographics",
    "category": "getCategory",
    "lineItem": "getLineItem",
    "result": "getResult",
}
SHOWN_IDS = 10


def collection_path(base_url: str, version: str, entity: str, single: bool = False) -> str:
    """The collection URL of an entity (or of one of its records, with {sourcedId}), from a base URL given
    with or without /ims/oneroster/..."""
    root = base_url.split("/ims/oneroster", 1)[0].rstrip("/")
    op = operation((SINGLE if single else COLLECTIONS)[entity])
    return root + base_path(version, op.service()) + op.path


def least_scope(version: str, entities: Sequence[str]) -> str:
    """The narrowest OAuth 2.0 scopes that read `entities` in `version`, as a scope parameter."""
    granting = [operation(COLLECTIONS[entity]).scopes_in(version) for entity in entities]
    return " ".join(scope_uri(version, name) for name in least_scopes(version, granting))


def ask_scope(client: OneRosterClient, version: str, entities: Sequence[str]) -> None:
    """Have the client's OAuth 2.0 tokens carry the scope that reads `entities` (unless the connection names
    its own): a provider that requires a scope gets one from every request, tests and probes included."""
    if isinstance(client.auth, OAuth2):
        client.auth.ask(least_scope(version, entities))


def _ids(ids: set[str]) -> str:
    shown = ", ".join(sorted(ids)[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


class RestSource:
    """Pulls collections from a OneRoster REST API; at most `concurrency` requests in flight."""

    def __init__(self, client: OneRosterClient, version: str, concurrency: int = 4) -> None:
        self.client = client
        self.version = version
        self.concurrency = max(1, concurrency)

    def where(self, entity: str) -> Where:
        """Where an entity's collection and records are read."""
        one = operation(SINGLE[entity])
        return Where(
            collection_path(self.client.base_url, self.version, entity),
            operation(COLLECTIONS[entity]).response_key(self.version),
            collection_path(self.client.base_url, self.version, entity, single=True),
            one.response_key(self.version),
        )

    def _read(self, entity: str, params: dict[str, str], progress: Progress | None) -> Paged:
        where = self.where(entity)
        on_page = (lambda received, total: progress(entity, received, total)) if progress else None
        paged = self.client.read_collection(where.path, where.key, params, on_page, into=_spool)
        records = paged.records
        if self.version == "1.1" and entity == "user" and any("roles" in r and "role" not in r for r in records):
            records.close()
            raise SyncError(
                f"GET {where.path}: the provider sends the OneRoster 1.2 data model on its 1.1 paths (users with "
                "roles and no role); refusing to store a mix of the two models"
            )
        return paged

    def least_scope(self, entities: Sequence[str]) -> str:
        """The narrowest OAuth 2.0 scopes that read `entities`, as a scope parameter."""
        return least_scope(self.version, entities)

    def pull(self, entities: Sequence[str], since: Since, progress: Progress | None = None) -> Pull:
        ask_scope(self.client, self.version, entities)
        params = {entity: _params(start_of(since, entity)) for entity in entities}
        futures: dict[str, Future[Paged]] = {}
        try:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(entities)))) as pool:
                futures = {entity: pool.submit(self._read, entity, params[entity], progress) for entity in entities}
                paged = {entity: future.result() for entity, future in futures.items()}
                # Confirmed once every collection is in, so that a change made during any of the pulls is seen.
                unsure = [entity for entity in entities if not paged[entity].announced or paged[entity].restarted]
                confirming = {e: pool.submit(self._confirm, e, params[e], paged[e]) for e in unsure}
                gone = {entity: future.result() for entity, future in confirming.items()}
        except BaseException:
            _discard(futures.values())
            raise
        pulled = Pull({entity: paged[entity].records for entity in entities}, version=self.version)
        pulled.complete = frozenset(entity for entity in entities if start_of(since, entity) is None)
        pulled.gone = {entity: ids for entity, ids in gone.items() if ids}
        for entity in entities:
            if paged[entity].conflicting:
                pulled.conflicts[entity] = paged[entity].conflicting
            if paged[entity].identical:
                pulled.warnings.append(
                    f"{entity}: {len(paged[entity].identical)} sourcedId(s) served twice with identical content, "
                    f"kept once: {_ids(paged[entity].identical)}"
                )
        return pulled

    def _confirm(self, entity: str, params: dict[str, str], paged: Paged) -> set[str]:
        return confirm(self.client, self.where(entity), params, paged, _spool, lambda: self._read(entity, params, None))

    def check_reads(self, entities: Sequence[str]) -> dict[str, str]:
        """Read one record of each entity as a sync would (its scope asked for); what failed, by entity."""
        ask_scope(self.client, self.version, entities)
        failed = {}
        for entity in entities:
            where = self.where(entity)
            response = self.client.get(where.path, {"limit": "1"})
            if response.status_code != 200:
                failed[entity] = f"GET {where.path}: HTTP {response.status_code}: {reason(response)}"
        return failed


def _discard(futures: Iterable[Future[Paged]]) -> None:
    """Free the spools of the collections read before a pull failed."""
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().records.close()


def _spool() -> Spool:
    return Spool(transform=normalize)


def _params(start: str | None) -> dict[str, str]:
    return {} if start is None else {"filter": f"dateLastModified>='{start}'"}


def detect_version(client: OneRosterClient, entities: Sequence[str] = ROSTER) -> str:
    """The version a provider speaks: 1.2 when its 1.2 rostering path answers, else 1.1 when that does; each
    asked with the scope a sync of `entities` in that version would use."""
    answers = {}
    for version in ("1.2", "1.1"):
        ask_scope(client, version, entities)
        url = collection_path(client.base_url, version, "org")
        response = client.get(url, {"limit": "1"})
        if response.status_code == 200:
            return version
        answers[version] = response.status_code
    if any(status in (401, 403) for status in answers.values()):
        raise SyncError(f"the provider refused the credentials while detecting its version (HTTP {answers})")
    raise SyncError(f"neither OneRoster 1.2 nor 1.1 answers at {client.base_url} (HTTP {answers}); give the version")
