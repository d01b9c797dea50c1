"""Mkv(client=...) with an existing client, and namespace() sharing clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import ConfigurationError

from mongokv import AsyncMkv, Mkv, StoreClosedError, SyncMkv
from tests.conftest import TEST_DB


def test_sync_store_uses_given_client(mongodb_uri: str, collection_name: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    store = SyncMkv(client=client, db_name=TEST_DB, collection_name=collection_name)

    store.set("k", 1)
    assert store.client is client
    store.close()

    # The caller's client is still open and reads the data.
    assert client[TEST_DB][collection_name].find_one({"_id": "k"}) == {"_id": "k", "value": 1}
    client.close()


async def test_async_store_uses_given_client(mongodb_uri: str, collection_name: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    store = AsyncMkv(client=client, db_name=TEST_DB, collection_name=collection_name)

    await store.set("k", 1)
    assert store.client is client
    await store.close()

    document = await client[TEST_DB][collection_name].find_one({"_id": "k"})
    assert document == {"_id": "k", "value": 1}
    await client.close()


def test_sync_client_only_rejects_async_use(mongodb_uri: str, collection_name: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    store = Mkv(client=client, db_name=TEST_DB, collection_name=collection_name)
    store.set("k", 1)

    async def inside() -> None:
        with pytest.raises(ConfigurationError, match="AsyncMongoClient"):
            await store.get("k")

    asyncio.run(inside())
    store.close()
    client.close()


def test_async_client_only_rejects_sync_use(mongodb_uri: str, collection_name: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    store = Mkv(client=client, db_name=TEST_DB, collection_name=collection_name)

    with pytest.raises(ConfigurationError, match=r"pymongo\.MongoClient"):
        store.get("k")

    async def inside() -> Any:
        await store.set("k", 2)
        value = await store.get("k")
        await store.close()
        await client.close()
        return value

    assert asyncio.run(inside()) == 2


def test_client_with_uri_rejected(mongodb_uri: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    try:
        with pytest.raises(TypeError, match="either client= or a mongo_uri"):
            Mkv(mongodb_uri, client=client)
        with pytest.raises(TypeError, match="either client= or a mongo_uri"):
            Mkv(client=client, tz_aware=False)
    finally:
        client.close()


def test_repr_with_client(mongodb_uri: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    try:
        assert "existing client" in repr(Mkv(client=client))
    finally:
        client.close()


def test_namespace_shares_client(
    mongodb_uri: str, collection_name: str, admin_client: Any
) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    other_name = collection_name + "_other"
    other = store.namespace(other_name)
    try:
        store.set("k", "main")
        other.set("k", "other")

        assert store.get("k") == "main"
        assert other.get("k") == "other"
        assert other.sync.client is store.sync.client
        assert other.collection.name == other_name
        assert admin_client[TEST_DB][other_name].find_one({"_id": "k"}) == {
            "_id": "k",
            "value": "other",
        }

        # Closing the namespace leaves the shared client open for the parent.
        other.close()
        assert store.get("k") == "main"
    finally:
        store.close()
        admin_client[TEST_DB].drop_collection(other_name)


async def test_async_namespace_shares_client(
    mongodb_uri: str, collection_name: str, admin_client: Any
) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name)
    other_name = collection_name + "_other"
    other = store.namespace(other_name)
    try:
        await store.set("k", "main")
        await other.set("k", "other")

        assert await other.get("k") == "other"
        assert other.client is store.client
        await other.close()
        assert await store.get("k") == "main"
    finally:
        await store.close()
        admin_client[TEST_DB].drop_collection(other_name)


def test_namespace_invalid_name(mongodb_uri: str) -> None:
    with pytest.raises(TypeError, match="collection_name must be a non-empty str"):
        Mkv(mongodb_uri).namespace("")


def test_namespace_after_close_raises(mongodb_uri: str) -> None:
    store = Mkv(mongodb_uri)
    store.close()

    with pytest.raises(StoreClosedError):
        store.namespace("other")
