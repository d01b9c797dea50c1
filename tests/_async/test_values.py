"""The value policy: what is stored as given, what changes type, what is rejected before I/O."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from bson import Binary, Int64, ObjectId

from mongokv.aio import AsyncMkv, InvalidValueError

UTC = datetime.timezone.utc


class Color(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Mode(str, enum.Enum):
    FAST = "fast"


REJECTED = [
    pytest.param(decimal.Decimal("1.10"), "decimal.Decimal", "Decimal128", id="decimal"),
    pytest.param({1, 2}, "of type set", "list", id="set"),
    pytest.param(frozenset({1}), "of type frozenset", "list", id="frozenset"),
    pytest.param(datetime.date(2024, 1, 2), "datetime.date", "datetime.datetime", id="date"),
    pytest.param(datetime.time(12, 0), "datetime.time", "datetime.datetime", id="time"),
    pytest.param(bytearray(b"x"), "bytearray", "bytes(value)", id="bytearray"),
    pytest.param(memoryview(b"x"), "memoryview", "bytes(value)", id="memoryview"),
    pytest.param(Color.RED, "enum member", ".value", id="enum"),
    pytest.param(Level.HIGH, "enum member", ".value", id="int-enum"),
    pytest.param(Mode.FAST, "enum member", ".value", id="str-enum"),
    pytest.param({"nested": [Level.HIGH]}, "value['nested'][0]", ".value", id="nested-enum"),
    pytest.param({1: "a"}, "int key 1", "str()", id="int-dict-key"),
    pytest.param({"a": {("t",): 1}}, "value['a']", "str()", id="nested-tuple-key"),
    pytest.param(2**63, "outside BSON's signed 64-bit range", "str", id="int-too-big"),
    pytest.param(-(2**63) - 1, "outside BSON's signed 64-bit range", "str", id="int-too-small"),
    pytest.param([1, [2, 2**70]], "value[1][1]", "64-bit", id="nested-big-int"),
    pytest.param({"a\x00b": 1}, "NUL character", "Remove", id="nul-field-name"),
    pytest.param({"a": {"b\x00": 1}}, "NUL character", "Remove", id="nested-nul-field"),
    pytest.param("\ud800", "lone surrogate", "bytes", id="lone-surrogate"),
    pytest.param(object(), "of type object", "Convert it", id="object"),
    pytest.param(uuid.UUID(int=1), "uuid.UUID", "uuidRepresentation", id="uuid"),
    pytest.param(1 + 2j, "of type complex", "Convert it", id="complex"),
]


@pytest.mark.parametrize(("value", "reason", "fix"), REJECTED)
async def test_rejected_value_names_key_type_and_fix(
    store: AsyncMkv, raw_collection: Any, value: Any, reason: str, fix: str
) -> None:
    await store.set("k", "previous")

    with pytest.raises(InvalidValueError) as caught:
        await store.set("k", value)

    message = str(caught.value)
    assert "key 'k'" in message
    assert reason in message
    assert fix in message
    assert await store.get("k") == "previous"
    assert raw_collection.count_documents({}) == 1


@pytest.mark.parametrize(("value", "reason", "fix"), REJECTED)
async def test_rejected_value_creates_nothing(
    store: AsyncMkv, raw_collection: Any, value: Any, reason: str, fix: str
) -> None:
    with pytest.raises(InvalidValueError):
        await store.set(None, value)
    with pytest.raises(InvalidValueError):
        await store.add("fresh", value)
    with pytest.raises(InvalidValueError):
        await store.set_many({"ok": 1, "bad": value})

    assert raw_collection.count_documents({}) == 0


async def test_document_over_16_mib_rejected(store: AsyncMkv, raw_collection: Any) -> None:
    await store.set("blob", b"small")

    with pytest.raises(InvalidValueError, match="16 MiB") as caught:
        await store.set("blob", b"\x00" * (16 * 1024 * 1024))

    assert "key 'blob'" in str(caught.value)
    assert await store.get("blob") == b"small"
    assert raw_collection.count_documents({}) == 1


async def test_document_just_under_limit_stored(store: AsyncMkv) -> None:
    # 16 MiB minus room for _id, the field names and the BSON framing.
    value = b"\x01" * (16 * 1024 * 1024 - 100)

    await store.set("blob", value)

    assert await store.get("blob") == value


async def test_long_key_truncated_in_message(store: AsyncMkv) -> None:
    key = "k" * 1_000

    with pytest.raises(InvalidValueError) as caught:
        await store.set(key, {1, 2})

    message = str(caught.value)
    assert "truncated, 1000 characters" in message
    assert len(message) < 400


async def test_values_that_change_type(store: AsyncMkv) -> None:
    await store.set("tuple", (1, (2, 3)))
    await store.set("binary", Binary(b"\x01", 0))
    await store.set("big", 2**40)
    await store.set("small", 5)

    assert await store.get("tuple") == [1, [2, 3]]
    assert type(await store.get("binary")) is bytes
    big = await store.get("big")
    assert big == 2**40
    assert type(big) is Int64
    assert type(await store.get("small")) is int


async def test_naive_datetime_read_as_utc(store: AsyncMkv) -> None:
    naive = datetime.datetime(2024, 3, 4, 5, 6, 7, 890000)

    await store.set("when", naive)

    assert await store.get("when") == naive.replace(tzinfo=UTC)


async def test_datetime_microseconds_truncated(store: AsyncMkv) -> None:
    moment = datetime.datetime(2024, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)

    await store.set("when", moment)

    assert await store.get("when") == moment.replace(microsecond=123000)


async def test_bson_types_round_trip(store: AsyncMkv) -> None:
    values = {
        "object_id": ObjectId("677eec65e92eeca23513fe99"),
        "int64": Int64(7),
        "nested": {"list": [None, True, 1.25, "x", b"y"]},
    }
    await store.set_many(values)

    assert await store.get_many(values) == values


@pytest.mark.real_mongodb(reason="nx-27017 returns every Binary subtype as plain bytes")
async def test_binary_subtype_kept(store: AsyncMkv) -> None:
    await store.set("md5", Binary(b"\x01\x02", 5))

    assert await store.get("md5") == Binary(b"\x01\x02", 5)
