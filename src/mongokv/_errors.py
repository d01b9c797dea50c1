"""Exceptions raised by mongoKV itself; errors from the server stay PyMongo's own."""

from __future__ import annotations

from bson.errors import InvalidDocument
from pymongo.errors import InvalidOperation, PyMongoError

__all__ = [
    "InvalidKeyError",
    "InvalidValueError",
    "MongoKVError",
    "StoreClosedError",
    "WrongTypeError",
]


class MongoKVError(PyMongoError):
    """Base class of the errors that mongoKV raises itself.

    It derives from :class:`pymongo.errors.PyMongoError`, so one ``except PyMongoError``
    catches both these errors and the ones PyMongo raises.
    """


class InvalidKeyError(MongoKVError, TypeError):
    """Raised when a key can never name a document, such as ``None`` or ``bytes``."""


class InvalidValueError(MongoKVError, InvalidDocument):
    """Raised before any I/O when MongoDB cannot store a value exactly as given.

    The message names the key, the path inside the value, the offending type or size, and
    what to store instead. Nothing is written, so the previous value of the key survives.
    """


class WrongTypeError(MongoKVError, TypeError):
    """Raised when an operation needs another type of stored value, as ``incr`` on a string."""


class StoreClosedError(MongoKVError, InvalidOperation):
    """Raised when a store is used after ``close()``."""
