from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mongokv.aio import AsyncMkv
from tests.conftest import TEST_DB


@pytest.fixture
async def store(mongodb_uri: str, collection_name: str) -> AsyncIterator[AsyncMkv]:
    """A store on the test's own collection, closed after the test."""
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name)
    yield store
    await store.close()
