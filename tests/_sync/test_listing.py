# This file is generated from tests/_async/test_listing.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""Streaming keys, values and items, prefix matching, count and exists."""

from __future__ import annotations

from typing import Any

import pytest

from mongokv.sync import SyncMkv


def test_keys_values_items(store: SyncMkv) -> None:
    store.set_many({"a": 1, "b": 2})

    assert sorted([key for key in store.keys()]) == ["a", "b"]
    assert sorted([value for value in store.values()]) == [1, 2]
    assert sorted([item for item in store.items()]) == [("a", 1), ("b", 2)]


def test_listing_empty_collection(store: SyncMkv) -> None:
    assert [key for key in store.keys()] == []
    assert [key for key in store.keys("x")] == []
    assert store.count() == 0
    assert store.count("x") == 0


def test_keys_prefix(store: SyncMkv) -> None:
    store.set_many({"user:1": 1, "user:2": 2, "user": 0, "users": 3, "session:1": 4})

    assert sorted([key for key in store.keys("user:")]) == ["user:1", "user:2"]
    assert sorted([key for key in store.keys("user")]) == [
        "user",
        "user:1",
        "user:2",
        "users",
    ]
    assert sorted([value for value in store.values("session:")]) == [4]
    assert [item for item in store.items("users")] == [("users", 3)]
    assert store.count("user:") == 2
    assert store.count("") == 5


@pytest.mark.parametrize(
    "prefix",
    [".", "*", "(", "$", "^", "[a-z]", "\\", "a.c", ".*", "|", "?", "+", "{1}"],
)
def test_prefix_is_literal(store: SyncMkv, prefix: str) -> None:
    store.set_many({f"{prefix}key": 1, "abc": 2, "a.c": 3, "xyz": 4, "": 5})

    expected = sorted({f"{prefix}key"} | ({"a.c"} if "a.c".startswith(prefix) else set()))
    assert sorted([key for key in store.keys(prefix)]) == expected
    assert store.count(prefix) == len(expected)


def test_prefix_with_highest_code_points(store: SyncMkv) -> None:
    top = chr(0x10FFFF)
    keys = ["a", f"a{top}", f"a{top}{top}z", "b", f"{top}", f"{top}x", "\ud7ffz", "\ue000"]
    store.set_many({key: index for index, key in enumerate(keys)})

    assert sorted([key for key in store.keys(f"a{top}")]) == [f"a{top}", f"a{top}{top}z"]
    assert sorted([key for key in store.keys(top)]) == [top, f"{top}x"]
    assert [key for key in store.keys("\ud7ff")] == ["\ud7ffz"]


def test_prefix_non_ascii(store: SyncMkv) -> None:
    store.set_many({"ключ:1": 1, "ключ:2": 2, "клю": 3, "🔑:a": 4})

    assert sorted([key for key in store.keys("ключ:")]) == ["ключ:1", "ключ:2"]
    assert [key for key in store.keys("🔑")] == ["🔑:a"]


@pytest.mark.parametrize("prefix", [1, b"a", ["a"]])
def test_invalid_prefix_rejected(store: SyncMkv, prefix: Any) -> None:
    with pytest.raises(TypeError, match="Invalid prefix"):
        store.keys(prefix)
    with pytest.raises(TypeError, match="Invalid prefix"):
        store.count(prefix)


def test_keys_streams_many(store: SyncMkv) -> None:
    store.set_many({f"k{index}": index for index in range(3_000)})

    seen = 0
    for key in store.keys():
        assert key.startswith("k")
        seen += 1
    assert seen == 3_000
    assert store.count() == 3_000


def test_keys_stop_early(store: SyncMkv) -> None:
    store.set_many({f"k{index}": index for index in range(500)})

    first = []
    for key in store.keys():
        first.append(key)
        if len(first) == 3:
            break
    assert len(first) == 3
    assert store.count() == 500


def test_exists(store: SyncMkv) -> None:
    store.set("k", None)

    assert store.exists("k") is True
    assert store.exists("missing") is False


def test_stream_close_early(store: SyncMkv) -> None:
    store.set_many({f"k{index}": index for index in range(300)})

    stream = store.items()
    first = next(stream)
    stream.close()

    assert first[0].startswith("k")
    with pytest.raises(StopIteration):
        next(stream)
