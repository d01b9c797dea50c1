"""PyMongo clients of one store: created on first use, one per process and one per event loop.

This module is written by hand on both sides, because what differs between them is exactly
what unasync cannot translate: event loops, their shutdown, and closing from another thread.
The generated stores call :meth:`collection` and :meth:`close` (``aclose`` on the async side)
and never see a client directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import Any

from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.driver_info import DriverInfo
from pymongo.errors import ConfigurationError
from pymongo.synchronous.collection import Collection

from ._errors import StoreClosedError
from ._settings import ClientSettings
from ._version import __version__

__all__ = ["AsyncClientManager", "ClientManager"]

logger = logging.getLogger("mongokv")

# Seconds to wait for a client that belongs to an event loop in another thread to close.
_CROSS_THREAD_CLOSE_TIMEOUT = 10.0

# Sent to the server in the connection handshake, so server logs show mongoKV's connections.
_DRIVER_INFO: DriverInfo = DriverInfo(name="mongokv", version=__version__)

# Incremented in the child after every fork, so each manager notices on its next call that
# the clients it has were created by the parent process.
_fork_generation = 0

# Clients inherited from the parent stay referenced in the child for its whole life:
# closing them, or letting their finalizers run, would act on sockets the parent still uses.
_clients_inherited_at_fork: list[Any] = []


# Every live manager, so that the child of a fork can replace their locks. A lock that
# another thread of the parent held at the moment of the fork stays held in the child.
_managers: weakref.WeakSet[ClientManager | AsyncClientManager] = weakref.WeakSet()


def _count_fork() -> None:
    global _fork_generation
    _fork_generation += 1
    for manager in _managers:
        manager._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def _closed_error() -> StoreClosedError:
    return StoreClosedError(
        "This mongoKV store is closed: close() was called. Create a new Mkv to run more "
        "operations."
    )


class ClientManager:
    """Own the MongoClient of one sync store: opened on first use and again after a fork."""

    def __init__(self, settings: ClientSettings, parent: ClientManager | None = None) -> None:
        self._settings = settings
        self._parent = parent
        self._lock = threading.Lock()
        self._client: MongoClient[dict[str, Any]] | None = None
        self._owns_client = False
        self._collection: Collection[dict[str, Any]] | None = None
        self._generation = _fork_generation
        self._closed = False
        _managers.add(self)

    def borrow(self, settings: ClientSettings) -> ClientManager:
        """Return a manager for ``settings`` that shares this client and never closes it."""
        if self._closed:
            raise _closed_error()
        return ClientManager(settings, parent=self)

    def collection(self) -> Collection[dict[str, Any]]:
        """Return the collection of this process, creating its client on first use."""
        collection = self._collection
        if collection is not None and self._generation == _fork_generation:
            return collection
        return self._open()

    def _open(self) -> Collection[dict[str, Any]]:
        with self._lock:
            if self._closed:
                raise _closed_error()

            if self._collection is not None and self._generation == _fork_generation:
                return self._collection

            if self._client is not None and self._owns_client:
                _clients_inherited_at_fork.append(self._client)
                logger.debug("Creating a new MongoClient in the child process after a fork")

            client, self._owns_client = self._obtain_client()
            self._client = client
            self._generation = _fork_generation
            self._collection = client[self._settings.db_name][self._settings.collection_name]
            return self._collection

    def _obtain_client(self) -> tuple[MongoClient[dict[str, Any]], bool]:
        """Return the client to use and whether this manager owns it."""
        if self._parent is not None:
            return self._parent.collection().database.client, False

        if self._settings.sync_client is not None:
            return self._settings.sync_client, False

        if self._settings.uri is None:
            raise ConfigurationError(
                "This store was created with client=AsyncMongoClient(...), which serves only "
                "async code. Pass a pymongo.MongoClient to use it outside an event loop."
            )

        client: MongoClient[dict[str, Any]] = MongoClient(
            self._settings.uri, driver=_DRIVER_INFO, **self._settings.client_options
        )
        logger.debug(
            "Created MongoClient for %s, collection %s.%s",
            self._settings.redacted_uri(),
            self._settings.db_name,
            self._settings.collection_name,
        )
        return client, True

    def close(self) -> None:
        """Close the client this manager created. A client passed in or borrowed stays open."""
        with self._lock:
            self._closed = True
            client, self._client, self._collection = self._client, None, None

        if client is None or not self._owns_client:
            return

        if self._generation != _fork_generation:
            # Created by the parent process: the parent closes it, never the child.
            _clients_inherited_at_fork.append(client)
            return

        client.close()
        logger.debug("Closed MongoClient for %s", self._settings.redacted_uri())


class _LoopClient:
    """The AsyncMongoClient of one event loop, with the hook that closes it at loop shutdown."""

    __slots__ = ("client", "collection", "owned", "shutdown_hook")

    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        collection: AsyncCollection[dict[str, Any]],
        owned: bool,
    ) -> None:
        self.client = client
        self.collection = collection
        self.owned = owned
        self.shutdown_hook: AsyncGenerator[None, None] | None = None


class AsyncClientManager:
    """Own one AsyncMongoClient per event loop for one async store.

    PyMongo binds an AsyncMongoClient to the event loop that first uses it, so a store used
    from two ``asyncio.run()`` calls, or from threads that each run a loop, needs one client
    per loop. Each client closes itself when its loop shuts down its async generators, as
    ``asyncio.run()`` and ``asyncio.Runner`` do before closing the loop.
    """

    def __init__(self, settings: ClientSettings, parent: AsyncClientManager | None = None) -> None:
        self._settings = settings
        self._parent = parent
        self._lock = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
            weakref.WeakKeyDictionary()
        )
        # The loop and collection of the latest call: the fast path for a store that one
        # loop uses over and over.
        self._last_loop: asyncio.AbstractEventLoop | None = None
        self._last_collection: AsyncCollection[dict[str, Any]] | None = None
        self._generation = _fork_generation
        self._closed = False
        _managers.add(self)

    def borrow(self, settings: ClientSettings) -> AsyncClientManager:
        """Return a manager for ``settings`` that shares these clients and never closes them."""
        if self._closed:
            raise _closed_error()
        return AsyncClientManager(settings, parent=self)

    def collection(self) -> AsyncCollection[dict[str, Any]]:
        """Return the collection for the running event loop, creating its client on first use."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "The async mongoKV store needs a running event loop. Await its methods "
                "inside async code, or use mongokv.sync.Mkv in plain scripts."
            ) from None

        if loop is self._last_loop and self._generation == _fork_generation:
            collection = self._last_collection
            if collection is not None:
                return collection
        return self._open(loop)

    def _open(self, loop: asyncio.AbstractEventLoop) -> AsyncCollection[dict[str, Any]]:
        with self._lock:
            if self._closed:
                raise _closed_error()

            if self._generation != _fork_generation:
                self._forget_parent_clients()

            entry = self._by_loop.get(loop)
            if entry is None:
                entry = self._create_loop_client()
                self._by_loop[loop] = entry

            self._last_loop = loop
            self._last_collection = entry.collection

        return entry.collection

    def _create_loop_client(self) -> _LoopClient:
        client, owned = self._obtain_client()
        collection = client[self._settings.db_name][self._settings.collection_name]
        entry = _LoopClient(client, collection, owned)
        if owned:
            entry.shutdown_hook = _start_shutdown_hook(self, entry)
        return entry

    def _obtain_client(self) -> tuple[AsyncMongoClient[dict[str, Any]], bool]:
        """Return the client for the running loop and whether this manager owns it."""
        if self._parent is not None:
            return self._parent.collection().database.client, False

        if self._settings.async_client is not None:
            return self._settings.async_client, False

        if self._settings.uri is None:
            raise ConfigurationError(
                "This store was created with client=MongoClient(...), which serves only sync "
                "code. Pass a pymongo.AsyncMongoClient to use it inside an event loop."
            )

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self._settings.uri, driver=_DRIVER_INFO, **self._settings.client_options
        )
        logger.debug(
            "Created AsyncMongoClient for %s, collection %s.%s, for event loop %#x",
            self._settings.redacted_uri(),
            self._settings.db_name,
            self._settings.collection_name,
            id(asyncio.get_running_loop()),
        )
        return client, True

    def _forget_parent_clients(self) -> None:
        for entry in self._by_loop.values():
            if entry.owned:
                _clients_inherited_at_fork.append(entry)
        self._by_loop.clear()
        self._last_loop = None
        self._last_collection = None
        self._generation = _fork_generation
        logger.debug("Dropped the parent's AsyncMongoClients in the child process after a fork")

    def _discard(self, entry: _LoopClient) -> None:
        """Remove ``entry`` from the table, called when its client is about to close."""
        with self._lock:
            for loop, candidate in list(self._by_loop.items()):
                if candidate is entry:
                    del self._by_loop[loop]
            if self._last_collection is entry.collection:
                self._last_loop = None
                self._last_collection = None

    def _take_all(self) -> list[tuple[asyncio.AbstractEventLoop, _LoopClient]]:
        with self._lock:
            self._closed = True
            entries = [(loop, entry) for loop, entry in self._by_loop.items() if entry.owned]
            self._by_loop.clear()
            self._last_loop = None
            self._last_collection = None
        return entries

    async def aclose(self) -> None:
        """Close every client this manager created, from inside a running event loop."""
        current_loop = asyncio.get_running_loop()
        for loop, entry in self._take_all():
            if loop is current_loop:
                await _run_shutdown_hook(entry)
                continue

            future = _close_in_own_loop(loop, entry)
            if future is not None:
                await asyncio.wait_for(
                    asyncio.wrap_future(future), timeout=_CROSS_THREAD_CLOSE_TIMEOUT
                )

    def close(self) -> None:
        """Close every client this manager created, from a thread with no running loop."""
        for loop, entry in self._take_all():
            if loop.is_running():
                future = _close_in_own_loop(loop, entry)
                if future is not None:
                    future.result(timeout=_CROSS_THREAD_CLOSE_TIMEOUT)
            elif not loop.is_closed():
                loop.run_until_complete(_run_shutdown_hook(entry))
            else:
                logger.debug(
                    "Dropped AsyncMongoClient for %s: its event loop is already closed",
                    self._settings.redacted_uri(),
                )


