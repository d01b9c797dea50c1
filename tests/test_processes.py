"""One store shared across fork() and across threads.

After a fork the child must open its own PyMongo client: using the parent's makes PyMongo
warn "MongoClient opened before fork", which the children here turn into an error. Thread
tests check every result against what the operations imply, so a lost or mixed-up reply
fails them, not only an exception.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

import mongokv
import mongokv._clients
import mongokv.aio
import mongokv.sync
from tests.conftest import TEST_DB

pytestmark = pytest.mark.timeout(60)

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")

# Seconds after which a forked child kills itself, so a hang fails the test instead of
# leaving a process behind.
CHILD_ALARM_S = 20

# Exit codes of the forked children.
CHILD_OK = 0
CHILD_FAILED = 1


@contextmanager
def fork_warning_ignored() -> Iterator[None]:
    """Ignore Python 3.12's DeprecationWarning about fork() in a process with threads.

    PyMongo's monitors are threads, so every fork here has threads running. The children
    only call mongoKV, which opens new clients after the fork, and that is what the tests
    check.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r".*fork\(\) may lead to deadlocks", category=DeprecationWarning
        )
        yield


def run_in_child(work: Callable[[], None]) -> tuple[int, str]:
    """Run ``work`` in a forked child with warnings as errors and return its exit code and output.

    The output is the child's traceback when ``work`` raised, else empty. The child leaves
    with ``os._exit`` so it never returns into pytest.
    """
    read_end, write_end = os.pipe()
    with fork_warning_ignored():
        pid = os.fork()

    if pid == 0:
        os.close(read_end)
        exit_code = CHILD_FAILED
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(CHILD_ALARM_S)
            warnings.simplefilter("error")
            work()
            exit_code = CHILD_OK
        except BaseException:
            os.write(write_end, traceback.format_exc().encode())
        finally:
            os._exit(exit_code)

    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


# Fork.


@needs_fork
def test_sync_fork(mongodb_uri: str, collection_name: str, raw_collection: Any) -> None:
    db = mongokv.sync.Mkv(mongodb_uri, TEST_DB, collection_name)
    db.set("a", 1)
    parent_client = db.db.client

    def child() -> None:
        assert db.get("a") == 1
        assert db.db.client is not parent_client
        assert db.set("child", "written by the child") == "child"
        assert db.get("child") == "written by the child"
        db.close()

    exit_code, output = run_in_child(child)
    assert exit_code == CHILD_OK, output

    assert raw_collection.find_one({"_id": "child"}) == {
        "_id": "child",
        "value": "written by the child",
    }
    # The child's close() left the parent's client and its sockets alone.
    assert db.db.client is parent_client
    assert db.get("child") == "written by the child"
    assert db.set("a", 2) == "a"
    assert db.get("a") == 2
    db.close()


@needs_fork
def test_dispatch_fork(mongodb_uri: str, collection_name: str, raw_collection: Any) -> None:
    db = mongokv.Mkv(mongodb_uri, TEST_DB, collection_name)
    db.set("a", 1)

    async def read_async() -> Any:
        return await db.get("a")

    # A loop used before the fork leaves no client open, because asyncio.run() closes it.
    assert asyncio.run(read_async()) == 1

    def child() -> None:
        assert db.get("a") == 1
        assert asyncio.run(read_async()) == 1
        db.set("child", [1, 2])
        db.close()

    exit_code, output = run_in_child(child)
    assert exit_code == CHILD_OK, output

    assert raw_collection.find_one({"_id": "child"}) == {"_id": "child", "value": [1, 2]}
    assert db.get("child") == [1, 2]
    assert asyncio.run(read_async()) == 1
    db.close()


