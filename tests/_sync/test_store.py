# This file is generated from tests/_async/test_store.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""The seed API on one store: set, get, remove, all, purge, close and the PyMongo handles."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import PyMongoError

from mongokv.sync import InvalidKeyError, InvalidValueError, StoreClosedError, SyncMkv
from tests.conftest import TEST_DB


def test_set_returns_key_and_get_reads_it(store: SyncMkv) -> None:
    assert store.set("username", "harrison") == "username"
    assert store.get("username") == "harrison"


def test_set_stores_one_plain_document(store: SyncMkv, raw_collection: Any) -> None:
    store.set("user:1", {"name": "Alice", "tags": ["a", "b"]})

    documents = list(raw_collection.find({}))
    assert documents == [{"_id": "user:1", "value": {"name": "Alice", "tags": ["a", "b"]}}]


def test_set_overwrite_keeps_one_document(store: SyncMkv, raw_collection: Any) -> None:
    store.set("k", 1)
    store.set("k", {"nested": True})

    assert raw_collection.count_documents({}) == 1
    assert store.get("k") == {"nested": True}


def test_set_none_key_generates_object_id(store: SyncMkv, raw_collection: Any) -> None:
    first = store.set(None, {"title": "mongoKV"})
    second = store.set(None, {"title": "again"})

    assert ObjectId.is_valid(first)
    assert ObjectId.is_valid(second)
    assert first != second
    assert raw_collection.find_one({"_id": first}) == {"_id": first, "value": {"title": "mongoKV"}}
    assert store.get(second) == {"title": "again"}


@pytest.mark.parametrize(
    ("key", "stored_id"),
    [(1, "1"), (2.5, "2.5"), (True, "True"), (("a", 1), "('a', 1)"), ("", "")],
)
def test_non_string_keys_use_str(
    store: SyncMkv, raw_collection: Any, key: Any, stored_id: str
) -> None:
    assert store.set(key, "v") == stored_id

    assert raw_collection.find_one({"_id": stored_id}) == {"_id": stored_id, "value": "v"}
    assert store.get(key) == "v"
    assert store.get(stored_id) == "v"


def test_key_with_query_syntax_is_plain_data(store: SyncMkv) -> None:
    keys = ["$gt", "a.b", "^.*$", "{'$ne': 1}", "\x00nul", "ключ", "🔑"]
    for index, key in enumerate(keys):
        store.set(key, index)

    for index, key in enumerate(keys):
        assert store.get(key) == index
    assert sorted(store.all()) == sorted(keys)


@pytest.mark.parametrize("key", [None, b"bytes", bytearray(b"x")])
def test_invalid_key_rejected(store: SyncMkv, key: Any) -> None:
    with pytest.raises(InvalidKeyError, match="Invalid key"):
        store.get(key)
    with pytest.raises(InvalidKeyError):
        store.remove(key)


def test_get_missing_raises_key_error_with_key(store: SyncMkv) -> None:
    with pytest.raises(KeyError) as caught:
        store.get(42)

    assert caught.value.args == (42,)


def test_get_default_returned_for_missing(store: SyncMkv) -> None:
    assert store.get("nope", default="N/A") == "N/A"
    assert store.get("nope", default=None) is None
    assert store.get("nope", {}) == {}


def test_get_default_ignored_for_present(store: SyncMkv) -> None:
    store.set("k", 0)
    store.set("n", None)

    assert store.get("k", default=5) == 0
    assert store.get("n", default=5) is None


def test_remove_reports_whether_key_existed(store: SyncMkv) -> None:
    store.set("user:1", "x")

    assert store.remove("user:1") is True
    assert store.remove("user:1") is False
    assert store.get("user:1", None) is None


def test_all_on_empty_collection(store: SyncMkv) -> None:
    assert store.all() == []


def test_all_lists_every_key(store: SyncMkv) -> None:
    expected = {f"key:{index}" for index in range(250)}
    for key in expected:
        store.set(key, 1)

    keys = store.all()
    assert len(keys) == 250
    assert set(keys) == expected


def test_purge_keeps_collection_and_indexes(store: SyncMkv, raw_collection: Any) -> None:
    store.set("a", 1)
    store.set("b", 2)
    raw_collection.create_index("value")
    indexes_before = sorted(raw_collection.index_information())

    assert store.purge() is True

    assert store.all() == []
    assert sorted(raw_collection.index_information()) == indexes_before
    assert store.purge() is True


def test_values_round_trip(store: SyncMkv) -> None:
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
        store.set(index, value)

    for index, value in enumerate(values):
        assert store.get(index) == value


def test_invalid_value_rejected_and_old_value_kept(store: SyncMkv) -> None:
    store.set("x", "old")

    with pytest.raises(InvalidValueError) as caught:
        store.set("x", object())

    message = str(caught.value)
    assert "'x'" in message
    assert "object" in message
    assert store.get("x") == "old"


def test_invalid_value_is_pymongo_error(store: SyncMkv) -> None:
    with pytest.raises(PyMongoError):
        store.set("x", object())


def test_set_none_key_with_invalid_value_creates_nothing(
    store: SyncMkv, raw_collection: Any
) -> None:
    with pytest.raises(InvalidValueError):
        store.set(None, {1: "non-string field"})

    assert raw_collection.count_documents({}) == 0


def test_collection_and_db_are_pymongo_handles(store: SyncMkv) -> None:
    store.set("k", "v")

    assert store.db.name == TEST_DB
    assert store.collection.find_one({"_id": "k"}) == {"_id": "k", "value": "v"}
    assert store.collection.database.name == TEST_DB


def test_client_options_pass_through(mongodb_uri: str, collection_name: str) -> None:
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name, tz_aware=False)
    try:
        moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        store.set("when", moment)

        assert store.get("when") == moment.replace(tzinfo=None)
        assert store.client.options.codec_options.tz_aware is False
    finally:
        store.close()


def test_datetimes_come_back_aware_in_utc(store: SyncMkv) -> None:
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2024, 1, 2, 12, 0, tzinfo=plus_two)
    store.set("when", moment)

    stored = store.get("when")
    assert stored == moment
    assert stored.utcoffset() == datetime.timedelta(0)
    assert stored.hour == 10


def test_close_twice_is_harmless(store: SyncMkv) -> None:
    store.set("k", 1)

    store.close()
    store.close()


def test_operation_after_close_raises(store: SyncMkv) -> None:
    store.set("k", 1)
    store.close()

    with pytest.raises(StoreClosedError, match="closed"):
        store.get("k")
    with pytest.raises(StoreClosedError):
        store.set("k", 2)


def test_close_before_any_use(mongodb_uri: str, collection_name: str) -> None:
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name)
    store.close()

    with pytest.raises(StoreClosedError):
        store.all()


def test_context_manager_closes(mongodb_uri: str, collection_name: str) -> None:
    with SyncMkv(mongodb_uri, TEST_DB, collection_name) as store:
        store.set("k", "v")
        assert store.get("k") == "v"

    with pytest.raises(StoreClosedError):
        store.get("k")


def test_construction_opens_no_connection(collection_name: str) -> None:
    # Nothing listens on port 9: construction must still succeed, because clients are
    # created on first use.
    store = SyncMkv("mongodb://127.0.0.1:9", TEST_DB, collection_name)
    store.close()


def test_repr_hides_password() -> None:
    store = SyncMkv("mongodb://alice:s3cret@db.example:27017/?tls=true", "app", "cache")

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
        SyncMkv(**arguments)
