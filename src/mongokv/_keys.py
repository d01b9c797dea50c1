"""Key normalisation: every key is stored as the string ``str(key)`` in ``_id``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId

from ._errors import InvalidKeyError


def normalize_key(key: Any) -> str:
    """Return the ``_id`` string that stores ``key``.

    Any object with a meaningful ``str()`` is accepted, so ``1`` and ``"1"`` name the same
    document. ``None`` and bytes are rejected: their ``str()`` (``"None"``, ``"b'k'"``) is
    almost always a bug rather than the intended key.
    """
    if type(key) is str:
        return key

    if key is None:
        raise InvalidKeyError(
            "Invalid key None: only set() accepts None, to generate a new key. "
            "Pass a string key here."
        )

    if isinstance(key, (bytes, bytearray, memoryview)):
        raise InvalidKeyError(
            f"Invalid key {key!r} of type {type(key).__name__}: keys are strings. "
            "Decode it first, for example key.decode()."
        )

    return str(key)


def new_key() -> str:
    """Generate a fresh key: the hex string of a new ObjectId."""
    return str(ObjectId())


def normalize_keys(keys: Iterable[Any]) -> list[str]:
    """Return the distinct ``_id`` strings of ``keys``, in their first-seen order."""
    if isinstance(keys, (str, bytes, bytearray, memoryview)):
        raise InvalidKeyError(
            f"Invalid keys {keys!r}: pass an iterable of keys such as a list, not a single "
            f"{type(keys).__name__}, whose characters would each become a key."
        )
    try:
        iterator = iter(keys)
    except TypeError:
        raise InvalidKeyError(
            f"Invalid keys {keys!r}: pass an iterable of keys such as a list."
        ) from None
    return list(dict.fromkeys(normalize_key(key) for key in iterator))
