"""Time mongoKV's set, get and remove in a process of their own, driven over stdin and stdout.

bench.py runs this script twice: with the released mongokv 0.4 in its own virtual environment,
and with the mongoKV under test, so that both are measured by the same code in the same kind
of process. It imports only the standard library at module level, because bench.py imports
its timing helpers too.

Protocol, one JSON object per line:

- on start, the worker writes ``{"mongokv": VERSION, "pymongo": VERSION, "classes": [...]}``;
- each request ``{"side": "sync" | "async", "ops": N, "prefix": "..."}`` runs N ``set``
  calls, then N ``get`` calls, then N ``remove`` calls on keys ``PREFIX000000`` and up, and
  the worker writes ``{"set": [WALL, CPU], "get": [...], "remove": [...]}`` in seconds per
  block of N calls;
- end of input closes the stores and ends the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

# The value stored under every key by every contender: a small user record.
VALUE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "age": 36,
    "tags": ["math", "engines"],
    "active": True,
}

OPERATIONS = ("set", "get", "remove")

# (wall seconds, CPU seconds of the calling thread) for one timed block.
Sample = tuple[float, float]


def make_keys(prefix: str, count: int) -> list[str]:
    """Return ``count`` keys of equal length that start with ``prefix``."""
    return [f"{prefix}{index:06d}" for index in range(count)]


def time_block(block: Callable[[], object]) -> Sample:
    """Run ``block`` once with the garbage collector off and return its wall and CPU time.

    CPU time is ``time.thread_time()`` of the calling thread. It leaves out PyMongo's
    monitor threads and the server, which runs in another process.
    """
    gc.collect()
    gc.disable()
    try:
        wall_start = time.perf_counter()
        cpu_start = time.thread_time()
        block()
        cpu = time.thread_time() - cpu_start
        wall = time.perf_counter() - wall_start
    finally:
        gc.enable()
    return wall, cpu


async def time_async_block(block: Callable[[], Awaitable[object]]) -> Sample:
    """Await ``block()`` once with the garbage collector off and return its wall and CPU time.

    Call it inside the running event loop, so that starting the loop is not timed.
    """
    gc.collect()
    gc.disable()
    try:
        wall_start = time.perf_counter()
        cpu_start = time.thread_time()
        await block()
        cpu = time.thread_time() - cpu_start
        wall = time.perf_counter() - wall_start
    finally:
        gc.enable()
    return wall, cpu


def run_store_blocks(store: Any, keys: list[str]) -> dict[str, Sample]:
    """Time ``store.set``, ``store.get`` and ``store.remove`` over ``keys``, one block each."""
    set_, get, remove = store.set, store.get, store.remove

    def set_block() -> None:
        for key in keys:
            set_(key, VALUE)

    def get_block() -> None:
        for key in keys:
            get(key)

    def remove_block() -> None:
        for key in keys:
            remove(key)

    return {
        "set": time_block(set_block),
        "get": time_block(get_block),
        "remove": time_block(remove_block),
    }


async def run_async_store_blocks(store: Any, keys: list[str]) -> dict[str, Sample]:
    """Time awaited ``store.set``, ``store.get`` and ``store.remove`` over ``keys``."""
    set_, get, remove = store.set, store.get, store.remove

    async def set_block() -> None:
        for key in keys:
            await set_(key, VALUE)

    async def get_block() -> None:
        for key in keys:
            await get(key)

    async def remove_block() -> None:
        for key in keys:
            await remove(key)

    return {
        "set": await time_async_block(set_block),
        "get": await time_async_block(get_block),
        "remove": await time_async_block(remove_block),
    }


def _open_stores(uri: str, db_name: str, collection_name: str) -> tuple[Any, Any, list[str]]:
    """Return the sync store, the async store and the names of their classes.

    The mongoKV under test has explicit classes in ``mongokv.sync`` and ``mongokv.aio``.
    mongokv 0.4 has only ``mongokv.Mkv``, which runs sync outside an event loop and returns
    coroutines inside one, so the same object serves both sides.
    """
    import mongokv

    try:
        import mongokv.aio
        import mongokv.sync
    except ImportError:
        store = mongokv.Mkv(uri, db_name, collection_name)
        return store, store, ["mongokv.Mkv"]

    sync_store = mongokv.sync.Mkv(uri, db_name, collection_name)
    async_store = mongokv.aio.Mkv(uri, db_name, collection_name)
    return sync_store, async_store, ["mongokv.sync.Mkv", "mongokv.aio.Mkv"]


async def _close_in_loop(store: Any) -> None:
    # mongokv 0.4's close() must be called inside the loop that used its async client:
    # there it returns a coroutine that closes both clients. Outside, it closes the async
    # client with asyncio.run(), on a new loop, which PyMongo rejects.
    await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="MongoDB connection string")
    parser.add_argument("--db", required=True, help="database name")
    parser.add_argument("--collection", required=True, help="collection name")
    options = parser.parse_args()

    sync_store, async_store, classes = _open_stores(options.uri, options.db, options.collection)
    hello = {
        "mongokv": metadata.version("mongokv"),
        "pymongo": metadata.version("pymongo"),
        "classes": classes,
    }
    print(json.dumps(hello), flush=True)

    with asyncio.Runner() as runner:
        for line in sys.stdin:
            request = json.loads(line)
            keys = make_keys(request["prefix"], request["ops"])
            if request["side"] == "sync":
                samples = run_store_blocks(sync_store, keys)
            else:
                samples = runner.run(run_async_store_blocks(async_store, keys))
            print(json.dumps(samples), flush=True)

        runner.run(_close_in_loop(async_store))
        if sync_store is not async_store:
            sync_store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
