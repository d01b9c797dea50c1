# This file is generated from tests/_async/test_batch.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""Batch operations: get_many, set_many, remove_many."""

from __future__ import annotations

from typing import Any

import pytest

from mongokv.sync import InvalidKeyError, InvalidValueError, SyncMkv


def test_set_many_then_get_many(store: SyncMkv, raw_collection: Any) -> None:
    store.set_many({"a": 1, "b": [2], "c": {"three": 3}})

    assert store.get_many(["a", "b", "c"]) == {"a": 1, "b": [2], "c": {"three": 3}}
    assert raw_collection.count_documents({}) == 3


def test_get_many_found_keys_only(store: SyncMkv) -> None:
    store.set("a", 1)

    assert store.get_many(["a", "missing"]) == {"a": 1}
    assert store.get_many([]) == {}
    assert store.get_many(["missing"]) == {}


def test_get_many_keys_as_stored(store: SyncMkv) -> None:
    store.set(1, "one")

    assert store.get_many([1, "1", 2]) == {"1": "one"}


def test_get_many_accepts_any_iterable(store: SyncMkv) -> None:
    store.set_many({"a": 1, "b": 2})

    assert store.get_many(key for key in "ab") == {"a": 1, "b": 2}
    assert store.get_many({"a", "b"}) == {"a": 1, "b": 2}


def test_get_many_above_query_chunk(store: SyncMkv) -> None:
    mapping = {f"k{index:05d}": index for index in range(12_500)}
    store.set_many(mapping)

    assert store.get_many(list(mapping)) == mapping


@pytest.mark.parametrize("keys", ["abc", b"abc"])
def test_get_many_single_string_rejected(store: SyncMkv, keys: Any) -> None:
    with pytest.raises(InvalidKeyError, match="iterable of keys"):
        store.get_many(keys)
    with pytest.raises(InvalidKeyError, match="iterable of keys"):
        store.remove_many(keys)


def test_get_many_invalid_key_in_batch(store: SyncMkv) -> None:
    with pytest.raises(InvalidKeyError):
        store.get_many(["a", None])


def test_set_many_overwrites(store: SyncMkv, raw_collection: Any) -> None:
    store.set_many({"a": 1, "b": 2})
    store.set_many({"a": 10, "c": 30})

    assert store.get_many(["a", "b", "c"]) == {"a": 10, "b": 2, "c": 30}
    assert raw_collection.count_documents({}) == 3


def test_set_many_same_id_last_wins(store: SyncMkv, raw_collection: Any) -> None:
    store.set_many({1: "int key", "1": "str key"})

    assert store.get("1") == "str key"
    assert raw_collection.count_documents({}) == 1


def test_set_many_empty_is_noop(store: SyncMkv, raw_collection: Any) -> None:
    store.set_many({})

    assert raw_collection.count_documents({}) == 0


def test_set_many_invalid_value_writes_nothing(store: SyncMkv, raw_collection: Any) -> None:
    store.set("a", "old")

    with pytest.raises(InvalidValueError) as caught:
        store.set_many({"a": "new", "b": 2, "bad": {1, 2}, "c": 3})

    assert "'bad'" in str(caught.value)
    assert store.get("a") == "old"
    assert raw_collection.count_documents({}) == 1


def test_set_many_invalid_key_writes_nothing(store: SyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidKeyError):
        store.set_many({"a": 1, None: 2})

    assert raw_collection.count_documents({}) == 0


def test_set_many_requires_mapping(store: SyncMkv) -> None:
    with pytest.raises(TypeError, match="mapping"):
        store.set_many([("a", 1)])  # type: ignore[arg-type]


def test_remove_many_counts_existing(store: SyncMkv) -> None:
    store.set_many({"a": 1, "b": 2, "c": 3})

    assert store.remove_many(["a", "b", "missing", "a"]) == 2
    assert store.all() == ["c"]
    assert store.remove_many([]) == 0