@needs_fork
async def test_async_fork_in_running_loop(
    mongodb_uri: str, collection_name: str, raw_collection: Any
) -> None:
    db = mongokv.aio.Mkv(mongodb_uri, TEST_DB, collection_name)
    await db.set("a", 1)
    parent_client = db.db.client

    async def child_main() -> None:
        assert await db.get("a") == 1
        assert db.db.client is not parent_client
        assert await db.set("child", "async child") == "child"
        await db.close()

    def child() -> None:
        # The child's copy of the running loop shares its epoll instance with the parent's
        # loop, so the child runs its own loop in a new thread instead.
        errors: list[BaseException] = []

        def run_loop() -> None:
            try:
                asyncio.run(child_main())
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run_loop)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

    exit_code, output = run_in_child(child)
    assert exit_code == CHILD_OK, output

    assert raw_collection.find_one({"_id": "child"}) == {"_id": "child", "value": "async child"}
    assert db.db.client is parent_client
    assert await db.get("child") == "async child"
    assert await db.set("a", 2) == "a"
    assert await db.get("a") == 2
    await db.close()


def call_with_deadline(function: Callable[[], Any], seconds: float) -> Any:
    """Return ``function()``, run in a daemon thread, or raise AssertionError if it blocks."""
    results: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(function())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the call still blocks after {seconds} s: a deadlock"
    if errors:
        raise errors[0]
    return results[0]


# The two tests below hold the store's lock at fork time the only deterministic way: they
# replace the client class that mongokv._clients creates with one that blocks until the
# parent has forked.


