"""Mkv: one object for plain scripts and asyncio code, decided per call."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from ._async.store import AsyncMkv
from ._missing import MISSING
from ._settings import ClientSettings
from ._sync.store import SyncMkv

__all__ = ["Mkv"]

# asyncio.get_running_loop() raises when no loop runs, and raising costs more than the
# rest of the dispatch; this function returns None instead. It is what asyncio itself
# calls, public since Python 3.7 as asyncio._get_running_loop.
_running_loop = asyncio._get_running_loop


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

    def set(self, key: Any, value: Any) -> Any:
        """Store ``value`` under ``key`` and return the key; see :meth:`mongokv.sync.Mkv.set`."""
        if _running_loop() is None:
            return self._sync.set(key, value)
        return self._async.set(key, value)

    def get(self, key: Any, default: Any = MISSING) -> Any:
        """Return the value of ``key``; see :meth:`mongokv.sync.Mkv.get`."""
        if _running_loop() is None:
            return self._sync.get(key, default)
        return self._async.get(key, default)

    def remove(self, key: Any) -> Any:
        """Delete ``key`` and return whether it existed."""
        if _running_loop() is None:
            return self._sync.remove(key)
        return self._async.remove(key)

    def all(self) -> Any:
        """Return every key as a list of str."""
        if _running_loop() is None:
            return self._sync.all()
        return self._async.all()

    def purge(self) -> Any:
        """Delete every key and return True."""
        if _running_loop() is None:
            return self._sync.purge()
        return self._async.purge()

    def close(self) -> Any:
        """Close every client this object opened, sync and async alike.

        Outside a loop it closes at once, including clients of event loops that still run
        in other threads. Inside a loop it returns a coroutine that does the same.
        """
        if _running_loop() is None:
            self._sync.close()
            self._async._clients.close()
            return None
        return self._aclose()

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
