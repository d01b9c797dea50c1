# This file is generated from tests/_async/test_atomic.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""Atomic operations: incr, decr, add, setdefault, pop and compare_and_set."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import Decimal128, Int64

from mongokv.sync import InvalidValueError, SyncMkv, WrongTypeError

UTC = datetime.timezone.utc


def insert_expired(raw_collection: Any, key: str, value: Any) -> None:
    expired = datetime.datetime.now(UTC) - datetime.timedelta(seconds=60)
    raw_collection.insert_one({"_id": key, "value": value, "expires_at": expired})


def test_incr_missing_key_starts_at_zero(store: SyncMkv, raw_collection: Any) -> None:
    assert store.incr("hits") == 1
    assert store.incr("hits") == 2
    assert store.incr("hits", 10) == 12

    assert raw_collection.find_one({"_id": "hits"}) == {"_id": "hits", "value": 12}


def test_decr(store: SyncMkv) -> None:
    assert store.decr("stock") == -1
    assert store.decr("stock", 4) == -5
    assert store.incr("stock", 5) == 0


def test_incr_float(store: SyncMkv) -> None:
    store.set("balance", 1.5)

    assert store.incr("balance", 0.25) == 1.75
    assert store.decr("balance", 1.75) == 0.0


def test_incr_keeps_expiry(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1, ttl=100)

    assert store.incr("k") == 2

    assert "expires_at" in raw_collection.find_one({"_id": "k"})
    remaining = store.ttl("k")
    assert remaining is not None
    assert remaining > 98


def test_incr_large_int_stays_exact(store: SyncMkv) -> None:
    store.set("big", 2**62)

    assert store.incr("big", 2**61) == 2**62 + 2**61


@pytest.mark.parametrize(
    "stored",
    [
        "text",
        [1],
        {"a": 1},
        True,
        pytest.param(
            None,
            marks=pytest.mark.real_mongodb(reason="nx-27017 adds to null as if it were 0"),
        ),
    ],
)
def test_incr_non_number_raises(store: SyncMkv, raw_collection: Any, stored: Any) -> None:
    store.set("k", stored)

    with pytest.raises(WrongTypeError, match="not a number"):
        store.incr("k")

    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": stored}


@pytest.mark.parametrize("amount", ["1", None, True, [1], 2**63, Decimal128("1")])
def test_incr_invalid_amount_rejected(store: SyncMkv, raw_collection: Any, amount: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="Invalid amount"):
        store.incr("k", amount)
    with pytest.raises((TypeError, ValueError), match="Invalid amount"):
        store.decr("k", amount)

    assert raw_collection.count_documents({}) == 0


def test_incr_nan_rejected(store: SyncMkv) -> None:
    with pytest.raises(ValueError, match="finite"):
        store.incr("k", float("nan"))


@pytest.mark.real_mongodb(reason="nx-27017 returns no document for an upsert over an expired key")
def test_incr_expired_key_restarts(store: SyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "k", 41)

    assert store.incr("k") == 1
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 1}


def test_incr_int64_value(store: SyncMkv) -> None:
    store.set("k", Int64(5))

    assert store.incr("k", 1) == 6


def test_add_only_when_absent(store: SyncMkv) -> None:
    assert store.add("lock", "owner-1") is True
    assert store.add("lock", "owner-2") is False

    assert store.get("lock") == "owner-1"


def test_add_replaces_expired(store: SyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "lock", "old-owner")

    assert store.add("lock", "new-owner") is True

    assert raw_collection.find_one({"_id": "lock"}) == {"_id": "lock", "value": "new-owner"}


def test_add_with_ttl(store: SyncMkv) -> None:
    assert store.add("lock", 1, ttl=30) is True

    remaining = store.ttl("lock")
    assert remaining is not None
    assert 28 < remaining <= 30


def test_add_invalid_value_rejected(store: SyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidValueError):
        store.add("k", {1, 2})

    assert raw_collection.count_documents({}) == 0


def test_setdefault_existing_returns_value(store: SyncMkv) -> None:
    store.set("k", "stored")

    assert store.setdefault("k", "default") == "stored"
    assert store.get("k") == "stored"


@pytest.mark.real_mongodb(reason="nx-27017 ignores $setOnInsert when an upsert inserts")
def test_setdefault_absent_stores_default(store: SyncMkv, raw_collection: Any) -> None:
    assert store.setdefault("k", {"n": 1}) == {"n": 1}
    assert store.setdefault("k", {"n": 2}) == {"n": 1}

    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": {"n": 1}}


@pytest.mark.real_mongodb(reason="nx-27017 ignores $setOnInsert when an upsert inserts")
def test_setdefault_none_default(store: SyncMkv) -> None:
    assert store.setdefault("k") is None
    assert store.exists("k") is True
    assert store.get("k") is None


def test_setdefault_invalid_default_rejected(store: SyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidValueError):
        store.setdefault("k", object())

    assert raw_collection.count_documents({}) == 0


def test_pop_returns_and_deletes(store: SyncMkv) -> None:
    store.set("k", [1, 2])

    assert store.pop("k") == [1, 2]
    assert store.exists("k") is False


def test_pop_missing(store: SyncMkv) -> None:
    assert store.pop("missing", None) is None
    assert store.pop("missing", "fallback") == "fallback"
    with pytest.raises(KeyError) as caught:
        store.pop("missing")
    assert caught.value.args == ("missing",)


def test_compare_and_set_scalar(store: SyncMkv) -> None:
    store.set("version", 1)

    assert store.compare_and_set("version", 1, 2) is True
    assert store.compare_and_set("version", 1, 3) is False
    assert store.get("version") == 2


def test_compare_and_set_not_fooled_by_arrays(store: SyncMkv) -> None:
    store.set("k", [1, 2])

    assert store.compare_and_set("k", 1, "changed") is False
    assert store.compare_and_set("k", [1, 2], "changed") is True
    assert store.get("k") == "changed"


def test_compare_and_set_documents(store: SyncMkv) -> None:
    store.set("k", {"state": "open", "n": 1})

    assert store.compare_and_set("k", {"state": "closed", "n": 1}, "x") is False
    assert store.compare_and_set("k", {"state": "open", "n": 1}, {"state": "closed"}) is True
    assert store.get("k") == {"state": "closed"}


def test_compare_and_set_field_path_string(store: SyncMkv) -> None:
    # "$_id" must be compared as a string, not read as the document's _id field.
    store.set("k", "other")

    assert store.compare_and_set("k", "$_id", "changed") is False
    store.set("k", "$_id")
    assert store.compare_and_set("k", "$_id", "changed") is True


def test_compare_and_set_missing_key(store: SyncMkv, raw_collection: Any) -> None:
    assert store.compare_and_set("missing", None, 1) is False

    assert raw_collection.count_documents({}) == 0


def test_compare_and_set_expired_key(store: SyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "k", 1)

    assert store.compare_and_set("k", 1, 2) is False


def test_compare_and_set_invalid_value(store: SyncMkv) -> None:
    store.set("k", 1)

    with pytest.raises(InvalidValueError):
        store.compare_and_set("k", 1, {1: "bad"})
    with pytest.raises(InvalidValueError):
        store.compare_and_set("k", object(), 2)
    assert store.get("k") == 1


def test_compare_and_set_ttl(store: SyncMkv) -> None:
    store.set("k", 1)

    assert store.compare_and_set("k", 1, 2, ttl=60) is True

    remaining = store.ttl("k")
    assert remaining is not None
    assert 58 < remaining <= 60
