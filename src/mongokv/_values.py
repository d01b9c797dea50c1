"""Value policy: encode each stored document once, and reject what MongoDB cannot store.

A value is stored exactly when BSON can encode it and decoding gives back an equal value of
the same kind. Values that BSON would reject, or would silently turn into another type (an
enum member into its plain value), raise :class:`InvalidValueError` before any I/O.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import bson
from bson.binary import Binary
from bson.code import Code
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.errors import BSONError
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.regex import Regex
from bson.timestamp import Timestamp

from ._errors import InvalidValueError

# MongoDB rejects documents larger than this many bytes (16 MiB).
MAX_DOCUMENT_SIZE = 16 * 1024 * 1024

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

# Types that BSON stores as they are, so the pre-check can skip them at the cost of one
# set lookup. Containers are walked, because an enum member may hide inside.
_PLAIN_TYPES = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        bytes,
        datetime.datetime,
        ObjectId,
        Binary,
        Int64,
        Decimal128,
        Code,
        DBRef,
        Regex,
        Timestamp,
        MinKey,
        MaxKey,
        RawBSONDocument,
    }
)

_MAX_KEY_IN_MESSAGE = 80


class _EncodedDocument(RawBSONDocument):
    """Raw BSON that PyMongo sends as it is.

    PyMongo tests a replacement document for truth before sending it, and a plain
    RawBSONDocument decodes itself to do so. A stored document is never empty.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return True


def encode_entry(
    key: str,
    value: Any,
    expires_at: datetime.datetime | None,
    codec_options: bson.CodecOptions[Any],
) -> RawBSONDocument:
    """Encode the document that stores ``value`` under ``key``, or raise InvalidValueError.

    The result is raw BSON, so PyMongo sends these bytes without encoding the value again.
    """
    document: dict[str, Any] = {"_id": key, "value": value}
    if expires_at is not None:
        document["expires_at"] = expires_at

    return _encode_checked(key, value, document, codec_options)


def encode_update(
    key: str, operator: str, value: Any, codec_options: bson.CodecOptions[Any]
) -> RawBSONDocument:
    """Encode ``{operator: {"value": value}}``, checking ``value`` as :func:`encode_entry` does."""
    return _encode_checked(key, value, {operator: {"value": value}}, codec_options)


def _encode_checked(
    key: str, value: Any, document: dict[str, Any], codec_options: bson.CodecOptions[Any]
) -> RawBSONDocument:
    """Encode ``document``, which contains ``value``, or raise InvalidValueError naming ``key``."""
    if _contains_converted_type(value):
        raise _invalid_value_error(key, value)

    try:
        data = bson.encode(document, codec_options=codec_options)
    except (BSONError, OverflowError, TypeError, ValueError) as exc:
        raise _invalid_value_error(key, value) from exc

    if len(data) > MAX_DOCUMENT_SIZE:
        raise InvalidValueError(
            f"Invalid value for key {_show_key(key)}: it encodes to a {len(data):,}-byte "
            f"document, over MongoDB's limit of {MAX_DOCUMENT_SIZE:,} bytes (16 MiB). "
            "Split it across several keys, or store large files with GridFS."
        )

    return _EncodedDocument(data)


