# This file is generated from tests/_async/test_expiry.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""Per-key TTL: set(ttl=), expire, ttl, persist, and expired keys hidden from every read."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest

from mongokv.sync import SyncMkv

UTC = datetime.timezone.utc


def past(seconds: float = 60) -> datetime.datetime:
    return datetime.datetime.now(UTC) - datetime.timedelta(seconds=seconds)


def future(seconds: float = 600) -> datetime.datetime:
    return datetime.datetime.now(UTC) + datetime.timedelta(seconds=seconds)


def insert_expired(raw_collection: Any, key: str, value: Any) -> None:
    """Store a document whose expiry has passed but that the TTL monitor has not deleted."""
    raw_collection.insert_one({"_id": key, "value": value, "expires_at": past()})


def test_set_with_ttl_stores_bson_date(store: SyncMkv, raw_collection: Any) -> None:
    before = datetime.datetime.now(UTC)
    store.set("session", {"user": 1}, ttl=30)
    after = datetime.datetime.now(UTC)

    document = raw_collection.find_one({"_id": "session"})
    assert set(document) == {"_id", "value", "expires_at"}
    assert isinstance(document["expires_at"], datetime.datetime)
    lower = before + datetime.timedelta(seconds=30) - datetime.timedelta(milliseconds=1)
    upper = after + datetime.timedelta(seconds=30)
    assert lower <= document["expires_at"] <= upper


def test_set_with_ttl_creates_ttl_index(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1, ttl=datetime.timedelta(minutes=5))

    indexes = raw_collection.index_information()
    ttl_indexes = [spec for spec in indexes.values() if "expireAfterSeconds" in spec]
    assert len(ttl_indexes) == 1
    assert ttl_indexes[0]["key"] == [("expires_at", 1)]
    assert ttl_indexes[0]["expireAfterSeconds"] == 0


def test_ttl_reports_remaining_seconds(store: SyncMkv) -> None:
    store.set("k", 1, ttl=100)

    remaining = store.ttl("k")
    assert remaining is not None
    assert 98 < remaining <= 100


def test_ttl_none_without_expiry(store: SyncMkv) -> None:
    store.set("k", 1)

    assert store.ttl("k") is None


def test_ttl_missing_key_raises(store: SyncMkv) -> None:
    with pytest.raises(KeyError):
        store.ttl("missing")


def test_set_without_ttl_clears_expiry(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1, ttl=100)
    store.set("k", 2)

    assert store.ttl("k") is None
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 2}


def test_short_ttl_expires(store: SyncMkv) -> None:
    store.set("k", "v", ttl=0.5)
    assert store.get("k") == "v"

    time.sleep(0.6)

    assert store.get("k", None) is None
    assert store.exists("k") is False


def test_expired_key_invisible_to_reads(store: SyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "old", "stale")
    store.set("new", "fresh", ttl=600)
    store.set("plain", "kept")

    with pytest.raises(KeyError):
        store.get("old")
    assert store.get("old", "default") == "default"
    assert store.exists("old") is False
    assert store.get_many(["old", "new", "plain"]) == {"new": "fresh", "plain": "kept"}
    assert sorted([key for key in store.keys()]) == ["new", "plain"]
    assert sorted([value for value in store.values()]) == ["fresh", "kept"]
    assert sorted([item for item in store.items()]) == [("new", "fresh"), ("plain", "kept")]
    assert store.count() == 2
    assert sorted(store.all()) == ["new", "plain"]


def test_expired_key_counts_as_absent(store: SyncMkv, raw_collection: Any) -> None:
    insert_expired(raw_collection, "old", 5)

    assert store.remove("old") is False
    with pytest.raises(KeyError):
        store.pop("old")
    assert store.expire("old", 10) is False
    assert store.persist("old") is False
    with pytest.raises(KeyError):
        store.ttl("old")


def test_expire_sets_expiry(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1)

    assert store.expire("k", 50) is True

    stored = raw_collection.find_one({"_id": "k"})
    assert stored["value"] == 1
    assert "expires_at" in stored
    assert store.get("k") == 1


@pytest.mark.real_mongodb(reason="nx-27017 stores a date written by $set as a string")
def test_expire_then_ttl(store: SyncMkv) -> None:
    store.set("k", 1)
    store.expire("k", 50)

    remaining = store.ttl("k")
    assert remaining is not None
    assert 48 < remaining <= 50
    assert store.count() == 1


def test_expire_missing_key(store: SyncMkv, raw_collection: Any) -> None:
    assert store.expire("missing", 10) is False

    assert raw_collection.count_documents({}) == 0


def test_expire_touches_no_other_key(store: SyncMkv, raw_collection: Any) -> None:
    store.set("a", 1)
    store.set("b", 2, ttl=1000)

    store.expire("a", 10)
    store.persist("b")

    assert raw_collection.find_one({"_id": "b"}) == {"_id": "b", "value": 2}
    assert store.ttl("b") is None
    assert "expires_at" in raw_collection.find_one({"_id": "a"})


def test_expire_with_past_ttl_rejected(store: SyncMkv) -> None:
    store.set("k", 1)

    with pytest.raises(ValueError, match="positive"):
        store.expire("k", -5)
    assert store.ttl("k") is None


def test_persist_removes_expiry(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1, ttl=100)

    assert store.persist("k") is True
    assert store.persist("k") is False
    assert raw_collection.find_one({"_id": "k"}) == {"_id": "k", "value": 1}


def test_persist_without_expiry_or_missing(store: SyncMkv) -> None:
    store.set("k", 1)

    assert store.persist("k") is False
    assert store.persist("missing") is False


@pytest.mark.parametrize("ttl", [0, -1, 0.0, -0.5, float("nan"), float("inf"), -float("inf")])
def test_invalid_ttl_values_rejected(store: SyncMkv, raw_collection: Any, ttl: Any) -> None:
    store.set("k", "old")

    with pytest.raises(ValueError, match="Invalid ttl"):
        store.set("k", "new", ttl=ttl)
    with pytest.raises(ValueError, match="Invalid ttl"):
        store.set_many({"k": "new"}, ttl=ttl)
    with pytest.raises(ValueError, match="Invalid ttl"):
        store.add("fresh", "new", ttl=ttl)

    assert store.get("k") == "old"
    assert raw_collection.count_documents({}) == 1


@pytest.mark.parametrize("ttl", ["10", True, [1], datetime.datetime(2030, 1, 1)])
def test_invalid_ttl_types_rejected(store: SyncMkv, ttl: Any) -> None:
    with pytest.raises(TypeError, match="Invalid ttl"):
        store.set("k", 1, ttl=ttl)

    assert store.exists("k") is False


def test_zero_timedelta_rejected(store: SyncMkv) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.set("k", 1, ttl=datetime.timedelta(0))


def test_huge_ttl_rejected(store: SyncMkv) -> None:
    with pytest.raises(ValueError, match="9999"):
        store.set("k", 1, ttl=datetime.timedelta.max)

    assert store.exists("k") is False


def test_set_many_with_ttl(store: SyncMkv, raw_collection: Any) -> None:
    store.set_many({"a": 1, "b": 2}, ttl=100)

    for key in ("a", "b"):
        document = raw_collection.find_one({"_id": key})
        assert isinstance(document["expires_at"], datetime.datetime)
    remaining = store.ttl("a")
    assert remaining is not None
    assert 98 < remaining <= 100
