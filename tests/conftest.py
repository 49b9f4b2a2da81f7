"""Shared test configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
