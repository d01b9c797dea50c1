# This file is generated from tests/_async/test_roundtrip.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""Property test: every supported value comes back from the server equal to what was stored."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mongokv.sync import SyncMkv

UTC = datetime.timezone.utc

# BSON stores datetimes in whole milliseconds, so generate only those.
datetimes = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 1, 1),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
field_names = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00.$"), max_size=10
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | st.binary(max_size=20)
    | datetimes
    | st.binary(min_size=12, max_size=12).map(ObjectId)
)

values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(field_names, children, max_size=5)
    ),
    max_leaves=20,
)


# NOTE: nx-27017 fails to replace a document with one that contains bytes, so each example
# writes a new key. Overwriting is covered by the tests in test_store.py.
_example_numbers = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=values, key=texts)
def test_value_round_trips(store: SyncMkv, value: Any, key: str) -> None:
    key = f"{key}#{next(_example_numbers)}"
    store.set(key, value)

    assert store.get(key) == value
    assert store.get_many([key]) == {key: value}