def _close_in_own_loop(
    loop: asyncio.AbstractEventLoop, entry: _LoopClient
) -> concurrent.futures.Future[None] | None:
    """Schedule the close of ``entry`` on the loop it belongs to, if that loop still runs."""
    if loop.is_closed() or not loop.is_running():
        # NOTE: closing from inside a running loop cannot run another loop that was stopped
        # but not closed, so that loop's client keeps its sockets until garbage collection.
        logger.debug("Dropped an AsyncMongoClient whose event loop no longer runs")
        return None
    return asyncio.run_coroutine_threadsafe(_run_shutdown_hook(entry), loop)


async def _run_shutdown_hook(entry: _LoopClient) -> None:
    hook = entry.shutdown_hook
    if hook is not None:
        await hook.aclose()


def _start_shutdown_hook(
    manager: AsyncClientManager, entry: _LoopClient
) -> AsyncGenerator[None, None]:
    """Start an async generator that closes ``entry``'s client when the loop shuts down.

    Starting it registers it with the running loop, whose ``shutdown_asyncgens()`` later
    closes it and so runs its ``finally`` block inside that loop. The first step never
    suspends, so it runs here, synchronously, without awaiting.
    """
    hook = _close_at_loop_shutdown(manager, entry)
    first_step = hook.asend(None)
    with contextlib.suppress(StopIteration):
        first_step.send(None)
    return hook


async def _close_at_loop_shutdown(
    manager: AsyncClientManager, entry: _LoopClient
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        manager._discard(entry)
        await entry.client.close()
        logger.debug("Closed AsyncMongoClient for %s", manager._settings.redacted_uri())
