"""The checks, one module per concern; importing this package registers them all."""

from rosterlab.conformance.checks import (  # noqa: F401
    contract,
    delta,
    errors,
    gradebook,
    integrity,
    operations,
    paging,
    queries,
    records,
    security,
)