@needs_fork
def test_sync_fork_during_client_creation(
    mongodb_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = mongokv.sync.Mkv(mongodb_uri, TEST_DB, "unused")
    creating = threading.Event()
    may_finish = threading.Event()

    def slow_client(*args: Any, **kwargs: Any) -> MongoClient[dict[str, Any]]:
        creating.set()
        may_finish.wait(CHILD_ALARM_S)
        return MongoClient(*args, **kwargs)

    monkeypatch.setattr(mongokv._clients, "MongoClient", slow_client)
    creator = threading.Thread(target=db.get, args=("a", None))
    creator.start()
    assert creating.wait(5.0)

    def child() -> None:
        monkeypatch.undo()
        assert call_with_deadline(lambda: db.get("a", "absent"), 2.0) == "absent"

    try:
        exit_code, output = run_in_child(child)
    finally:
        may_finish.set()
        creator.join()
        db.close()
    assert exit_code == CHILD_OK, output


@needs_fork
def test_async_fork_during_client_creation(
    mongodb_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = mongokv.aio.Mkv(mongodb_uri, TEST_DB, "unused")
    creating = threading.Event()
    may_finish = threading.Event()

    def slow_client(*args: Any, **kwargs: Any) -> AsyncMongoClient[dict[str, Any]]:
        creating.set()
        may_finish.wait(CHILD_ALARM_S)
        return AsyncMongoClient(*args, **kwargs)

    async def read() -> Any:
        return await db.get("a", "absent")

    monkeypatch.setattr(mongokv._clients, "AsyncMongoClient", slow_client)
    creator = threading.Thread(target=asyncio.run, args=(read(),))
    creator.start()
    assert creating.wait(5.0)

    def child() -> None:
        monkeypatch.undo()
        assert call_with_deadline(lambda: asyncio.run(read()), 2.0) == "absent"

    try:
        exit_code, output = run_in_child(child)
    finally:
        may_finish.set()
        creator.join()
        asyncio.run(db.close())
    assert exit_code == CHILD_OK, output


@needs_fork
def test_child_reusing_client_fails(mongodb_uri: str) -> None:
    """Guard: a child that uses a client from before the fork fails on PyMongo's warning."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    client.admin.command("ping")

    def child() -> None:
        client.admin.command("ping")

    exit_code, output = run_in_child(child)
    client.close()
    assert exit_code == CHILD_FAILED
    assert "UserWarning: MongoClient opened before fork." in output


# multiprocessing with the "fork" start method: workers inherit the store.

_pool_store: mongokv.sync.Mkv | None = None


def _pool_work(number: int) -> tuple[int, Any, Any]:
    warnings.simplefilter("error")
    store = _pool_store
    assert store is not None
    store.set(f"worker-{number}", number * 10)
    return os.getpid(), store.get(f"worker-{number}"), store.get("parent")


@needs_fork
def test_multiprocessing_fork_pool(
    mongodb_uri: str, collection_name: str, raw_collection: Any
) -> None:
    global _pool_store
    db = mongokv.sync.Mkv(mongodb_uri, TEST_DB, collection_name)
    db.set("parent", "from the parent")
    _pool_store = db

    context = multiprocessing.get_context("fork")
    try:
        with fork_warning_ignored():
            pool = context.Pool(3)
        with pool:
            results = pool.map(_pool_work, range(6))
            pool.close()
            pool.join()
    finally:
        _pool_store = None

    assert [(value, parent) for _, value, parent in results] == [
        (number * 10, "from the parent") for number in range(6)
    ]
    assert os.getpid() not in {pid for pid, _, _ in results}

    stored = {document["_id"]: document["value"] for document in raw_collection.find({})}
    assert stored == {
        "parent": "from the parent",
        **{f"worker-{number}": number * 10 for number in range(6)},
    }
    assert db.get("worker-5") == 50
    db.close()


# Threads.

THREADS = 16
KEYS_PER_THREAD = 6
OPERATIONS_PER_ROUND = 12
ABSENT = "<absent>"
BARRIER_TIMEOUT_S = 20.0


@dataclass
class ThreadRecord:
    """The last value one thread wrote to each key it owns, and its shared-key removals."""

    expected: dict[str, Any] = field(default_factory=dict)
    shared_removals: list[bool] = field(default_factory=list)
    operations: int = 0


class Rounds:
    """Barriers that start each round in all threads together, until the deadline passes."""

    def __init__(self, duration_s: float) -> None:
        self.deadline = time.monotonic() + duration_s
        self.stop = False
        self.round_start = threading.Barrier(THREADS, action=self._decide)
        self.step = threading.Barrier(THREADS)

    def _decide(self) -> None:
        # Runs in exactly one thread while the others wait, so all see the same decision.
        self.stop = time.monotonic() >= self.deadline

    def abort(self) -> None:
        self.round_start.abort()
        self.step.abort()


# A call runs one store method by name and returns its result.
Call = Callable[..., Any]


def run_thread(index: int, call: Call, rounds: Rounds, record: ThreadRecord) -> None:
    """Mix set, get and remove on owned keys, then race every thread on one shared key.

    Owned keys are written by this thread only, so each get() and remove() has one correct
    result. All threads set the shared key of a round to the same value, read it back, then
    remove it, and exactly one remove() per round returns True.
    """
    rng = random.Random(index)
    owned = [f"t{index:02d}-k{number}" for number in range(KEYS_PER_THREAD)]
    round_number = 0

    while True:
        rounds.round_start.wait(BARRIER_TIMEOUT_S)
        if rounds.stop:
            return

        for sequence in range(OPERATIONS_PER_ROUND):
            key = rng.choice(owned)
            choice = rng.random()
            if choice < 0.5:
                value = [index, round_number, sequence]
                assert call("set", key, value) == key
                record.expected[key] = value
            elif choice < 0.8:
                assert call("get", key, ABSENT) == record.expected.get(key, ABSENT)
            else:
                assert call("remove", key) is (key in record.expected)
                record.expected.pop(key, None)
            record.operations += 1

        shared = f"shared-{round_number}"
        shared_value = {"round": round_number}
        rounds.step.wait(BARRIER_TIMEOUT_S)
        assert call("set", shared, shared_value) == shared
        rounds.step.wait(BARRIER_TIMEOUT_S)
        assert call("get", shared) == shared_value
        rounds.step.wait(BARRIER_TIMEOUT_S)
        record.shared_removals.append(call("remove", shared))
        record.operations += 3
        round_number += 1


def run_threads(
    duration_s: float, make_call: Callable[[int], tuple[Call, Callable[[], None]]]
) -> list[ThreadRecord]:
    """Run THREADS threads of run_thread, fail on any error, and return their records.

    ``make_call(index)`` runs inside each thread and returns its call function and a
    cleanup function that the thread runs when it is done.
    """
    rounds = Rounds(duration_s)
    records = [ThreadRecord() for _ in range(THREADS)]
    errors: list[str] = []

    def target(index: int) -> None:
        call, cleanup = make_call(index)
        try:
            run_thread(index, call, rounds, records[index])
        except threading.BrokenBarrierError:
            pass  # Another thread failed first and reported its error.
        except BaseException:
            errors.append(f"thread {index}:\n{traceback.format_exc()}")
            rounds.abort()
        finally:
            cleanup()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 2 * BARRIER_TIMEOUT_S)

    assert not [thread for thread in threads if thread.is_alive()], "threads still running"
    assert errors == [], "\n".join(errors)
    return records


def check_final_state(records: list[ThreadRecord], raw_collection: Any) -> None:
    rounds_run = len(records[0].shared_removals)
    assert rounds_run > 0
    for record in records:
        assert len(record.shared_removals) == rounds_run
    for round_number in range(rounds_run):
        winners = [record.shared_removals[round_number] for record in records].count(True)
        assert winners == 1, f"round {round_number}: {winners} threads removed the shared key"

    expected: dict[str, Any] = {}
    for record in records:
        expected.update(record.expected)
    stored = {document["_id"]: document["value"] for document in raw_collection.find({})}
    assert stored == expected


def no_cleanup() -> None:
    return None


def test_threads_sync_store(mongodb_uri: str, collection_name: str, raw_collection: Any) -> None:
    db = mongokv.sync.Mkv(mongodb_uri, TEST_DB, collection_name)

    def make_call(index: int) -> tuple[Call, Callable[[], None]]:
        def call(method: str, *args: Any) -> Any:
            return getattr(db, method)(*args)

        return call, no_cleanup

    records = run_threads(2.0, make_call)
    check_final_state(records, raw_collection)
    assert sum(record.operations for record in records) > THREADS * OPERATIONS_PER_ROUND
    db.close()


def test_threads_dispatch(mongodb_uri: str, collection_name: str, raw_collection: Any) -> None:
    db = mongokv.Mkv(mongodb_uri, TEST_DB, collection_name)

    def make_call(index: int) -> tuple[Call, Callable[[], None]]:
        def call(method: str, *args: Any) -> Any:
            return getattr(db, method)(*args)

        return call, no_cleanup

    records = run_threads(1.0, make_call)
    check_final_state(records, raw_collection)
    db.close()


def test_threads_mixed_loops(mongodb_uri: str, collection_name: str, raw_collection: Any) -> None:
    """Half the threads call Mkv synchronously, half await it in their own event loop."""
    db = mongokv.Mkv(mongodb_uri, TEST_DB, collection_name)

    async def await_method(method: str, *args: Any) -> Any:
        return await getattr(db, method)(*args)

    def make_call(index: int) -> tuple[Call, Callable[[], None]]:
        if index % 2 == 0:

            def call_sync(method: str, *args: Any) -> Any:
                return getattr(db, method)(*args)

            return call_sync, no_cleanup

        loop = asyncio.new_event_loop()

        def call_in_loop(method: str, *args: Any) -> Any:
            return loop.run_until_complete(await_method(method, *args))

        def close_loop() -> None:
            # Shutting down the async generators closes the loop's client, as asyncio.run()
            # does before it closes its loop.
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        return call_in_loop, close_loop

    records = run_threads(1.0, make_call)
    check_final_state(records, raw_collection)
    db.close()
