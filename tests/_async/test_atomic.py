"""Atomic operations: incr, decr, add, setdefault, pop and compare_and_set."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import Decimal128, Int64

from mongokv.aio import AsyncMkv, InvalidValueError, WrongTypeError

UTC = datetime.timezone.utc


def insert_expired(raw_collection: Any, key: str, value: Any) -> None:
    expired = datetime.datetime.now(UTC) - datetime.timedelta(seconds=60)
    raw_collection.insert_one({"_id": key, "value": value, "expires_at": expired})


async def test_incr_missing_key_starts_at_zero(store: AsyncMkv, raw_collection: Any) -> None:
    assert await store.incr("hits") == 1
    assert await store.incr("hits") == 2
    assert await store.incr("hits", 10) == 12

    assert raw_collection.find_one({"_id": "hits"}) == {"_id": "hits", "value": 12}


async def test_decr(store: AsyncMkv) -> None:
    assert await store.decr("stock") == -1
    assert await store.decr("stock", 4) == -5
    assert await store.incr("stock", 5) == 0


async def test_incr_float(store: AsyncMkv) -> None:
    await store.set("balance", 1.5)

    assert await store.incr("balance", 0.25) == 1.75
    assert await store.decr("balance", 1.75) == 0.0


async def test_incr_keeps_expiry(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1, ttl=100)

    assert await store.incr("k") == 2

    assert "expires_at" in raw_collection.find_one({"_id": "k"})
    remaining = await store.ttl("k")
    assert remaining is not None
    assert remaining > 98


async def test_incr_large_int_stays_exact(store: AsyncMkv) -> None:
    await store.set("big", 2**62)

    assert await store.incr("big", 2**61) == 2**62 + 2**61


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
async def test_incr_non_number_raises(store: AsyncMkv, raw_collection: Any, stored: Any) -> None:
    await store.set("k", stored)

    with pytest.raises(WrongTypeError, match="not a number"):
        await store.incr("k")

    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": stored}


@pytest.mark.parametrize("amount", ["1", None, True, [1], 2**63, Decimal128("1")])
async def test_incr_invalid_amount_rejected(
    store: AsyncMkv, raw_collection: Any, amount: Any
) -> None:
    with pytest.raises((TypeError, ValueError), match="Invalid amount"):
        await store.incr("k", amount)
    with pytest.raises((TypeError, ValueError), match="Invalid amount"):
        await store.decr("k", amount)

    assert raw_collection.count_documents({}) == 0


async def test_incr_nan_rejected(store: AsyncMkv) -> None:
    with pytest.raises(ValueError, match="finite"):
        await store.incr("k", float("nan"))


@pytest.mark.real_mongodb(reason="nx-27017 returns no document for an upsert over an expired key")
async def test_incr_expired_key_restarts(store: AsyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "k", 41)

    assert await store.incr("k") == 1
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 1}


async def test_incr_int64_value(store: AsyncMkv) -> None:
    await store.set("k", Int64(5))

    assert await store.incr("k", 1) == 6


async def test_add_only_when_absent(store: AsyncMkv) -> None:
    assert await store.add("lock", "owner-1") is True
    assert await store.add("lock", "owner-2") is False

    assert await store.get("lock") == "owner-1"


async def test_add_replaces_expired(store: AsyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "lock", "old-owner")

    assert await store.add("lock", "new-owner") is True

    assert raw_collection.find_one({"_id": "lock"}) == {"_id": "lock", "value": "new-owner"}


async def test_add_with_ttl(store: AsyncMkv) -> None:
    assert await store.add("lock", 1, ttl=30) is True

    remaining = await store.ttl("lock")
    assert remaining is not None
    assert 28 < remaining <= 30


async def test_add_invalid_value_rejected(store: AsyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidValueError):
        await store.add("k", {1, 2})

    assert raw_collection.count_documents({}) == 0


async def test_setdefault_existing_returns_value(store: AsyncMkv) -> None:
    await store.set("k", "stored")

    assert await store.setdefault("k", "default") == "stored"
    assert await store.get("k") == "stored"


@pytest.mark.real_mongodb(reason="nx-27017 ignores $setOnInsert when an upsert inserts")
async def test_setdefault_absent_stores_default(store: AsyncMkv, raw_collection: Any) -> None:
    assert await store.setdefault("k", {"n": 1}) == {"n": 1}
    assert await store.setdefault("k", {"n": 2}) == {"n": 1}

    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": {"n": 1}}


@pytest.mark.real_mongodb(reason="nx-27017 ignores $setOnInsert when an upsert inserts")
async def test_setdefault_none_default(store: AsyncMkv) -> None:
    assert await store.setdefault("k") is None
    assert await store.exists("k") is True
    assert await store.get("k") is None


async def test_setdefault_invalid_default_rejected(store: AsyncMkv, raw_collection: Any) -> None:
    with pytest.raises(InvalidValueError):
        await store.setdefault("k", object())

    assert raw_collection.count_documents({}) == 0


async def test_pop_returns_and_deletes(store: AsyncMkv) -> None:
    await store.set("k", [1, 2])

    assert await store.pop("k") == [1, 2]
    assert await store.exists("k") is False


async def test_pop_missing(store: AsyncMkv) -> None:
    assert await store.pop("missing", None) is None
    assert await store.pop("missing", "fallback") == "fallback"
    with pytest.raises(KeyError) as caught:
        await store.pop("missing")
    assert caught.value.args == ("missing",)


async def test_compare_and_set_scalar(store: AsyncMkv) -> None:
    await store.set("version", 1)

    assert await store.compare_and_set("version", 1, 2) is True
    assert await store.compare_and_set("version", 1, 3) is False
    assert await store.get("version") == 2


async def test_compare_and_set_not_fooled_by_arrays(store: AsyncMkv) -> None:
    await store.set("k", [1, 2])

    assert await store.compare_and_set("k", 1, "changed") is False
    assert await store.compare_and_set("k", [1, 2], "changed") is True
    assert await store.get("k") == "changed"


async def test_compare_and_set_documents(store: AsyncMkv) -> None:
    await store.set("k", {"state": "open", "n": 1})

    assert await store.compare_and_set("k", {"state": "closed", "n": 1}, "x") is False
    assert await store.compare_and_set("k", {"state": "open", "n": 1}, {"state": "closed"}) is True
    assert await store.get("k") == {"state": "closed"}


async def test_compare_and_set_field_path_string(store: AsyncMkv) -> None:
    # "$_id" must be compared as a string, not read as the document's _id field.
    await store.set("k", "other")

    assert await store.compare_and_set("k", "$_id", "changed") is False
    await store.set("k", "$_id")
    assert await store.compare_and_set("k", "$_id", "changed") is True


async def test_compare_and_set_missing_key(store: AsyncMkv, raw_collection: Any) -> None:
    assert await store.compare_and_set("missing", None, 1) is False

    assert raw_collection.count_documents({}) == 0


async def test_compare_and_set_expired_key(store: AsyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "k", 1)

    assert await store.compare_and_set("k", 1, 2) is False


async def test_compare_and_set_invalid_value(store: AsyncMkv) -> None:
    await store.set("k", 1)

    with pytest.raises(InvalidValueError):
        await store.compare_and_set("k", 1, {1: "bad"})
    with pytest.raises(InvalidValueError):
        await store.compare_and_set("k", object(), 2)
    assert await store.get("k") == 1


async def test_compare_and_set_ttl(store: AsyncMkv) -> None:
    await store.set("k", 1)

    assert await store.compare_and_set("k", 1, 2, ttl=60) is True

    remaining = await store.ttl("k")
    assert remaining is not None
    assert 58 < remaining <= 60
