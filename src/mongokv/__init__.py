"""mongoKV: MongoDB as a dict, for plain scripts and asyncio code alike."""

from __future__ import annotations

from ._async.store import AsyncMkv
from ._dispatch import Mkv
from ._errors import (
    InvalidKeyError,
    InvalidValueError,
    MongoKVError,
    StoreClosedError,
    WrongTypeError,
)
from ._sync.store import SyncMkv
from ._version import __version__

__all__ = [
    "AsyncMkv",
    "InvalidKeyError",
    "InvalidValueError",
    "Mkv",
    "MongoKVError",
    "StoreClosedError",
    "SyncMkv",
    "WrongTypeError",
    "__version__",
]
