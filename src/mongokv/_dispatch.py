"""Mkv: one object for plain scripts and asyncio code, decided per call."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Iterator, Mapping
from types import CoroutineType, TracebackType
from typing import Any, cast

from ._async.store import AsyncMkv
from ._missing import MISSING
from ._settings import ClientSettings
from ._sync.store import SyncMkv

__all__ = ["Mkv"]

# asyncio.get_running_loop() raises when no loop runs, and raising costs more than the
# rest of the dispatch; this function returns None instead. It is what asyncio itself
# calls, public since Python 3.7 as asyncio._get_running_loop.
_running_loop = asyncio._get_running_loop

# Inside a running loop every method returns a coroutine. One that is never awaited never
# runs, and Python warns "coroutine ... was never awaited" with the coroutine's name, so the
# dispatcher names each coroutine after its call: "coroutine 'Mkv.set('k')' was never awaited".
_MAX_KEY_IN_NAME = 60


def _label(coroutine: Coroutine[Any, Any, Any], method: str, key: Any = MISSING) -> Any:
    """Name ``coroutine`` after the call, so a "never awaited" warning shows method and key."""
    named = cast("CoroutineType[Any, Any, Any]", coroutine)
    if key is MISSING:
        named.__qualname__ = f"Mkv.{method}()"
    else:
        key_text = repr(key)
        if len(key_text) > _MAX_KEY_IN_NAME:
            key_text = key_text[:_MAX_KEY_IN_NAME] + "..."
        named.__qualname__ = f"Mkv.{method}({key_text})"
    return named


class Mkv:
    """A key-value store over one MongoDB collection that serves sync and async callers.

    Each method checks whether an event loop is running in the calling thread. If one is,
    the method returns a coroutine to await, served by :class:`mongokv.aio.Mkv`; otherwise
    it runs at once on :class:`mongokv.sync.Mkv` and returns the result. Both share the
    configuration and open their PyMongo clients on first use. The dispatcher itself has no
    key-value logic.

    Its methods are typed ``Any`` because the result depends on the caller's context; import
    ``mongokv.sync`` or ``mongokv.aio`` for exact types.
    """

    def __init__(
        self,
        mongo_uri: str | None = None,
        db_name: str = "mkv",
        collection_name: str = "kv",
        *,
        client: Any = None,
        **client_options: Any,
    ) -> None:
        settings = ClientSettings.build(
            mongo_uri, db_name, collection_name, client, client_options
        )
        self._sync = SyncMkv._from_settings(settings)
        self._async = AsyncMkv._from_settings(settings)

    def __repr__(self) -> str:
        return "Mkv" + repr(self._sync).removeprefix("SyncMkv")

    @property
    def sync(self) -> SyncMkv:
        """The sync store behind this object."""
        return self._sync

    @property
    def aio(self) -> AsyncMkv:
        """The async store behind this object."""
        return self._async

    @property
    def collection(self) -> Any:
        """The PyMongo collection for the calling context: async inside a running loop."""
        if _running_loop() is None:
            return self._sync.collection
        return self._async.collection

    @property
    def db(self) -> Any:
        """The PyMongo database for the calling context: async inside a running loop."""
        if _running_loop() is None:
            return self._sync.db
        return self._async.db

    def set(self, key: Any, value: Any, *, ttl: Any = None) -> Any:
        """Store ``value`` under ``key`` and return the key; see :meth:`mongokv.sync.Mkv.set`."""
        if _running_loop() is None:
            return self._sync.set(key, value, ttl=ttl)
        return _label(self._async.set(key, value, ttl=ttl), "set", key)

    def get(self, key: Any, default: Any = MISSING) -> Any:
        """Return the value of ``key``; see :meth:`mongokv.sync.Mkv.get`."""
        if _running_loop() is None:
            return self._sync.get(key, default)
        return _label(self._async.get(key, default), "get", key)

    def remove(self, key: Any) -> Any:
        """Delete ``key`` and return whether it existed."""
        if _running_loop() is None:
            return self._sync.remove(key)
        return _label(self._async.remove(key), "remove", key)

    def exists(self, key: Any) -> Any:
        """Return whether ``key`` has a value that has not expired."""
        if _running_loop() is None:
            return self._sync.exists(key)
        return _label(self._async.exists(key), "exists", key)

    def expire(self, key: Any, ttl: Any) -> Any:
        """Make ``key`` expire ``ttl`` from now; return whether it existed."""
        if _running_loop() is None:
            return self._sync.expire(key, ttl)
        return _label(self._async.expire(key, ttl), "expire", key)

    def ttl(self, key: Any) -> Any:
        """Return the seconds until ``key`` expires, or None if it never does."""
        if _running_loop() is None:
            return self._sync.ttl(key)
        return _label(self._async.ttl(key), "ttl", key)

    def persist(self, key: Any) -> Any:
        """Remove the expiry of ``key``; return whether it had one."""
        if _running_loop() is None:
            return self._sync.persist(key)
        return _label(self._async.persist(key), "persist", key)

    def incr(self, key: Any, amount: int | float = 1) -> Any:
        """Add ``amount`` to the number under ``key`` and return the new value."""
        if _running_loop() is None:
            return self._sync.incr(key, amount)
        return _label(self._async.incr(key, amount), "incr", key)

    def decr(self, key: Any, amount: int | float = 1) -> Any:
        """Subtract ``amount`` from the number under ``key`` and return the new value."""
        if _running_loop() is None:
            return self._sync.decr(key, amount)
        return _label(self._async.decr(key, amount), "decr", key)

    def add(self, key: Any, value: Any, *, ttl: Any = None) -> Any:
        """Store ``value`` only if ``key`` is absent; return whether it did."""
        if _running_loop() is None:
            return self._sync.add(key, value, ttl=ttl)
        return _label(self._async.add(key, value, ttl=ttl), "add", key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Return the value of ``key``, storing ``default`` first if it is absent."""
        if _running_loop() is None:
            return self._sync.setdefault(key, default)
        return _label(self._async.setdefault(key, default), "setdefault", key)

    def pop(self, key: Any, default: Any = MISSING) -> Any:
        """Delete ``key`` and return its value."""
        if _running_loop() is None:
            return self._sync.pop(key, default)
        return _label(self._async.pop(key, default), "pop", key)

    def compare_and_set(self, key: Any, expected: Any, value: Any, *, ttl: Any = None) -> Any:
        """Replace the value of ``key`` only if it equals ``expected``; return whether it did."""
        if _running_loop() is None:
            return self._sync.compare_and_set(key, expected, value, ttl=ttl)
        return _label(
            self._async.compare_and_set(key, expected, value, ttl=ttl), "compare_and_set", key
        )

    def get_many(self, keys: Iterable[Any]) -> Any:
        """Return ``{key: value}`` for the keys that exist."""
        if _running_loop() is None:
            return self._sync.get_many(keys)
        return _label(self._async.get_many(keys), "get_many")

    def set_many(self, mapping: Mapping[Any, Any], *, ttl: Any = None) -> Any:
        """Store every ``key: value`` of ``mapping`` in one bulk write."""
        if _running_loop() is None:
            return self._sync.set_many(mapping, ttl=ttl)
        return _label(self._async.set_many(mapping, ttl=ttl), "set_many")

    def remove_many(self, keys: Iterable[Any]) -> Any:
        """Delete every key in ``keys`` and return how many existed."""
        if _running_loop() is None:
            return self._sync.remove_many(keys)
        return _label(self._async.remove_many(keys), "remove_many")

    def keys(self, prefix: str | None = None) -> Any:
        """Iterate over the live keys: an iterator, or an async iterator inside a loop."""
        if _running_loop() is None:
            return self._sync.keys(prefix)
        return self._async.keys(prefix)

    def values(self, prefix: str | None = None) -> Any:
        """Iterate over the live values: an iterator, or an async iterator inside a loop."""
        if _running_loop() is None:
            return self._sync.values(prefix)
        return self._async.values(prefix)

    def items(self, prefix: str | None = None) -> Any:
        """Iterate over ``(key, value)`` pairs: an iterator, or an async one inside a loop."""
        if _running_loop() is None:
            return self._sync.items(prefix)
        return self._async.items(prefix)

    def count(self, prefix: str | None = None) -> Any:
        """Return how many live keys there are, or how many start with ``prefix``."""
        if _running_loop() is None:
            return self._sync.count(prefix)
        return _label(self._async.count(prefix), "count")

    def all(self) -> Any:
        """Return every key as a list of str."""
        if _running_loop() is None:
            return self._sync.all()
        return _label(self._async.all(), "all")

    def purge(self) -> Any:
        """Delete every key and return True."""
        if _running_loop() is None:
            return self._sync.purge()
        return _label(self._async.purge(), "purge")

    def namespace(self, collection_name: str) -> Mkv:
        """Return an Mkv on another collection of the same database, sharing the clients."""
        store = Mkv.__new__(Mkv)
        store._sync = self._sync.namespace(collection_name)
        store._async = self._async.namespace(collection_name)
        return store

    # The dict protocol: the sync store's outside a loop; inside one, the async store's
    # dunders raise TypeError naming the method to await.

    def _store(self) -> SyncMkv | AsyncMkv:
        if _running_loop() is None:
            return self._sync
        return self._async

    def __getitem__(self, key: Any) -> Any:
        return self._store()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._store()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._store()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._store()

    def __len__(self) -> int:
        return len(self._store())

    def __iter__(self) -> Iterator[str]:
        return iter(self._store())

    def __bool__(self) -> bool:
        return True

    def close(self) -> Any:
        """Close every client this object opened, sync and async alike.

        Outside a loop it closes at once, including clients of event loops that still run
        in other threads. Inside a loop it returns a coroutine that does the same.
        """
        if _running_loop() is None:
            self._sync.close()
            self._async._clients.close()
            return None
        return _label(self._aclose(), "close")

    async def _aclose(self) -> None:
        await self._async.close()
        self._sync.close()

    def __enter__(self) -> Mkv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Mkv:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._aclose()
