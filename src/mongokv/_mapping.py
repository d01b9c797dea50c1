"""The dict protocol: real on the sync store, a clear TypeError on the async store.

Written by hand on both sides: the sync dunders call the store's methods, while the async
store cannot run I/O inside ``db[key]`` or ``len(db)``, so each dunder there points to the
awaitable method instead of hiding a blocking call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from ._errors import InvalidKeyError

__all__ = ["AsyncMappingMethods", "MappingMethods"]


class MappingMethods:
    """``db[key]``, ``db[key] = value``, ``del db[key]``, ``key in db``, ``len(db)``, iteration."""

    __slots__ = ()

    if TYPE_CHECKING:
        # Provided by the store class that mixes this in.
        def get(self, key: Any) -> Any: ...
        def set(self, key: Any, value: Any) -> str: ...
        def remove(self, key: Any) -> bool: ...
        def exists(self, key: Any) -> bool: ...
        def count(self) -> int: ...
        def keys(self) -> Iterator[str]: ...

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key is None:
            # db[None] = value would store under a new random key that the caller never
            # learns, while set(None, value) returns it.
            raise InvalidKeyError(
                "Invalid key None: use key = db.set(None, value) to store under a new key."
            )
        self.set(key, value)

    def __delitem__(self, key: Any) -> None:
        if not self.remove(key):
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return self.exists(key)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[str]:
        return self.keys()

    def __bool__(self) -> bool:
        # A store is an object, not a container to test for emptiness: `if db:` must not
        # run a count on the server.
        return True


def _async_only(operation: str, replacement: str) -> NoReturn:
    raise TypeError(
        f"In async code, mongoKV does not support {operation}, which would block on I/O: "
        f"use {replacement} instead."
    )


class AsyncMappingMethods:
    """The dict dunders of the async store, each raising TypeError naming the method to await."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> NoReturn:
        _async_only("db[key]", "await db.get(key)")

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        _async_only("db[key] = value", "await db.set(key, value)")

    def __delitem__(self, key: Any) -> NoReturn:
        _async_only("del db[key]", "await db.remove(key)")

    def __contains__(self, key: object) -> NoReturn:
        _async_only("`key in db`", "await db.exists(key)")

    def __len__(self) -> NoReturn:
        _async_only("len(db)", "await db.count()")

    def __iter__(self) -> NoReturn:
        _async_only("iteration with a plain for loop", "`async for key in db.keys()`")

    def __bool__(self) -> bool:
        return True
