"""Per-key TTL: set(ttl=), expire, ttl, persist, and expired keys hidden from every read."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest

from mongokv.aio import AsyncMkv

UTC = datetime.timezone.utc


def past(seconds: float = 60) -> datetime.datetime:
    return datetime.datetime.now(UTC) - datetime.timedelta(seconds=seconds)


def future(seconds: float = 600) -> datetime.datetime:
    return datetime.datetime.now(UTC) + datetime.timedelta(seconds=seconds)


def insert_expired(raw_collection: Any, key: str, value: Any) -> None:
    """Store a document whose expiry has passed but that the TTL monitor has not deleted."""
    raw_collection.insert_one({"_id": key, "value": value, "expires_at": past()})


async def test_set_with_ttl_stores_bson_date(store: AsyncMkv, raw_collection: Any) -> None:
    before = datetime.datetime.now(UTC)
    await store.set("session", {"user": 1}, ttl=30)
    after = datetime.datetime.now(UTC)

    document = raw_collection.find_one({"_id": "session"})
    assert set(document) == {"_id", "value", "expires_at"}
    assert isinstance(document["expires_at"], datetime.datetime)
    lower = before + datetime.timedelta(seconds=30) - datetime.timedelta(milliseconds=1)
    upper = after + datetime.timedelta(seconds=30)
    assert lower <= document["expires_at"] <= upper


async def test_set_with_ttl_creates_ttl_index(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1, ttl=datetime.timedelta(minutes=5))

    indexes = raw_collection.index_information()
    ttl_indexes = [spec for spec in indexes.values() if "expireAfterSeconds" in spec]
    assert len(ttl_indexes) == 1
    assert ttl_indexes[0]["key"] == [("expires_at", 1)]
    assert ttl_indexes[0]["expireAfterSeconds"] == 0


async def test_ttl_reports_remaining_seconds(store: AsyncMkv) -> None:
    await store.set("k", 1, ttl=100)

    remaining = await store.ttl("k")
    assert remaining is not None
    assert 98 < remaining <= 100


async def test_ttl_none_without_expiry(store: AsyncMkv) -> None:
    await store.set("k", 1)

    assert await store.ttl("k") is None


async def test_ttl_missing_key_raises(store: AsyncMkv) -> None:
    with pytest.raises(KeyError):
        await store.ttl("missing")


async def test_set_without_ttl_clears_expiry(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1, ttl=100)
    await store.set("k", 2)

    assert await store.ttl("k") is None
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 2}


async def test_short_ttl_expires(store: AsyncMkv) -> None:
    await store.set("k", "v", ttl=0.5)
    assert await store.get("k") == "v"

    time.sleep(0.6)

    assert await store.get("k", None) is None
    assert await store.exists("k") is False


async def test_expired_key_invisible_to_reads(store: AsyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "old", "stale")
    await store.set("new", "fresh", ttl=600)
    await store.set("plain", "kept")

    with pytest.raises(KeyError):
        await store.get("old")
    assert await store.get("old", "default") == "default"
    assert await store.exists("old") is False
    assert await store.get_many(["old", "new", "plain"]) == {"new": "fresh", "plain": "kept"}
    assert sorted([key async for key in store.keys()]) == ["new", "plain"]
    assert sorted([value async for value in store.values()]) == ["fresh", "kept"]
    assert sorted([item async for item in store.items()]) == [("new", "fresh"), ("plain", "kept")]
    assert await store.count() == 2
    assert sorted(await store.all()) == ["new", "plain"]


async def test_expired_key_counts_as_absent(store: AsyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "old", 5)

    assert await store.remove("old") is False
    with pytest.raises(KeyError):
        await store.pop("old")
    assert await store.expire("old", 10) is False
    assert await store.persist("old") is False
    with pytest.raises(KeyError):
        await store.ttl("old")


async def test_expire_sets_expiry(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1)

    assert await store.expire("k", 50) is True

    stored = raw_collection.find_one({"_id": "k"})
    assert stored["value"] == 1
    assert "expires_at" in stored
    assert await store.get("k") == 1


@pytest.mark.real_mongodb(reason="nx-27017 stores a date written by $set as a string")
async def test_expire_then_ttl(store: AsyncMkv) -> None:
    await store.set("k", 1)
    await store.expire("k", 50)

    remaining = await store.ttl("k")
    assert remaining is not None
    assert 48 < remaining <= 50
    assert await store.count() == 1


async def test_expire_missing_key(store: AsyncMkv, raw_collection: Any) -> None:
    assert await store.expire("missing", 10) is False

    assert raw_collection.count_documents({}) == 0


async def test_expire_touches_no_other_key(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("a", 1)
    await store.set("b", 2, ttl=1000)

    await store.expire("a", 10)
    await store.persist("b")

    assert raw_collection.find_one({"_id": "b"}) == {"_id": "b", "value": 2}
    assert await store.ttl("b") is None
    assert "expires_at" in raw_collection.find_one({"_id": "a"})


async def test_expire_with_past_ttl_rejected(store: AsyncMkv) -> None:
    await store.set("k", 1)

    with pytest.raises(ValueError, match="positive"):
        await store.expire("k", -5)
    assert await store.ttl("k") is None


async def test_persist_removes_expiry(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1, ttl=100)

    assert await store.persist("k") is True
    assert await store.persist("k") is False
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 1}


async def test_persist_without_expiry_or_missing(store: AsyncMkv) -> None:
    await store.set("k", 1)

    assert await store.persist("k") is False
    assert await store.persist("missing") is False


@pytest.mark.parametrize("ttl", [0, -1, 0.0, -0.5, float("nan"), float("inf"), -float("inf")])
async def test_invalid_ttl_values_rejected(store: AsyncMkv, raw_collection: Any, ttl: Any) -> None:
    await store.set("k", "old")

    with pytest.raises(ValueError, match="Invalid ttl"):
        await store.set("k", "new", ttl=ttl)
    with pytest.raises(ValueError, match="Invalid ttl"):
        await store.set_many({"k": "new"}, ttl=ttl)
    with pytest.raises(ValueError, match="Invalid ttl"):
        await store.add("fresh", "new", ttl=ttl)

    assert await store.get("k") == "old"
    assert raw_collection.count_documents({}) == 1


@pytest.mark.parametrize("ttl", ["10", True, [1], datetime.datetime(2030, 1, 1)])
async def test_invalid_ttl_types_rejected(store: AsyncMkv, ttl: Any) -> None:
    with pytest.raises(TypeError, match="Invalid ttl"):
        await store.set("k", 1, ttl=ttl)

    assert await store.exists("k") is False


async def test_zero_timedelta_rejected(store: AsyncMkv) -> None:
    with pytest.raises(ValueError, match="positive"):
        await store.set("k", 1, ttl=datetime.timedelta(0))


async def test_huge_ttl_rejected(store: AsyncMkv) -> None:
    with pytest.raises(ValueError, match="9999"):
        await store.set("k", 1, ttl=datetime.timedelta.max)

    assert await store.exists("k") is False


async def test_set_many_with_ttl(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set_many({"a": 1, "b": 2}, ttl=100)

    for key in ("a", "b"):
        document = raw_collection.find_one({"_id": key})
        assert isinstance(document["expires_at"], datetime.datetime)
    remaining = await store.ttl("a")
    assert remaining is not None
    assert 98 < remaining <= 100
