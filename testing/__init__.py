"""Helpers for other projects' tests: a mock SIS on a free port (see `rosterlab.testing.mock`)."""

from rosterlab.testing.mock import MockSIS, start_mock_sis

__all__ = ["MockSIS", "start_mock_sis"]
