"""Filters and projections for the store's queries, built without any I/O.

Every read matches only live documents: those without ``expires_at`` and those whose expiry is
still in the future. Keys and prefixes are always compared as plain values, never as
operators or regular expressions.
"""

from __future__ import annotations

import datetime
from typing import Any

from ._expiry import EXPIRES_AT

VALUE_ONLY: dict[str, Any] = {"_id": False, "value": True}
ID_ONLY: dict[str, Any] = {"_id": True}
ID_AND_VALUE: dict[str, Any] = {"_id": True, "value": True}
EXPIRY_ONLY: dict[str, Any] = {"_id": False, EXPIRES_AT: True}

# Point reads fetch the expiry with the value and check it in Python: a filter on _id alone
# is the cheapest query MongoDB serves.
VALUE_AND_EXPIRY: dict[str, Any] = {"_id": False, "value": True, EXPIRES_AT: True}
ID_VALUE_AND_EXPIRY: dict[str, Any] = {"_id": True, "value": True, EXPIRES_AT: True}

# The largest code point, and the surrogate range that UTF-8 cannot encode.
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES_START = 0xD800
_SURROGATES_END = 0xDFFF


def live(moment: datetime.datetime) -> dict[str, Any]:
    """Match documents that have no expiry, or whose expiry is after ``moment``."""
    # {EXPIRES_AT: None} matches both a missing field and an explicit null.
    return {"$or": [{EXPIRES_AT: None}, {EXPIRES_AT: {"$gt": moment}}]}


def live_key(key_id: str, moment: datetime.datetime) -> dict[str, Any]:
    """Match the document of ``key_id`` if it is live at ``moment``."""
    return {"$and": [{"_id": key_id}, live(moment)]}


def live_keys(key_ids: list[str], moment: datetime.datetime) -> dict[str, Any]:
    """Match the live documents among ``key_ids``."""
    return {"$and": [{"_id": {"$in": key_ids}}, live(moment)]}


def expired_key(key_id: str, moment: datetime.datetime) -> dict[str, Any]:
    """Match the document of ``key_id`` only if it expired at or before ``moment``."""
    return {"_id": key_id, EXPIRES_AT: {"$lte": moment}}


def live_with_prefix(prefix: str | None, moment: datetime.datetime) -> dict[str, Any]:
    """Match the live documents whose key starts with ``prefix`` (all of them for None)."""
    if not prefix:
        return live(moment)
    return {"$and": [{"_id": key_range(prefix)}, live(moment)]}


def key_range(prefix: str) -> dict[str, str]:
    """Return the ``_id`` range that contains exactly the strings starting with ``prefix``.

    MongoDB compares strings by their UTF-8 bytes (without a collation), which orders them
    as Python orders code points, so every string with the prefix lies between the prefix
    and its successor. A range needs no regular expression, so no character of the prefix
    can act as syntax.
    """
    upper = _successor(prefix)
    if upper is None:
        return {"$gte": prefix}
    return {"$gte": prefix, "$lt": upper}


def _successor(prefix: str) -> str | None:
    """Return the smallest string above every string that starts with ``prefix``."""
    stem = prefix.rstrip(chr(_MAX_CODE_POINT))
    if not stem:
        return None

    next_code_point = ord(stem[-1]) + 1
    if _SURROGATES_START <= next_code_point <= _SURROGATES_END:
        next_code_point = _SURROGATES_END + 1
    return stem[:-1] + chr(next_code_point)


def value_equals(expected: Any) -> dict[str, Any]:
    """Match documents whose value equals ``expected`` exactly.

    A plain ``{"value": expected}`` filter would also match an array that merely contains
    ``expected``. ``$literal`` keeps a string such as ``"$_id"`` from being read as a field
    path.
    """
    return {"$expr": {"$eq": ["$value", {"$literal": expected}]}}
