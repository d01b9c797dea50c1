"""Iterators over query results, written by hand on both sides.

The async one also explains the common mistake of a plain ``for`` loop over it in async code,
where Python's own error only states that an async generator is not iterable.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Generic, NoReturn, TypeVar

__all__ = ["AsyncResultStream", "ResultStream"]

T = TypeVar("T")


class ResultStream(Generic[T]):
    """An iterator over query results that frees the server-side cursor when closed."""

    __slots__ = ("_results",)

    def __init__(self, results: Generator[T, None, None]) -> None:
        self._results = results

    def __iter__(self) -> ResultStream[T]:
        return self

    def __next__(self) -> T:
        return next(self._results)

    def close(self) -> None:
        """Stop early and free the server-side cursor at once."""
        self._results.close()


class AsyncResultStream(Generic[T]):
    """An async iterator over query results that frees the server-side cursor when closed."""

    __slots__ = ("_results",)

    def __init__(self, results: AsyncGenerator[T, None]) -> None:
        self._results = results

    def __aiter__(self) -> AsyncResultStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self._results.__anext__()

    async def aclose(self) -> None:
        """Stop early and free the server-side cursor at once."""
        await self._results.aclose()

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "This is an async iterator: loop over it with `async for`, for example "
            "`async for key in db.keys()`."
        )
