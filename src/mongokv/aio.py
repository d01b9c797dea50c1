"""The explicit async API: ``from mongokv.aio import Mkv``."""

from __future__ import annotations

from ._async.store import AsyncMkv
from ._errors import (
    InvalidKeyError,
    InvalidValueError,
    MongoKVError,
    StoreClosedError,
    WrongTypeError,
)

Mkv = AsyncMkv

__all__ = [
    "AsyncMkv",
    "InvalidKeyError",
    "InvalidValueError",
    "Mkv",
    "MongoKVError",
    "StoreClosedError",
    "WrongTypeError",
]
