"""The dict protocol: real on the sync store and on Mkv outside a loop, TypeError in async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from mongokv import AsyncMkv, InvalidKeyError, Mkv, SyncMkv
from tests.conftest import TEST_DB


@pytest.fixture(params=["sync", "dispatcher"])
def sync_store(
    request: pytest.FixtureRequest, mongodb_uri: str, collection_name: str
) -> Iterator[Any]:
    store: Any = (SyncMkv if request.param == "sync" else Mkv)(
        mongodb_uri, TEST_DB, collection_name
    )
    yield store
    store.close()


def test_item_access(sync_store: Any) -> None:
    sync_store["user:1"] = {"name": "Alice"}

    assert sync_store["user:1"] == {"name": "Alice"}
    assert sync_store.get("user:1") == {"name": "Alice"}


def test_missing_item_raises_key_error(sync_store: Any) -> None:
    with pytest.raises(KeyError):
        sync_store["missing"]
    with pytest.raises(KeyError):
        del sync_store["missing"]


def test_delete_item(sync_store: Any) -> None:
    sync_store["k"] = 1

    del sync_store["k"]

    assert "k" not in sync_store


def test_contains_len_iter(sync_store: Any) -> None:
    assert len(sync_store) == 0
    assert list(sync_store) == []

    sync_store["a"] = 1
    sync_store["b"] = 2

    assert "a" in sync_store
    assert "c" not in sync_store
    assert len(sync_store) == 2
    assert sorted(sync_store) == ["a", "b"]


def test_empty_store_is_truthy(sync_store: Any) -> None:
    assert bool(sync_store) is True


def test_set_item_none_key_rejected(sync_store: Any) -> None:
    with pytest.raises(InvalidKeyError, match="set\\(None, value\\)"):
        sync_store[None] = 1

    assert len(sync_store) == 0


async def test_async_dunders_raise_type_error(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name)
    try:
        with pytest.raises(TypeError, match=r"await db\.get\(key\)"):
            store["k"]
        with pytest.raises(TypeError, match=r"await db\.set\(key, value\)"):
            store["k"] = 1
        with pytest.raises(TypeError, match=r"await db\.remove\(key\)"):
            del store["k"]
        with pytest.raises(TypeError, match=r"await db\.exists\(key\)"):
            "k" in store  # noqa: B015
        with pytest.raises(TypeError, match=r"await db\.count\(\)"):
            len(store)
        with pytest.raises(TypeError, match=r"async for key in db\.keys"):
            list(store)
        with pytest.raises(TypeError, match=r"async for key in db\.keys\(\)"):
            for _ in store.keys():
                pass
        assert bool(store) is True
        assert await store.exists("k") is False
    finally:
        await store.close()


def test_dispatcher_dunders_inside_loop(mongodb_uri: str, collection_name: str) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    store["k"] = "sync"

    async def inside() -> None:
        with pytest.raises(TypeError, match=r"await db\.get\(key\)"):
            store["k"]
        with pytest.raises(TypeError, match=r"await db\.count\(\)"):
            len(store)
        assert await store.get("k") == "sync"

    asyncio.run(inside())
    assert store["k"] == "sync"
    store.close()
