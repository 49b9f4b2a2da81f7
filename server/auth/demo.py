"""Well-known credentials for the demo district, so that `make run` can be tried at once.

They are printed at start-up and listed in the README; a real deployment registers its own clients with
`rosterlab clients add`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rosterlab.server.auth.registry import ALL_SCOPES, Registry


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    secret: str
    orgs: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = None


DEMO_OAUTH2 = DemoClient("demo-oauth2", "demo-oauth2-secret", username="demo-admin", password="demo-password")
DEMO_OAUTH1 = DemoClient("demo-oauth1", "demo-oauth1-secret")
DEMO_SCHOOL = DemoClient("demo-school-1", "demo-school-1-secret", orgs=("school-1",))
DEMO_CLIENTS = (DEMO_OAUTH2, DEMO_OAUTH1, DEMO_SCHOOL)


def ensure_demo_clients(registry: Registry) -> None:
    """Register the demo clients that are not registered yet (every scope each)."""
    for demo in DEMO_CLIENTS:
        if registry.get(demo.client_id) is None:
            registry.add(
                demo.client_id,
                ALL_SCOPES,
                demo.orgs,
                client_id=demo.client_id,
                secret=demo.secret,
                username=demo.username,
                password=demo.password,
            )


def credential_lines(
    origin: str, token_path: str, *, oauth1: bool = True, token_redirect: bool = False, token_query: bool = False
) -> list[str]:
    """The demo credentials as the start-up banner prints them, with a token command that works against the
    server as configured (a token endpoint that redirects to localhost, one that reads the query string only)."""
    if token_redirect and not origin.split("://", 1)[-1].startswith("localhost"):
        origin = "http://localhost:" + origin.rsplit(":", 1)[-1]
    token_url = origin + token_path
    lines = [
        "demo credentials (every scope):",
        f"  OAuth 2.0 (1.1 and 1.2)   client_id {DEMO_OAUTH2.client_id}   client_secret {DEMO_OAUTH2.secret}",
        f"                            token URL {token_url} (client credentials; password grant:"
        f" {DEMO_OAUTH2.username} / {DEMO_OAUTH2.password})",
    ]
    if oauth1:
        lines.append(f"  OAuth 1.0a (1.1)          consumer key {DEMO_OAUTH1.client_id}   secret {DEMO_OAUTH1.secret}")
    lines += [f"  OAuth 2.0, school-1 only  client_id {DEMO_SCHOOL.client_id}   client_secret {DEMO_SCHOOL.secret}", ""]
    if token_query:
        query = f"grant_type=client_credentials&client_id={DEMO_OAUTH2.client_id}&client_secret={DEMO_OAUTH2.secret}"
        lines.append(f"  token:   curl -X POST '{token_url}?{query}'")
    else:
        credentials = f"{DEMO_OAUTH2.client_id}:{DEMO_OAUTH2.secret}"
        lines.append(f"  token:   curl -u {credentials} -d grant_type=client_credentials {token_url}")
    return lines