def check_number(key: str, amount: Any) -> None:
    """Raise unless ``amount`` is a number that ``$inc`` can add exactly."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(
            f"Invalid amount {amount!r} of type {type(amount).__name__} for key "
            f"{_show_key(key)}: pass an int or a float."
        )
    if isinstance(amount, float) and not math.isfinite(amount):
        raise ValueError(f"Invalid amount {amount!r} for key {_show_key(key)}: it must be finite.")
    if isinstance(amount, int) and not _INT64_MIN <= amount <= _INT64_MAX:
        raise ValueError(
            f"Invalid amount {amount} for key {_show_key(key)}: it is outside BSON's signed "
            "64-bit integer range."
        )


def _contains_converted_type(value: Any) -> bool:
    """Return whether ``value`` contains an enum member, which BSON stores as a plain value."""
    value_type = type(value)
    if value_type in _PLAIN_TYPES:
        return False

    items: Iterable[Any]
    if value_type is dict:
        items = value.values()
    elif value_type is list or value_type is tuple:
        items = value
    elif isinstance(value, Mapping):
        items = value.values()
    else:
        return isinstance(value, enum.Enum)

    # Checking each item's type here, before recursing, keeps the common case of plain
    # scalars inside a container to one set lookup per item. any() with a generator costs
    # twice as much.
    for item in items:  # noqa: SIM110
        if type(item) not in _PLAIN_TYPES and _contains_converted_type(item):
            return True
    return False


def _invalid_value_error(key: str, value: Any) -> InvalidValueError:
    """Build the error for a value that failed to encode, naming where and why."""
    problem = _find_problem(value, "value")
    if problem is None:
        return InvalidValueError(
            f"Invalid value for key {_show_key(key)}: BSON cannot encode it. "
            "Store dicts with string keys, lists, str, int, float, bool, bytes, "
            "datetime or None."
        )

    path, reason, fix = problem
    return InvalidValueError(f"Invalid value for key {_show_key(key)}: {path} is {reason}. {fix}")


def _find_problem(value: Any, path: str) -> tuple[str, str, str] | None:
    """Return ``(path, reason, fix)`` for the first part of ``value`` that cannot be stored."""
    if isinstance(value, enum.Enum):
        return (
            path,
            f"the enum member {value!r}, which BSON would store as a plain value",
            "Store its .value or .name instead.",
        )

    if isinstance(value, Mapping) and not isinstance(value, RawBSONDocument):
        return _find_problem_in_mapping(value, path)

    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = _find_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None

    return _find_problem_in_scalar(value, path)


def _find_problem_in_mapping(value: Mapping[Any, Any], path: str) -> tuple[str, str, str] | None:
    for field, item in value.items():
        if not isinstance(field, str):
            return (
                path,
                f"a dict with the {type(field).__name__} key {field!r}",
                "MongoDB field names are strings: convert the keys with str().",
            )
        if "\x00" in field:
            return (
                path,
                f"a dict whose key {field!r} contains a NUL character",
                "Remove the NUL character from the field name.",
            )

        problem = _find_problem(item, f"{path}[{field!r}]")
        if problem is not None:
            return problem

    return None


def _find_problem_in_scalar(value: Any, path: str) -> tuple[str, str, str] | None:
    if isinstance(value, bool):
        return None

    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return None
        return (
            path,
            f"the int {value}, outside BSON's signed 64-bit range",
            "Store it as a str, or as bson.Decimal128 if it must stay numeric.",
        )

    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (
                path,
                "a str that is not valid UTF-8 (it contains a lone surrogate)",
                "Store it as bytes, or fix the text before storing it.",
            )
        return None

    if type(value) in _PLAIN_TYPES:
        return None

    return (path, f"of type {_type_name(value)}, which BSON cannot encode", _fix_for(value))


def _fix_for(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        return "Store bson.Decimal128(value) to keep it exact, or str(value)."
    if isinstance(value, (set, frozenset)):
        return "Store a list instead, for example sorted(value)."
    if isinstance(value, (datetime.date, datetime.time)):
        return "Store a datetime.datetime, or value.isoformat()."
    if isinstance(value, (bytearray, memoryview)):
        return "Store bytes(value) instead."
    if isinstance(value, uuid.UUID):
        return (
            "Store bson.Binary.from_uuid(value) or str(value), or pass "
            "uuidRepresentation='standard' to Mkv to store UUIDs natively."
        )
    return (
        "Convert it to a dict with string keys, a list, str, int, float, bool, bytes, "
        "datetime or None."
    )


def _type_name(value: Any) -> str:
    value_type = type(value)
    if value_type.__module__ == "builtins":
        return value_type.__qualname__
    return f"{value_type.__module__}.{value_type.__qualname__}"


def _show_key(key: str) -> str:
    if len(key) <= _MAX_KEY_IN_MESSAGE:
        return repr(key)
    return repr(key[:_MAX_KEY_IN_MESSAGE]) + f" (truncated, {len(key)} characters)"
