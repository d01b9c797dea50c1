"""Per-key expiry: ttl arguments, the stored ``expires_at`` date, and remaining time."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

# The field that stores a key's expiry as a BSON date. A TTL index on it lets MongoDB's TTL
# monitor delete expired documents, which it does about once a minute. Reads hide them at
# once by comparing with the current time.
EXPIRES_AT = "expires_at"

Ttl = float | int | datetime.timedelta

_UTC = datetime.timezone.utc


def now() -> datetime.datetime:
    """Return the current time, timezone-aware in UTC, as expiry comparisons use it."""
    return datetime.datetime.now(_UTC)


def ttl_seconds(ttl: Any) -> float:
    """Return ``ttl`` in seconds, or raise for anything but a positive finite duration."""
    if isinstance(ttl, datetime.timedelta):
        seconds = ttl.total_seconds()
    elif isinstance(ttl, (int, float)) and not isinstance(ttl, bool):
        seconds = float(ttl)
    else:
        raise TypeError(
            f"Invalid ttl {ttl!r} of type {type(ttl).__name__}: pass seconds as an int or "
            "float, or a datetime.timedelta."
        )

    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(
            f"Invalid ttl {ttl!r}: it must be a positive, finite number of seconds. "
            "To delete a key now, call remove(); to keep it forever, omit ttl or call persist()."
        )
    return seconds


def expiry_from_ttl(ttl: Any) -> datetime.datetime:
    """Return the moment a key set now with ``ttl`` expires."""
    seconds = ttl_seconds(ttl)
    try:
        return now() + datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(
            f"Invalid ttl {ttl!r}: the expiry would fall after the year 9999, the last date "
            "that BSON and datetime can hold. Omit ttl to keep the key forever."
        ) from None


def remaining_seconds(expires_at: Any, moment: datetime.datetime) -> float | None:
    """Return the seconds from ``moment`` until ``expires_at``, or None if it is not a date."""
    if not isinstance(expires_at, datetime.datetime):
        return None

    deadline: datetime.datetime = expires_at
    if deadline.tzinfo is None:
        # A client created with tz_aware=False returns naive datetimes, which BSON stores in UTC.
        deadline = deadline.replace(tzinfo=_UTC)
    return max(0.0, (deadline - moment).total_seconds())


def is_expired(document: Mapping[str, Any]) -> bool:
    """Return whether ``document`` has an expiry date that has passed.

    Like MongoDB's TTL monitor, only a date counts as an expiry: a document whose
    ``expires_at`` is missing, null or not a date never expires.
    """
    expires_at = document.get(EXPIRES_AT)
    if not isinstance(expires_at, datetime.datetime):
        return False
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=_UTC)
    return expires_at <= now()
