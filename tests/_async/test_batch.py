"""Batch operations: get_many, set_many, remove_many."""

from __future__ import annotations

from typing import Any

import pytest

from mongokv.aio import AsyncMkv, InvalidKeyError, InvalidValueError


async def test_set_many_then_get_many(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set_many({"a": 1, "b": [2], "c": {"three": 3}})

    assert await store.get_many(["a", "b", "c"]) == {"a": 1, "b": [2], "c": {"three": 3}}
    assert raw_collection.count_documents({}) == 3


async def test_get_many_found_keys_only(store: AsyncMkv) -> None:
    await store.set("a", 1)

    assert await store.get_many(["a", "missing"]) == {"a": 1}
    assert await store.get_many([]) == {}
    assert await store.get_many(["missing"]) == {}


async def test_get_many_keys_as_stored(store: AsyncMkv) -> None:
    await store.set(1, "one")

    assert await store.get_many([1, "1", 2]) == {"1": "one"}


async def test_get_many_accepts_any_iterable(store: AsyncMkv) -> None:
    await store.set_many({"a": 1, "b": 2})

    assert await store.get_many(key for key in "ab") == {"a": 1, "b": 2}
    assert await store.get_many({"a", "b"}) == {"a": 1, "b": 2}


async def test_get_many_above_query_chunk(store: AsyncMkv) -> None:
    mapping = {f"k{index:05d}": index for index in range(12_500)}
    await store.set_many(mapping)

    assert await store.get_many(list(mapping)) == mapping


@pytest.mark.parametrize("keys", ["abc", b"abc"])
async def test_get_many_single_string_rejected(store: AsyncMkv, keys: Any) -> None:
    with pytest.raises(InvalidKeyError, match="iterable of keys"):
        await store.get_many(keys)
    with pytest.raises(InvalidKeyError, match="iterable of keys"):
        await store.remove_many(keys)


async def test_get_many_invalid_key_in_batch(store: AsyncMkv) -> None:
    with pytest.raises(InvalidKeyError):
        await store.get_many(["a", None])


async def test_set_many_overwrites(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set_many({"a": 1, "b": 2})
    await store.set_many({"a": 10, "c": 30})

    assert await store.get_many(["a", "b", "c"]) == {"a": 10, "b": 2, "c": 30}
    assert raw_collection.count_documents({}) == 3


async def test_set_many_same_id_last_wins(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set_many({1: "int key", "1": "str key"})

    assert await store.get("1") == "str key"
    assert raw_collection.count_documents({}) == 1


async def test_set_many_empty_is_noop(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set_many({})

    assert raw_collection.count_documents({}) == 0


async def test_set_many_invalid_value_writes_nothing(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("a", "old")

    with pytest.raises(InvalidValueError) as caught:
        await store.set_many({"a": "new", "b": 2, "bad": {1, 2}, "c": 3})

    assert "'bad'" in str(caught.value)
    assert await store.get("a") == "old"
    assert raw_collection.count_documents({}) == 1


async def test_set_many_invalid_key_writes_nothing(store: AsyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidKeyError):
        await store.set_many({"a": 1, None: 2})

    assert raw_collection.count_documents({}) == 0


async def test_set_many_requires_mapping(store: AsyncMkv) -> None:
    with pytest.raises(TypeError, match="mapping"):
        await store.set_many([("a", 1)])  # type: ignore[arg-type]


async def test_remove_many_counts_existing(store: AsyncMkv) -> None:
    await store.set_many({"a": 1, "b": 2, "c": 3})

    assert await store.remove_many(["a", "b", "missing", "a"]) == 2
    assert await store.all() == ["c"]
    assert await store.remove_many([]) == 0
