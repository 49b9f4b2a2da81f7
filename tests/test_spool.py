"""The spool that holds pulled records on disk: every record back, in order, as often as asked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosterlab.consumer import spool as spool_module
from rosterlab.consumer.spool import Spool

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(records=st.lists(JSON, max_size=60), block=st.integers(1, 64))
@settings(max_examples=150)
def test_a_spool_gives_back_what_it_was_given_across_block_and_file_boundaries(records, block):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spool_module, "BLOCK", block)
        patch.setattr(spool_module, "IN_MEMORY", 128)  # most spools move to a real file
        spool = Spool(records)
        try:
            assert len(spool) == len(records)
            assert list(spool) == records
            assert list(spool) == records  # walked again
        finally:
            spool.close()


def test_appending_while_walking_and_transforming_on_the_way_in():
    spool = Spool([{"n": 1}, {"n": 2}], transform=lambda record: {**record, "seen": True})
    walk = iter(spool)
    assert next(walk) == {"n": 1, "seen": True}
    spool.append({"n": 3})
    assert [record["n"] for record in walk] == [2, 3]
    assert len(spool) == 3 and all(record["seen"] for record in spool)
    spool.close()
