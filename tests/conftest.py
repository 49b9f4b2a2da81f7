"""Shared test configuration."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.config import ServerConfig
from rosterlab.server.demo import demo_district
from rosterlab.server.store.load import load
from tests.databases import engine_for
from tests.live import LiveServer

collect_ignore = ["sample_project"]  # a project of its own, run in its own environment by test_pytest_plugin

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(os.environ.get("ROSTERLAB_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "reference"))
OFFICIAL_OPENAPI_DIR = REFERENCE_DIR / "openapi-v1p2"

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def official_openapi_dir() -> Path:
    """The folder of 1EdTech's OneRoster 1.2 OpenAPI files; the test is skipped where it is absent."""
    if not OFFICIAL_OPENAPI_DIR.is_dir():
        pytest.skip(f"official OneRoster 1.2 OpenAPI files not found at {OFFICIAL_OPENAPI_DIR}")
    return OFFICIAL_OPENAPI_DIR


@pytest.fixture(scope="session")
def demo_data() -> dict[str, list[dict]]:
    """The demo district's canonical records."""
    return demo_district()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory, demo_data) -> Engine:
    """A store holding the demo district: a SQLite file, then a PostgreSQL database (where reachable)."""
    with engine_for(request.param, tmp_path_factory.mktemp("demo")) as engine:
        load(engine, demo_data)
        yield engine


TEST_SECRET_KEY = Fernet.generate_key().decode()


def server_config(**settings) -> ServerConfig:
    """A server configuration for tests: secrets sealed with a key of the test run, no key file."""
    return ServerConfig(secret_key=TEST_SECRET_KEY, **settings)


@pytest.fixture(scope="session")
def demo_app(demo_engine):
    """The mock SIS over the demo district, with authentication and the demo clients."""
    config = server_config()
    ensure_demo_clients(registry_for(config, demo_engine))
    return create_app(config, engine=demo_engine)


@pytest.fixture(scope="session")
def live_server(demo_app):
    """The mock SIS on a real loopback socket."""
    with LiveServer(demo_app) as server:
        yield server


def fetch_token(
    base_url: str, client_id: str = DEMO_OAUTH2.client_id, secret: str = DEMO_OAUTH2.secret, path: str = "/oauth/token"
) -> str:
    """A bearer token from the server's token endpoint (HTTP Basic, client credentials)."""
    response = httpx.post(
        f"{base_url}{path}",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture(scope="session")
def authorized_client(live_server):
    """An HTTP client of the live server carrying a bearer token with every scope."""
    token = fetch_token(live_server.url)
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path) -> Engine:
    """An empty store on SQLite, then on PostgreSQL (skipped where it is not reachable)."""
    with engine_for(request.param, tmp_path) as engine:
        yield engine
