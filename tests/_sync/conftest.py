# This file is generated from tests/_async/conftest.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
from __future__ import annotations

from collections.abc import Iterator

import pytest

from mongokv.sync import SyncMkv
from tests.conftest import TEST_DB


@pytest.fixture
def store(mongodb_uri: str, collection_name: str) -> Iterator[SyncMkv]:
    """A store on the test's own collection, closed after the test."""
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name)
    yield store
    store.close()
