"""Many threads or tasks on one key: exact counts, one add winner, no DuplicateKeyError."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from mongokv import AsyncMkv, Mkv, SyncMkv
from tests.conftest import TEST_DB

THREADS = 8
TASKS = 500


def run_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(index)`` in ``count`` threads released together; return results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    return results


def test_threads_incr_one_key_exact(mongodb_uri: str, collection_name: str) -> None:
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name)
    increments = 50

    def work(index: int) -> list[int | float]:
        return [store.incr("counter") for _ in range(increments)]

    results = run_threads(THREADS, work)

    seen = sorted(value for values in results for value in values)
    assert seen == list(range(1, THREADS * increments + 1))
    assert store.get("counter") == THREADS * increments
    store.close()


def test_threads_add_one_winner(mongodb_uri: str, collection_name: str) -> None:
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name)

    results = run_threads(THREADS, lambda index: store.add("lock", index))

    assert results.count(True) == 1
    assert results.count(False) == THREADS - 1
    assert store.get("lock") == results.index(True)
    store.close()


def test_threads_set_one_new_key(mongodb_uri: str, collection_name: str) -> None:
    # Every thread upserts the same new key at once: none may see DuplicateKeyError.
    store = Mkv(mongodb_uri, TEST_DB, collection_name)

    for round_number in range(5):
        key = f"fresh:{round_number}"

        def work(index: int, key: str = key) -> Any:
            return store.set(key, index)

        run_threads(THREADS, work)
        assert store.get(key) in range(THREADS)

    assert store.count() == 5
    store.close()


def test_threads_set_many_overlapping(mongodb_uri: str, collection_name: str) -> None:
    store = SyncMkv(mongodb_uri, TEST_DB, collection_name)
    keys = [f"k{index}" for index in range(50)]

    run_threads(THREADS, lambda index: store.set_many(dict.fromkeys(keys, index)))

    values = store.get_many(keys)
    assert sorted(values) == sorted(keys)
    assert all(value in range(THREADS) for value in values.values())
    store.close()


async def test_tasks_incr_one_key_exact(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name, maxPoolSize=50)

    results = await asyncio.gather(*(store.incr("counter") for _ in range(TASKS)))

    assert sorted(results) == list(range(1, TASKS + 1))
    assert await store.get("counter") == TASKS
    await store.close()


async def test_tasks_add_one_winner(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name, maxPoolSize=50)

    results = await asyncio.gather(*(store.add("lock", index) for index in range(TASKS)))

    assert results.count(True) == 1
    assert await store.get("lock") == results.index(True)
    await store.close()


async def test_tasks_set_one_new_key(mongodb_uri: str, collection_name: str) -> None:
    store = Mkv(mongodb_uri, TEST_DB, collection_name, maxPoolSize=50)

    await asyncio.gather(*(store.set("fresh", index) for index in range(TASKS)))

    assert await store.get("fresh") in range(TASKS)
    assert await store.count() == 1
    await store.close()


async def test_tasks_incr_many_keys(mongodb_uri: str, collection_name: str) -> None:
    store = AsyncMkv(mongodb_uri, TEST_DB, collection_name, maxPoolSize=50)

    await asyncio.gather(*(store.incr(f"k{index % 10}", 2) for index in range(TASKS)))

    totals = await store.get_many(f"k{index}" for index in range(10))
    assert totals == {f"k{index}": TASKS // 10 * 2 for index in range(10)}
    await store.close()
