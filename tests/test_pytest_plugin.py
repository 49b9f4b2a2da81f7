"""rosterlab's pytest plugin: fixtures giving a running mock SIS, used by other projects' tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "sample_project"


def test_fixtures_start_a_server_per_set_of_options_and_share_it(pytester):
    pytester.makepyfile(
        """
        import httpx
        import pytest

        seen = {}

        def test_default(mock_sis):
            seen["default"] = mock_sis
            assert mock_sis.base_url.endswith("/ims/oneroster/rostering/v1p2")
            token = httpx.post(mock_sis.token_url, data={"grant_type": "client_credentials"},
                               auth=(mock_sis.client_id, mock_sis.client_secret)).json()["access_token"]
            users = httpx.get(mock_sis.base_url + "/users", headers={"Authorization": "Bearer " + token})
            assert users.status_code == 200 and users.json()["users"]
            assert httpx.get(mock_sis.base_url + "/users").status_code == 401

        def test_same_options_same_server(mock_sis):
            assert mock_sis.url == seen["default"].url

        @pytest.mark.mock_sis(version="1.1", auth="none", users=60, seed=4)
        def test_marker(mock_sis):
            assert mock_sis.url != seen["default"].url and mock_sis.client_id is None
            response = httpx.get(mock_sis.base_url + "/users", params={"limit": "1"})
            assert response.status_code == 200 and 50 <= int(response.headers["X-Total-Count"]) <= 80

        def test_fresh_and_factory(mock_sis_factory):
            assert mock_sis_factory().url == seen["default"].url
            assert mock_sis_factory(fresh=True).url != seen["default"].url
            with pytest.raises(TypeError, match="unknown mock SIS option"):
                mock_sis_factory(colour="blue")
            with pytest.raises(ValueError, match="OAuth 1.0a is OneRoster 1.1's method"):
                mock_sis_factory(auth="oauth1")
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


@pytest.mark.slow
def test_the_sample_project_passes_in_a_clean_virtual_environment(tmp_path):
    """rosterlab installed from this checkout (not editable) and the sample project, in a new venv."""
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE, project)
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT), f"{project}[test]"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout
    assert sys.prefix not in run.stdout  # it ran in its own environment, not this one
