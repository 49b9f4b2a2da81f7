"""pytest fixtures that give a running mock SIS; installed with rosterlab (entry point `pytest11`).

    def test_reads_users(mock_sis):                      # the demo district, OneRoster 1.2, OAuth 2.0
        ...

    @pytest.mark.mock_sis(version="1.1", auth="oauth1", profile="powerschool", users=300, seed=2)
    def test_against_a_powerschool_like_sis(mock_sis):
        ...

    def test_two_providers(mock_sis_factory):
        strict, edfi = mock_sis_factory(), mock_sis_factory(profile="ed-fi")

Servers are started once per set of options and shared by the session; ask for `fresh=True` for a server of
one's own (a test that writes to it, say).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from rosterlab.testing.mock import MockSIS, start_mock_sis

OPTIONS = ("version", "auth", "profile", "users", "seed", "faults", "fresh")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_sis(version='1.2', auth='oauth2', profile='strict', users=None, seed=1, faults=None, fresh=False): "
        "the mock SIS the `mock_sis` fixture gives this test",
    )


@pytest.fixture(scope="session")
def mock_sis_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MockSIS]]:
    """A function returning a running mock SIS for the given options (see `rosterlab.testing.start_mock_sis`)."""
    running: dict[tuple, MockSIS] = {}
    counter = itertools.count()
    with ExitStack() as stack:

        def factory(*, fresh: bool = False, **options) -> MockSIS:
            unknown = set(options) - set(OPTIONS)
            if unknown:
                raise TypeError(f"unknown mock SIS option(s): {', '.join(sorted(unknown))}; known: {OPTIONS}")
            key = (next(counter),) if fresh else tuple(sorted(options.items()))
            if key not in running:
                folder = tmp_path_factory.mktemp("mock-sis")
                running[key] = stack.enter_context(start_mock_sis(**options, folder=folder))
            return running[key]

        yield factory


@pytest.fixture
def mock_sis(request: pytest.FixtureRequest, mock_sis_factory: Callable[..., MockSIS]) -> MockSIS:
    """A running mock SIS, as the test's `mock_sis` marker asks (the demo district over 1.2 and OAuth 2.0 by
    default): `.url`, `.base_url`, `.token_url`, `.client_id`, `.client_secret`."""
    marker = request.node.get_closest_marker("mock_sis")
    return mock_sis_factory(**(marker.kwargs if marker else {}))
