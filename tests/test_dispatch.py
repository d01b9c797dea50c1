"""Mkv, the dispatcher: sync results outside a loop, coroutines inside one, one object."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.synchronous.collection import Collection
from pymongo.synchronous.database import Database

from mongokv import Mkv, StoreClosedError
from tests.conftest import TEST_DB


@pytest.fixture
def mkv(mongodb_uri: str, collection_name: str) -> Any:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    yield store
    store.close()


def test_sync_calls_return_results(mkv: Mkv) -> None:
    assert mkv.set("username", "harrison") == "username"
    assert mkv.get("username") == "harrison"
    assert mkv.get("missing", None) is None
    assert mkv.all() == ["username"]
    assert mkv.remove("username") is True
    assert mkv.remove("username") is False
    assert mkv.purge() is True


def test_sync_get_missing_raises_key_error(mkv: Mkv) -> None:
    with pytest.raises(KeyError):
        mkv.get("missing")


async def test_async_calls_return_coroutines(mkv: Mkv) -> None:
    pending = mkv.set("counter", 1)
    assert inspect.iscoroutine(pending)
    assert await pending == "counter"

    assert await mkv.get("counter", 0) == 1
    assert await mkv.get("missing", default=None) is None
    assert await mkv.all() == ["counter"]
    assert await mkv.remove("counter") is True
    assert await mkv.purge() is True


async def test_async_get_missing_raises_key_error(mkv: Mkv) -> None:
    with pytest.raises(KeyError):
        await mkv.get("missing")


def test_same_object_in_sync_and_async_code(mkv: Mkv) -> None:
    mkv.set("a", 1)

    async def use_async() -> Any:
        await mkv.set("b", 2)
        return await mkv.get("a")

    assert asyncio.run(use_async()) == 1
    assert mkv.get("b") == 2


def test_two_consecutive_asyncio_runs(mkv: Mkv) -> None:
    async def increment() -> int:
        current = await mkv.get("counter", 0)
        await mkv.set("counter", current + 1)
        return int(await mkv.get("counter"))

    assert asyncio.run(increment()) == 1
    assert asyncio.run(increment()) == 2
    assert asyncio.run(increment()) == 3


def test_threads_each_running_a_loop(mkv: Mkv) -> None:
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        async def main() -> None:
            for step in range(20):
                await mkv.set(f"t{number}:{step}", step)
            assert await mkv.get(f"t{number}:19") == 19

        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mkv.all()) == 80


def test_loop_shutdown_closes_its_client(mkv: Mkv) -> None:
    clients: list[Any] = []

    async def main() -> None:
        await mkv.set("k", 1)
        clients.append(mkv.aio.client)

    asyncio.run(main())
    asyncio.run(main())

    assert len(clients) == 2
    assert clients[0] is not clients[1]
    assert clients[0]._closed is True
    assert clients[1]._closed is True


def test_db_and_collection_follow_context(mkv: Mkv) -> None:
    assert isinstance(mkv.collection, Collection)
    assert isinstance(mkv.db, Database)
    assert mkv.db.name == TEST_DB

    async def inside() -> tuple[Any, Any]:
        return mkv.collection, mkv.db

    collection, database = asyncio.run(inside())
    assert isinstance(collection, AsyncCollection)
    assert isinstance(database, AsyncDatabase)


def test_sync_close_after_mixed_use(mongodb_uri: str, collection_name: str) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    store.set("a", 1)
    sync_client = store.sync.client

    async def use() -> None:
        await store.set("b", 2)

    asyncio.run(use())

    store.close()
    store.close()

    assert sync_client._closed is True
    with pytest.raises(StoreClosedError):
        store.get("a")

    async def after_close() -> None:
        await store.get("a")

    with pytest.raises(StoreClosedError):
        asyncio.run(after_close())


def test_sync_close_reaches_loop_in_other_thread(mongodb_uri: str, collection_name: str) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    ready = threading.Event()
    release = threading.Event()
    clients: list[Any] = []

    async def hold_loop_open() -> None:
        await store.set("k", 1)
        clients.append(store.aio.client)
        ready.set()
        await asyncio.to_thread(release.wait, 30)

    thread = threading.Thread(target=asyncio.run, args=(hold_loop_open(),))
    thread.start()
    assert ready.wait(timeout=30)

    store.close()

    assert clients[0]._closed is True
    release.set()
    thread.join(timeout=30)


async def test_async_close_after_mixed_use(mongodb_uri: str, collection_name: str) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name)
    await store.set("a", 1)
    async_client = store.aio.client
    await asyncio.to_thread(store.sync.set, "b", 2)
    sync_client = store.sync.client

    await store.close()
    await store.close()

    assert async_client._closed is True
    assert sync_client._closed is True
    with pytest.raises(StoreClosedError):
        await store.get("a")


def test_with_block_closes(mongodb_uri: str, collection_name: str) -> None:
    with Mkv(mongodb_uri, TEST_DB, collection_name) as store:
        store.set("k", "v")
        assert store.get("k") == "v"

    with pytest.raises(StoreClosedError):
        store.get("k")


async def test_async_with_block_closes(mongodb_uri: str, collection_name: str) -> None:
    async with Mkv(mongodb_uri, TEST_DB, collection_name) as store:
        await store.set("k", "v")
        assert await store.get("k") == "v"

    with pytest.raises(StoreClosedError):
        await store.get("k")


def test_repr_hides_password() -> None:
    text = repr(Mkv("mongodb://bob:hunter2@127.0.0.1:9/admin"))

    assert text.startswith("Mkv(")
    assert "hunter2" not in text
    assert "bob:***@127.0.0.1:9" in text


def test_uri_from_environment(
    monkeypatch: pytest.MonkeyPatch, mongodb_uri: str, collection_name: str
) -> None:
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)

    with Mkv(db_name=TEST_DB, collection_name=collection_name) as store:
        store.set("k", 1)
        assert store.get("k") == 1


def test_default_uri_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)

    assert "'mongodb://localhost:27017'" in repr(Mkv())


def test_sync_forwards_every_operation(mkv: Mkv) -> None:
    assert mkv.set("a", 1, ttl=60) == "a"
    assert mkv.exists("a") is True
    assert 58 < mkv.ttl("a") <= 60
    assert mkv.persist("a") is True
    assert mkv.incr("n", 5) == 5
    assert mkv.decr("n", 2) == 3
    assert mkv.add("a", 2) is False
    assert mkv.setdefault("a", 9) == 1
    assert mkv.compare_and_set("a", 1, 10) is True
    mkv.set_many({"p:1": "x", "p:2": "y"})
    assert mkv.get_many(["p:1", "p:2", "zz"]) == {"p:1": "x", "p:2": "y"}
    assert sorted(mkv.keys("p:")) == ["p:1", "p:2"]
    assert sorted(mkv.values("p:")) == ["x", "y"]
    assert sorted(mkv.items("p:")) == [("p:1", "x"), ("p:2", "y")]
    assert mkv.count("p:") == 2
    assert mkv.remove_many(["p:1", "p:2"]) == 2
    assert mkv.pop("a") == 10
    assert mkv.pop("a", "gone") == "gone"
    assert mkv.expire("n", 30) is True
    assert sorted(mkv.all()) == ["n"]


async def test_async_forwards_every_operation(mkv: Mkv) -> None:
    assert await mkv.set("a", 1, ttl=60) == "a"
    assert await mkv.exists("a") is True
    assert 58 < await mkv.ttl("a") <= 60
    assert await mkv.persist("a") is True
    assert await mkv.incr("n", 5) == 5
    assert await mkv.decr("n", 2) == 3
    assert await mkv.add("a", 2) is False
    assert await mkv.setdefault("a", 9) == 1
    assert await mkv.compare_and_set("a", 1, 10) is True
    await mkv.set_many({"p:1": "x", "p:2": "y"})
    assert await mkv.get_many(["p:1", "p:2", "zz"]) == {"p:1": "x", "p:2": "y"}
    assert sorted([key async for key in mkv.keys("p:")]) == ["p:1", "p:2"]
    assert sorted([value async for value in mkv.values("p:")]) == ["x", "y"]
    assert sorted([item async for item in mkv.items("p:")]) == [("p:1", "x"), ("p:2", "y")]
    assert await mkv.count("p:") == 2
    assert await mkv.remove_many(["p:1", "p:2"]) == 2
    assert await mkv.pop("a") == 10
    assert await mkv.pop("a", "gone") == "gone"
    assert await mkv.expire("n", 30) is True
    assert sorted(await mkv.all()) == ["n"]


def test_namespace_from_dispatcher_in_both_modes(mkv: Mkv, admin_client: Any) -> None:
    other = mkv.namespace(mkv.sync.collection.name + "_ns")
    try:
        other.set("k", "sync")

        async def inside() -> Any:
            await other.set("j", "async")
            return await other.get("k")

        assert asyncio.run(inside()) == "sync"
        assert sorted(other.all()) == ["j", "k"]
        assert mkv.all() == []
    finally:
        admin_client[TEST_DB].drop_collection(mkv.sync.collection.name + "_ns")


def test_never_awaited_call_names_method_and_key(mkv: Mkv) -> None:
    def save(db: Mkv) -> None:
        db.set("k", 1)  # looks sync, but runs inside a loop: returns a coroutine

    async def handler(db: Mkv) -> None:
        save(db)

    with pytest.warns(RuntimeWarning, match=r"coroutine 'Mkv\.set\('k'\)' was never awaited"):
        asyncio.run(handler(mkv))

    assert mkv.get("k", None) is None


def test_never_awaited_long_key_truncated(mkv: Mkv) -> None:
    async def handler() -> None:
        mkv.get("x" * 500)

    with pytest.warns(RuntimeWarning, match=r"Mkv\.get\('x{59}\.\.\.\)' was never awaited"):
        asyncio.run(handler())


async def test_awaited_coroutine_keeps_working(mkv: Mkv) -> None:
    pending = mkv.incr("n")

    assert pending.__qualname__ == "Mkv.incr('n')"
    assert await pending == 1
    assert await asyncio.create_task(mkv.incr("n")) == 2
