"""The checks, one module per concern; importing this package registers them all."""

from rosterlab.conformance.checks import errors, integrity, paging, queries, security  # noqa: F401
