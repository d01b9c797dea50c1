"""Calls against an unreachable server fail fast with PyMongo's error, never hang.

Nothing listens on port 9 (discard) of 127.0.0.1, so every connection attempt is refused at
once and server selection gives up after ``serverSelectionTimeoutMS``: mongoKV's default is
5 s where PyMongo's own is 30 s. The elapsed-time bounds are generous on purpose: they catch
a hang or PyMongo's 30 s default, not small scheduling delays.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import select
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

import mongokv
import mongokv.aio
import mongokv.sync

pytestmark = pytest.mark.timeout(30)

UNREACHABLE_URI = "mongodb://127.0.0.1:9"
UNREACHABLE_ADDRESS = "127.0.0.1:9"

# mongoKV's default serverSelectionTimeoutMS is 5000 and PyMongo's own default is 30000.
DEFAULT_TIMEOUT_BOUND_S = 10.0

SHORT_SELECTION: dict[str, Any] = {"serverSelectionTimeoutMS": 300}
SHORT_TIMEOUT_BOUND_S = 3.0

METHODS = ["set", "get", "get-with-default", "get-with-none-default", "remove", "all", "purge"]


@pytest.fixture(scope="module", autouse=True)
def _require_closed_port_9() -> None:
    """Skip the module if something listens on 127.0.0.1:9, which would void every test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(("127.0.0.1", 9))
        except ConnectionRefusedError:
            return
    pytest.skip("a server listens on 127.0.0.1:9, so it cannot stand for an unreachable one")


def call_sync(db: Any, method: str) -> Any:
    if method == "set":
        return db.set("k", 1)
    if method == "get":
        return db.get("k")
    if method == "get-with-default":
        return db.get("k", "default")
    if method == "get-with-none-default":
        return db.get("k", None)
    if method == "remove":
        return db.remove("k")
    if method == "all":
        return db.all()
    return db.purge()


async def call_async(db: Any, method: str) -> Any:
    # call_sync's call returns a coroutine on the async store and on Mkv inside a loop.
    pending: Awaitable[Any] = call_sync(db, method)
    return await pending


def check_selection_error(exc: BaseException, timeout_text: str) -> None:
    assert type(exc) is ServerSelectionTimeoutError, repr(exc)
    assert UNREACHABLE_ADDRESS in str(exc)
    assert timeout_text in str(exc)


def measure_failure(call: Callable[[], Any]) -> tuple[BaseException, float]:
    """Run ``call``, which must raise, and return the error and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(ServerSelectionTimeoutError) as caught:
        call()
    return caught.value, time.monotonic() - started


async def measure_async_failure(call: Awaitable[Any]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(ServerSelectionTimeoutError) as caught:
        await call
    return caught.value, time.monotonic() - started


def connection_attempted(listener: socket.socket, wait_s: float) -> bool:
    """Return whether a client connected to ``listener`` within ``wait_s`` seconds."""
    readable, _, _ = select.select([listener], [], [], wait_s)
    return bool(readable)


def test_construction_does_not_connect() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        uri = f"mongodb://127.0.0.1:{port}"

        sync_db = mongokv.sync.Mkv(uri, **SHORT_SELECTION)
        aio_db = mongokv.aio.Mkv(uri, **SHORT_SELECTION)
        dispatch_db = mongokv.Mkv(uri, **SHORT_SELECTION)
        assert not connection_attempted(listener, 0.5)

        # First use opens the client, whose monitor connects at once, so the check above
        # can fail.
        assert sync_db.collection.name == "kv"
        assert connection_attempted(listener, 2.0)

        sync_db.close()
        dispatch_db.close()
        asyncio.run(aio_db.close())


async def test_default_timeout_all_sides() -> None:
    """Every side waits mongoKV's 5 s default, run concurrently to take 5 s in all."""
    with mongokv.sync.Mkv(UNREACHABLE_URI) as sync_db:
        async with (
            mongokv.aio.Mkv(UNREACHABLE_URI) as aio_db,
            mongokv.Mkv(UNREACHABLE_URI) as dispatch_db,
        ):
            # The sync store runs in a worker thread, where no event loop runs.
            outcomes = await asyncio.gather(
                asyncio.to_thread(measure_failure, lambda: sync_db.get("k")),
                measure_async_failure(aio_db.get("k")),
                measure_async_failure(dispatch_db.get("k", "default")),
            )

    for error, elapsed in outcomes:
        check_selection_error(error, "Timeout: 5.0s")
        assert elapsed < DEFAULT_TIMEOUT_BOUND_S


def fail_in_threads(db: Any) -> dict[str, tuple[BaseException, float]]:
    """Call every method of METHODS at once, each in its own thread, as they all must fail."""
    with concurrent.futures.ThreadPoolExecutor(len(METHODS)) as executor:
        futures = {
            method: executor.submit(measure_failure, functools.partial(call_sync, db, method))
            for method in METHODS
        }
        return {method: future.result() for method, future in futures.items()}


async def fail_in_tasks(db: Any) -> dict[str, tuple[BaseException, float]]:
    """Await every method of METHODS concurrently, as they all must fail."""
    outcomes = await asyncio.gather(
        *(measure_async_failure(call_async(db, method)) for method in METHODS)
    )
    return dict(zip(METHODS, outcomes, strict=True))


def check_short_failures(outcomes: dict[str, tuple[BaseException, float]]) -> None:
    assert list(outcomes) == METHODS
    for method, (error, elapsed) in outcomes.items():
        check_selection_error(error, "Timeout: 0.3s")
        assert elapsed < SHORT_TIMEOUT_BOUND_S, method


def test_sync_short_timeout() -> None:
    with mongokv.sync.Mkv(UNREACHABLE_URI, **SHORT_SELECTION) as db:
        check_short_failures(fail_in_threads(db))


async def test_async_short_timeout() -> None:
    async with mongokv.aio.Mkv(UNREACHABLE_URI, **SHORT_SELECTION) as db:
        check_short_failures(await fail_in_tasks(db))


def test_dispatch_short_timeout() -> None:
    with mongokv.Mkv(UNREACHABLE_URI, **SHORT_SELECTION) as db:
        check_short_failures(fail_in_threads(db))


async def test_dispatch_async_short_timeout() -> None:
    async with mongokv.Mkv(UNREACHABLE_URI, **SHORT_SELECTION) as db:
        check_short_failures(await fail_in_tasks(db))


def test_sync_fails_again_after_failure() -> None:
    with mongokv.sync.Mkv(UNREACHABLE_URI, **SHORT_SELECTION) as db:
        first, _ = measure_failure(lambda: db.get("k", "default"))
        second, elapsed = measure_failure(lambda: db.get("k", "default"))

        check_selection_error(first, "Timeout: 0.3s")
        check_selection_error(second, "Timeout: 0.3s")
        assert elapsed < SHORT_TIMEOUT_BOUND_S


def test_sync_close_after_failure_is_fast() -> None:
    db = mongokv.sync.Mkv(UNREACHABLE_URI, **SHORT_SELECTION)
    measure_failure(lambda: db.get("k"))

    started = time.monotonic()
    db.close()
    db.close()
    assert time.monotonic() - started < SHORT_TIMEOUT_BOUND_S


async def test_async_close_after_failure_is_fast() -> None:
    db = mongokv.aio.Mkv(UNREACHABLE_URI, **SHORT_SELECTION)
    await measure_async_failure(db.get("k"))

    started = time.monotonic()
    await db.close()
    await db.close()
    assert time.monotonic() - started < SHORT_TIMEOUT_BOUND_S
