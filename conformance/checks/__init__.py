"""The checks, one module per concern; importing this package registers them all."""

from rosterlab.conformance.checks import contract, errors, gradebook, integrity, paging, queries, security  # noqa: F401
