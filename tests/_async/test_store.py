"""The seed API on one store: set, get, remove, all, purge, close and the PyMongo handles."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import PyMongoError

from mongokv.aio import AsyncMkv, InvalidKeyError, InvalidValueError, StoreClosedError
from tests.conftest import TEST_DB


async def test_set_returns_key_and_get_reads_it(store: AsyncMkv) -> None:
    assert await store.set("username", "harrison") == "username"
    assert await store.get("username") == "harrison"


async def test_set_stores_one_plain_document(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("user:1", {"name": "Alice", "tags": ["a", "b"]})

    documents = list(raw_collection.find({}))
    assert documents == [{"_id": "user:1", "value": {"name": "Alice", "tags": ["a", "b"]}}]


async def test_set_overwrite_keeps_one_document(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("k", 1)
    await store.set("k", {"nested": True})

    assert raw_collection.count_documents({}) == 1
    assert await store.get("k") == {"nested": True}


async def test_set_none_key_generates_object_id(store: AsyncMkv, raw_collection: Any) -> None:
    first = await store.set(None, {"title": "mongoKV"})
    second = await store.set(None, {"title": "again"})

    assert ObjectId.is_valid(first)
    assert ObjectId.is_valid(second)
    assert first != second
    assert raw_collection.find_one({"_id": first}) == {"_id": first, "value": {"title": "mongoKV"}}
    assert await store.get(second) == {"title": "again"}


@pytest.mark.parametrize(
    ("key", "stored_id"),
    [(1, "1"), (2.5, "2.5"), (True, "True"), (("a", 1), "('a', 1)"), ("", "")],
)
async def test_non_string_keys_use_str(
    store: AsyncMkv, raw_collection: Any, key: Any, stored_id: str
) -> None:
    assert await store.set(key, "v") == stored_id

    assert raw_collection.find_one({"_id": stored_id}) == {"_id": stored_id, "value": "v"}
    assert await store.get(key) == "v"
    assert await store.get(stored_id) == "v"


async def test_key_with_query_syntax_is_plain_data(store: AsyncMkv) -> None:
    keys = ["$gt", "a.b", "^.*$", "{'$ne': 1}", "\x00nul", "ключ", "🔑"]
    for index, key in enumerate(keys):
        await store.set(key, index)

    for index, key in enumerate(keys):
        assert await store.get(key) == index
    assert sorted(await store.all()) == sorted(keys)


@pytest.mark.parametrize("key", [None, b"bytes", bytearray(b"x")])
async def test_invalid_key_rejected(store: AsyncMkv, key: Any) -> None:
    with pytest.raises(InvalidKeyError, match="Invalid key"):
        await store.get(key)
    with pytest.raises(InvalidKeyError):
        await store.remove(key)


async def test_get_missing_raises_key_error_with_key(store: AsyncMkv) -> None:
    with pytest.raises(KeyError) as caught:
        await store.get(42)

    assert caught.value.args == (42,)


async def test_get_default_returned_for_missing(store: AsyncMkv) -> None:
    assert await store.get("nope", default="N/A") == "N/A"
    assert await store.get("nope", default=None) is None
    assert await store.get("nope", {}) == {}


async def test_get_default_ignored_for_present(store: AsyncMkv) -> None:
    await store.set("k", 0)
    await store.set("n", None)

    assert await store.get("k", default=5) == 0
    assert await store.get("n", default=5) is None


async def test_remove_reports_whether_key_existed(store: AsyncMkv) -> None:
    await store.set("user:1", "x")

    assert await store.remove("user:1") is True
    assert await store.remove("user:1") is False
    assert await store.get("user:1", None) is None


async def test_all_on_empty_collection(store: AsyncMkv) -> None:
    assert await store.all() == []


async def test_all_lists_every_key(store: AsyncMkv) -> None:
    expected = {f"key:{index}" for index in range(250)}
    for key in expected:
        await store.set(key, 1)

    keys = await store.all()
    assert len(keys) == 250
    assert set(keys) == expected


async def test_purge_keeps_collection_and_indexes(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("a", 1)
    await store.set("b", 2)
    raw_collection.create_index("value")
    indexes_before = sorted(raw_collection.index_information())

    assert await store.purge() is True

    assert await store.all() == []
    assert sorted(raw_collection.index_information()) == indexes_before
    assert await store.purge() is True


async def test_values_round_trip(store: AsyncMkv) -> None:
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.timezone.utc)
    values: list[Any] = [
        "text",
        0,
        -(2**63),
        2**63 - 1,
        1.5,
        True,
        None,
        b"\x00\xff",
        [1, "two", [3]],
        {"a": {"b": {"c": [1, 2]}}},
        moment,
        ObjectId("677eec65e92eeca23513fe99"),
        "",
        [],
        {},
    ]
    for index, value in enumerate(values):
        await store.set(index, value)

    for index, value in enumerate(values):
        assert await store.get(index) == value


async def test_invalid_value_rejected_and_old_value_kept(store: AsyncMkv) -> None:
    await store.set("x", "old")

    with pytest.raises(InvalidValueError) as caught:
        await store.set("x", object())

    message = str(caught.value)
    assert "'x'" in message
    assert "object" in message
    assert await store.get("x") == "old"


async def test_invalid_value_is_pymongo_error(store: AsyncMkv) -> None:
    with pytest.raises(PyMongoError):
        await store.set("x", object())


async def test_set_none_key_with_invalid_value_creates_nothing(
    store: AsyncMkv, raw_collection: Any
) -> None:
    with pytest.raises(InvalidValueError):
        await store.set(None, {1: "non-string field"})

    assert raw_collection.count_documents({}) == 0


async def test_collection_and_db_are_pymongo_handles(store: AsyncMkv) -> None:
    await store.set("k", "v")

    assert store.db.name == TEST_DB
    assert await store.collection.find_one({"_id": "k"}) == {"_id": "k", "value": "v"}
    assert store.collection.database.name == TEST_DB


async def test_client_options_pass_through(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name, tz_aware=False)
    try:
        moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        await store.set("when", moment)

        assert await store.get("when") == moment.replace(tzinfo=None)
        assert store.client.options.codec_options.tz_aware is False
    finally:
        await store.close()


async def test_datetimes_come_back_aware_in_utc(store: AsyncMkv) -> None:
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2024, 1, 2, 12, 0, tzinfo=plus_two)
    await store.set("when", moment)

    stored = await store.get("when")
    assert stored == moment
    assert stored.utcoffset() == datetime.timedelta(0)
    assert stored.hour == 10


async def test_close_twice_is_harmless(store: AsyncMkv) -> None:
    await store.set("k", 1)

    await store.close()
    await store.close()


async def test_operation_after_close_raises(store: AsyncMkv) -> None:
    await store.set("k", 1)
    await store.close()

    with pytest.raises(StoreClosedError, match="closed"):
        await store.get("k")
    with pytest.raises(StoreClosedError):
        await store.set("k", 2)


async def test_close_before_any_use(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name)
    await store.close()

    with pytest.raises(StoreClosedError):
        await store.all()


async def test_context_manager_closes(mongodb_uri: str, collection_name: str) -> None:
    async with AsyncMkv(mongodb_uri, TEST_DB, collection_name) as store:
        await store.set("k", "v")
        assert await store.get("k") == "v"

    with pytest.raises(StoreClosedError):
        await store.get("k")


async def test_construction_opens_no_connection(collection_name: str) -> None:
    # Nothing listens on port 9: construction must still succeed, because clients are
    # created on first use.
    store = AsyncMkv("mongodb://127.0.0.1:9", TEST_DB, collection_name)
    await store.close()


def test_repr_hides_password() -> None:
    store = AsyncMkv("mongodb://alice:s3cret@db.example:27017/?tls=true", "app", "cache")

    text = repr(store)
    assert "s3cret" not in text
    assert "alice:***@db.example" in text
    assert "db_name='app'" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"mongo_uri": 27017}, "mongo_uri must be a str"),
        ({"db_name": ""}, "db_name must be a non-empty str"),
        ({"collection_name": None}, "collection_name must be a non-empty str"),
        ({"client": "mongodb://x"}, "client must be a pymongo.MongoClient"),
    ],
)
def test_invalid_constructor_arguments(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        AsyncMkv(**arguments)
