"""A REST provider as a source: one collection per entity, pulled concurrently within a per-connection limit."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.base import Progress, Pull
from rosterlab.consumer.spool import Spool
from rosterlab.spec.endpoints import base_path, operation
from rosterlab.spec.scopes import least_scopes, scope_uri

# The collection each synced entity is read from.
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


def collection_path(base_url: str, version: str, entity: str) -> str:
    """The collection URL of an entity, from a base URL given with or without /ims/oneroster/..."""
    root = base_url.split("/ims/oneroster", 1)[0].rstrip("/")
    op = operation(COLLECTIONS[entity])
    return root + base_path(version, op.service()) + op.path


class RestSource:
    """Pulls collections from a OneRoster REST API; at most `concurrency` requests in flight."""

    def __init__(self, client: OneRosterClient, version: str, concurrency: int = 4) -> None:
        self.client = client
        self.version = version
        self.concurrency = max(1, concurrency)

    def _collection(self, entity: str, params: dict[str, str], progress: Progress | None) -> Spool:
        op = operation(COLLECTIONS[entity])
        path = collection_path(self.client.base_url, self.version, entity)
        on_page = (lambda received, total: progress(entity, received, total)) if progress else None
        records = self.client.collection(
            path, op.response_key(self.version), params, on_page, into=lambda: Spool(transform=normalize)
        )
        if self.version == "1.1" and entity == "user" and any("roles" in r and "role" not in r for r in records):
            records.close()
            raise SyncError(
                f"GET {path}: the provider sends the OneRoster 1.2 data model on its 1.1 paths (users with "
                "roles and no role); refusing to store a mix of the two models"
            )
        return records

    def least_scope(self, entities: Sequence[str]) -> str:
        """The narrowest OAuth 2.0 scopes that read `entities`, as a scope parameter."""
        granting = [operation(COLLECTIONS[entity]).scopes_in(self.version) for entity in entities]
        return " ".join(scope_uri(self.version, name) for name in least_scopes(self.version, granting))

    def pull(self, entities: Sequence[str], since: str | None, progress: Progress | None = None) -> Pull:
        auth = self.client.auth
        if isinstance(auth, OAuth2) and not auth.scope:  # ask for no more than the sync needs
            auth.scope = self.least_scope(entities)
            auth.refresh(self.client.http)
        params = {} if since is None else {"filter": f"dateLastModified>='{since}'"}
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(entities)))) as pool:
            futures = {entity: pool.submit(self._collection, entity, params, progress) for entity in entities}
            records = {entity: future.result() for entity, future in futures.items()}
        complete = frozenset(entities) if since is None else frozenset()
        return Pull(records, complete, self.version)


def detect_version(client: OneRosterClient) -> str:
    """The version a provider speaks: 1.2 when its 1.2 rostering path answers, else 1.1 when that does."""
    answers = {}
    for version in ("1.2", "1.1"):
        url = collection_path(client.base_url, version, "org")
        response = client.get(url, {"limit": "1"})
        if response.status_code == 200:
            return version
        answers[version] = response.status_code
    if any(status in (401, 403) for status in answers.values()):
        raise SyncError(f"the provider refused the credentials while detecting its version (HTTP {answers})")
    raise SyncError(f"neither OneRoster 1.2 nor 1.1 answers at {client.base_url} (HTTP {answers}); give the version")
