"""Streaming keys, values and items, prefix matching, count and exists."""

from __future__ import annotations

from typing import Any

import pytest

from mongokv.aio import AsyncMkv


async def test_keys_values_items(store: AsyncMkv) -> None:
    await store.set_many({"a": 1, "b": 2})

    assert sorted([key async for key in store.keys()]) == ["a", "b"]
    assert sorted([value async for value in store.values()]) == [1, 2]
    assert sorted([item async for item in store.items()]) == [("a", 1), ("b", 2)]


async def test_listing_empty_collection(store: AsyncMkv) -> None:
    assert [key async for key in store.keys()] == []
    assert [key async for key in store.keys("x")] == []
    assert await store.count() == 0
    assert await store.count("x") == 0


async def test_keys_prefix(store: AsyncMkv) -> None:
    await store.set_many({"user:1": 1, "user:2": 2, "user": 0, "users": 3, "session:1": 4})

    assert sorted([key async for key in store.keys("user:")]) == ["user:1", "user:2"]
    assert sorted([key async for key in store.keys("user")]) == [
        "user",
        "user:1",
        "user:2",
        "users",
    ]
    assert sorted([value async for value in store.values("session:")]) == [4]
    assert [item async for item in store.items("users")] == [("users", 3)]
    assert await store.count("user:") == 2
    assert await store.count("") == 5


@pytest.mark.parametrize(
    "prefix",
    [".", "*", "(", "$", "^", "[a-z]", "\\", "a.c", ".*", "|", "?", "+", "{1}"],
)
async def test_prefix_is_literal(store: AsyncMkv, prefix: str) -> None:
    await store.set_many({f"{prefix}key": 1, "abc": 2, "a.c": 3, "xyz": 4, "": 5})

    expected = sorted({f"{prefix}key"} | ({"a.c"} if "a.c".startswith(prefix) else set()))
    assert sorted([key async for key in store.keys(prefix)]) == expected
    assert await store.count(prefix) == len(expected)


async def test_prefix_with_highest_code_points(store: AsyncMkv) -> None:
    top = chr(0x10FFFF)
    keys = ["a", f"a{top}", f"a{top}{top}z", "b", f"{top}", f"{top}x", "\ud7ffz", "\ue000"]
    await store.set_many({key: index for index, key in enumerate(keys)})

    assert sorted([key async for key in store.keys(f"a{top}")]) == [f"a{top}", f"a{top}{top}z"]
    assert sorted([key async for key in store.keys(top)]) == [top, f"{top}x"]
    assert [key async for key in store.keys("\ud7ff")] == ["\ud7ffz"]


async def test_prefix_non_ascii(store: AsyncMkv) -> None:
    await store.set_many({"ключ:1": 1, "ключ:2": 2, "клю": 3, "🔑:a": 4})

    assert sorted([key async for key in store.keys("ключ:")]) == ["ключ:1", "ключ:2"]
    assert [key async for key in store.keys("🔑")] == ["🔑:a"]


@pytest.mark.parametrize("prefix", [1, b"a", ["a"]])
async def test_invalid_prefix_rejected(store: AsyncMkv, prefix: Any) -> None:
    with pytest.raises(TypeError, match="Invalid prefix"):
        store.keys(prefix)
    with pytest.raises(TypeError, match="Invalid prefix"):
        await store.count(prefix)


async def test_keys_streams_many(store: AsyncMkv) -> None:
    await store.set_many({f"k{index}": index for index in range(3_000)})

    seen = 0
    async for key in store.keys():
        assert key.startswith("k")
        seen += 1
    assert seen == 3_000
    assert await store.count() == 3_000


async def test_keys_stop_early(store: AsyncMkv) -> None:
    await store.set_many({f"k{index}": index for index in range(500)})

    first = []
    async for key in store.keys():
        first.append(key)
        if len(first) == 3:
            break
    assert len(first) == 3
    assert await store.count() == 500


async def test_exists(store: AsyncMkv) -> None:
    await store.set("k", None)

    assert await store.exists("k") is True
    assert await store.exists("missing") is False


async def test_stream_close_early(store: AsyncMkv) -> None:
    await store.set_many({f"k{index}": index for index in range(300)})

    stream = store.items()
    first = await anext(stream)
    await stream.aclose()

    assert first[0].startswith("k")
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
