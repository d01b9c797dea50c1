"""The explicit sync API: ``from mongokv.sync import Mkv``."""

from __future__ import annotations

from ._errors import (
    InvalidKeyError,
    InvalidValueError,
    MongoKVError,
    StoreClosedError,
    WrongTypeError,
)
from ._sync.store import SyncMkv

Mkv = SyncMkv

__all__ = [
    "InvalidKeyError",
    "InvalidValueError",
    "Mkv",
    "MongoKVError",
    "StoreClosedError",
    "SyncMkv",
    "WrongTypeError",
]
