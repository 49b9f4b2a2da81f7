"""Tokens and the connection test, as a user meets them on the command line, against the mock SIS over real
HTTP (issue 18, kinds 8 and 9): every token request carries the scope the sync will use; a token endpoint's
refusal says what to fix; the connection test reads one page of every collection the sync reads."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from rosterlab.consumer.cli import sync_group
from rosterlab.consumer.store import ROSTER
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from tests.conftest import server_config
from tests.live import LiveServer
from tests.quirk_matrix import difference, district, quirky, serving

CORE_ONLY = ("core-only", "core-only-secret")


class RequiresScope:
    """A provider whose token endpoint refuses a request that names no scope (RFC 6749 invalid_scope), as
    some do; the mock has no such switch, so the test puts it in front."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/oauth/token" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages, body = [], b""
        while not messages or messages[-1].get("more_body"):
            messages.append(await receive())
            body += messages[-1].get("body", b"")
        if "scope" not in parse_qs(body.decode()):
            refusal = json.dumps({"error": "invalid_scope", "error_description": "a scope is required"}).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": refusal})
            return

        async def replay():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        await self.app(scope, replay, send)


@pytest.fixture(scope="module")
def sis(tmp_path_factory):
    engine = district(tmp_path_factory.mktemp("tokens") / "sis.db", demo_district())
    registry = registry_for(server_config(), engine)
    ensure_demo_clients(registry)
    registry.add("core only", ("roster-core.readonly",), client_id=CORE_ONLY[0], secret=CORE_ONLY[1])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def servers(sis):
    apps = {
        "strict": serving(sis, quirky()),
        "scoped": LiveServer(RequiresScope(create_app(quirky(), engine=sis))),
        "query_only": serving(sis, quirky("token_query_only")),
        "redirect": serving(sis, quirky("token_redirect")),
    }
    for app in apps.values():
        app.__enter__()
    yield {name: app.url for name, app in apps.items()}
    for app in apps.values():
        app.__exit__()


def cli(database: str, *args: str):
    return CliRunner().invoke(sync_group, [*args, "--database", database])


def add(database: str, url: str, *options: str, credentials=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)) -> None:
    added = cli(database, "connection", "add", "d", "--url", url, "--client-id", credentials[0],
                "--client-secret", credentials[1], *options)  # fmt: skip
    assert added.exit_code == 0, added.output


# -- kind 8: tokens -----------------------------------------------------------------------------------


def test_a_provider_that_requires_a_scope_passes_the_test_detection_and_the_sync(tmp_path, sis, servers):
    database = f"sqlite:///{tmp_path / 'local.db'}"
    add(database, servers["scoped"])  # the version is detected
    tested = cli(database, "connection", "test", "d")
    assert tested.exit_code == 0 and "OK:" in tested.stdout, tested.output
    ran = cli(database, "run", "d")
    assert ran.exit_code == 0, ran.output
    assert difference(connect(database), "d", sis, "1.2", ROSTER) is None


@pytest.mark.parametrize(
    ("server", "options", "says"),
    [
        ("strict", ("--token-url", "{url}/oauth/nothing"), ["no token endpoint at {url}/oauth/nothing (HTTP 404)",
                                                             "--token-url"]),
        ("strict", ("--token-url", "{url}/"), ["no token endpoint at {url}/ (HTTP 405)", "--token-url"]),
        ("query_only", (), ["HTTP 401 invalid_client",
                            "this provider takes client_id and client_secret in the query string"]),
        ("redirect", (), ["redirects to another origin (http://localhost:{port}/oauth/token)",
                          "--token-url http://localhost:{port}/oauth/token"]),
        ("strict", ("--client-secret", "s3cret-not-shown"), ["refused the credentials",
                                                  "unknown client, or a wrong client secret"]),
    ],
    ids=["not-found", "not-allowed", "description-kept", "redirect-named", "wrong-secret"],
)  # fmt: skip
def test_a_token_refusal_says_what_to_fix_and_nothing_is_applied(tmp_path, servers, server, options, says):
    url = servers[server]
    port = url.rsplit(":", 1)[1]
    database = f"sqlite:///{tmp_path / 'local.db'}"
    add(database, url, "--version", "1.2", *[option.format(url=url) for option in options])
    tested = cli(database, "connection", "test", "d")
    ran = cli(database, "run", "d")
    assert tested.exit_code == 1 and ran.exit_code == 1 and "nothing applied" in ran.stderr
    for said in says:
        assert said.format(url=url, port=port) in tested.stderr and said.format(url=url, port=port) in ran.stderr
    assert "s3cret-not-shown" not in ran.stderr + tested.stderr


# -- kind 9: the connection test reads what the sync reads ----------------------------------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ((), ["refused the scope asked for", "this client is not granted: roster-demographics.readonly"]),
        (("--scope", "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"),
         ["demographics: GET", "HTTP 403", "roster-demographics.readonly"]),
        (("--version", "1.1", "--oauth1"), ["demographics: GET", "/ims/oneroster/v1p1/demographics", "HTTP 403"]),
    ],
    ids=["oauth2-least-scope", "oauth2-scope-given", "oauth1"],
)  # fmt: skip
def test_the_connection_test_finds_a_collection_the_sync_could_not_read(tmp_path, servers, options, says):
    database = f"sqlite:///{tmp_path / 'local.db'}"
    add(database, servers["strict"], *options, credentials=CORE_ONLY)
    tested = cli(database, "connection", "test", "d")
    assert tested.exit_code == 1, tested.output
    for said in says:
        assert said in tested.stderr
    ran = cli(database, "run", "d")  # the sync fails for the same reason, with nothing applied
    assert ran.exit_code == 1 and "nothing applied" in ran.stderr
