"""Server faults through a scripted MockupDB server, and keys that look like query syntax.

Each fault test checks that the fault surfaces as PyMongo's own exception class, that no call
waits longer than the configured timeout, and that the same store works again once the
server replies normally. PyMongo retries a read once after a network error or a "not
primary" error. It retries a write only on a replica set that supports sessions, which
``MockServer(replica_set=True)`` plays. Tests that must see exactly one attempt turn the
retries off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pymongo.common
import pytest
from bson.regex import Regex
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    DuplicateKeyError,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
    WriteError,
)

import mongokv
import mongokv.aio
import mongokv.sync
from tests.conftest import TEST_DB
from tests.faults_helpers import MOCK_WIRE_VERSION, MockServer

pytestmark = pytest.mark.timeout(30)

DB = "mkv_faults"
COLLECTION = "kv"
NAMESPACE = f"{DB}.{COLLECTION}"

# Fails a test within 2 s, not mongoKV's default 5 s, if the mock stops replying to hello.
FAST_SELECTION: dict[str, Any] = {"serverSelectionTimeoutMS": 2_000}
NO_RETRIES: dict[str, Any] = {**FAST_SELECTION, "retryReads": False, "retryWrites": False}

# A 300 ms socket timeout, and the most time a call may take with it, one retry included.
SOCKET_TIMEOUT: dict[str, Any] = {**FAST_SELECTION, "socketTimeoutMS": 300}
TIMEOUT_BOUND_S = 2.0

# An error reply to the update that set() sends, the exception PyMongo raises for it, and
# the error code that exception carries.
UPDATE_ERRORS = [
    pytest.param(
        {"ok": 0, "code": 10107, "errmsg": "not primary"},
        NotPrimaryError,
        10107,
        id="not-writable-primary",
    ),
    pytest.param(
        {"ok": 0, "code": 91, "errmsg": "The server is in quiesce mode and will shut down"},
        NotPrimaryError,
        91,
        id="shutdown-in-progress",
    ),
    pytest.param(
        {"ok": 0, "code": 112, "errmsg": "WriteConflict error: this operation conflicted"},
        OperationFailure,
        112,
        id="write-conflict",
    ),
    pytest.param(
        {
            "ok": 1,
            "n": 0,
            "writeErrors": [{"index": 0, "code": 121, "errmsg": "Document failed validation"}],
        },
        WriteError,
        121,
        id="write-error",
    ),
    pytest.param(
        {
            "ok": 1,
            "n": 1,
            "nModified": 1,
            "writeConcernError": {"code": 100, "errmsg": "Not enough data-bearing nodes"},
        },
        WriteConcernError,
        100,
        id="write-concern-error",
    ),
]

# The commands that remove() may send: a delete, or a findAndModify that returns the
# deleted document.
REMOVE_COMMANDS = ("delete", "findAndModify")

# The store methods under test and the commands that each one may send.
METHODS = ["set", "get", "remove", "all", "purge"]
COMMANDS_OF: dict[str, str | tuple[str, ...]] = {
    "set": "update",
    "get": "find",
    "remove": REMOVE_COMMANDS,
    "all": "find",
    "purge": "delete",
}


@pytest.fixture(autouse=True)
def _fast_rediscovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let PyMongo check the server again 50 ms after an error instead of 500 ms.

    After a "not primary" error or a dropped connection PyMongo marks the server unknown and
    waits for the next hello, at least ``pymongo.common.MIN_HEARTBEAT_INTERVAL`` (0.5 s in
    PyMongo 4.20) after the previous one. Clients read the constant when they start and when
    they wait for a server, so a smaller one makes each fault test 0.45 s faster without
    changing what PyMongo raises or how often it retries.
    """
    monkeypatch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.05)


@pytest.fixture(scope="module")
def standalone() -> Iterator[MockServer]:
    server = MockServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def replica_set() -> Iterator[MockServer]:
    server = MockServer(replica_set=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(standalone: MockServer) -> MockServer:
    """The standalone mock with no faults and one document, ``{"_id": "k", "value": 1}``."""
    standalone.reset()
    standalone.put("k", 1)
    return standalone


@pytest.fixture
def rs_server(replica_set: MockServer) -> MockServer:
    """The replica set mock with no faults and one document, ``{"_id": "k", "value": 1}``."""
    replica_set.reset()
    replica_set.put("k", 1)
    return replica_set


def error_code(exc: PyMongoError) -> Any:
    """Return the server's error code: NotPrimaryError keeps it only in ``details``."""
    if isinstance(exc, OperationFailure):
        return exc.code
    assert isinstance(exc, NotPrimaryError)
    details: Any = exc.details
    return details["code"]


def call_sync(db: mongokv.sync.Mkv, method: str) -> Any:
    if method == "set":
        return db.set("k", 2)
    if method == "get":
        return db.get("k")
    if method == "remove":
        return db.remove("k")
    if method == "all":
        return db.all()
    return db.purge()


async def call_async(db: mongokv.aio.Mkv, method: str) -> Any:
    if method == "set":
        return await db.set("k", 2)
    if method == "get":
        return await db.get("k")
    if method == "remove":
        return await db.remove("k")
    if method == "all":
        return await db.all()
    return await db.purge()


# What each call of METHODS returns on the mock's one document {"_id": "k", "value": 1}.
EXPECTED_RESULT = {"set": "k", "get": 1, "remove": True, "all": ["k"], "purge": True}


def test_mock_wire_version_supported() -> None:
    assert pymongo.common.MIN_SUPPORTED_WIRE_VERSION <= MOCK_WIRE_VERSION
    assert pymongo.common.MAX_SUPPORTED_WIRE_VERSION >= MOCK_WIRE_VERSION


def test_mock_serves_normal_calls(server: MockServer) -> None:
    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.set("k", 2) == "k"
        assert db.get("k") == 2
        assert db.get("missing", "default") == "default"
        assert db.all() == ["k"]
        assert db.remove("k") is True
        assert db.remove("k") is False

    assert len(server.received("update")) == 1
    assert len(server.received(REMOVE_COMMANDS)) == 2


# Error replies to an update.


@pytest.mark.parametrize(("reply", "error_class", "code"), UPDATE_ERRORS)
def test_sync_set_error_reply(
    server: MockServer, reply: dict[str, Any], error_class: type[PyMongoError], code: int
) -> None:
    server.fail("update", reply)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(error_class) as caught:
            db.set("k", 2)
        assert type(caught.value) is error_class
        assert error_code(caught.value) == code
        # A standalone server has no sessions, so PyMongo sends the write once.
        assert len(server.received("update")) == 1

        assert db.set("k", 3) == "k"
        assert db.get("k") == 3
    assert server.value("k") == 3


@pytest.mark.parametrize(("reply", "error_class", "code"), UPDATE_ERRORS)
async def test_async_set_error_reply(
    server: MockServer, reply: dict[str, Any], error_class: type[PyMongoError], code: int
) -> None:
    server.fail("update", reply)

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(error_class) as caught:
            await db.set("k", 2)
        assert type(caught.value) is error_class
        assert error_code(caught.value) == code
        assert len(server.received("update")) == 1

        assert await db.set("k", 3) == "k"
        assert await db.get("k") == 3
    assert server.value("k") == 3


def test_dispatch_set_error_reply(server: MockServer) -> None:
    server.command_error("update", 10107, "not primary")

    with mongokv.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError):
            db.set("k", 2)
        assert db.set("k", 3) == "k"
        assert db.get("k") == 3


async def test_dispatch_async_set_error_reply(server: MockServer) -> None:
    server.command_error("update", 10107, "not primary")

    async with mongokv.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError):
            await db.set("k", 2)
        assert await db.set("k", 3) == "k"
        assert await db.get("k") == 3


def test_sync_remove_error_reply(server: MockServer) -> None:
    server.command_error(REMOVE_COMMANDS, 91, "The server is in quiesce mode and will shut down")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError):
            db.remove("k")
        assert server.value("k") == 1

        assert db.remove("k") is True
    assert len(server.received(REMOVE_COMMANDS)) == 2


# mongoKV's own retry: set() repeats an upsert that lost a race to a concurrent insert.

# How MongoDB reports that an upsert inserted a key that another client inserted first.
DUPLICATE_KEY_REPLY: dict[str, Any] = {
    "ok": 1,
    "n": 0,
    "nModified": 0,
    "writeErrors": [
        {"index": 0, "code": 11000, "errmsg": 'E11000 duplicate key error dup key: { _id: "k" }'}
    ],
}


def test_sync_set_retries_duplicate_key(server: MockServer) -> None:
    server.fail("update", DUPLICATE_KEY_REPLY)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        assert db.set("k", 2) == "k"

    assert len(server.received("update")) == 2
    assert server.value("k") == 2


def test_sync_set_second_duplicate_key_raises(server: MockServer) -> None:
    server.fail("update", DUPLICATE_KEY_REPLY, times=2)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(DuplicateKeyError) as caught:
            db.set("k", 2)
        assert caught.value.code == 11000

    assert len(server.received("update")) == 2
    assert server.value("k") == 1


async def test_async_set_retries_duplicate_key(server: MockServer) -> None:
    server.fail("update", DUPLICATE_KEY_REPLY)

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        assert await db.set("k", 2) == "k"

    assert len(server.received("update")) == 2
    assert server.value("k") == 2


async def test_async_set_second_duplicate_key_raises(server: MockServer) -> None:
    server.fail("update", DUPLICATE_KEY_REPLY, times=2)

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(DuplicateKeyError) as caught:
            await db.set("k", 2)
        assert caught.value.code == 11000

    assert len(server.received("update")) == 2
    assert server.value("k") == 1


# Error replies to a read: PyMongo retries a read once unless retryReads=false.


def test_sync_get_error_reply(server: MockServer) -> None:
    server.command_error("find", 10107, "not primary")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(NotPrimaryError) as caught:
            db.get("k", "default")
        assert error_code(caught.value) == 10107
        assert len(server.received("find")) == 1

        assert db.get("k", "default") == 1


def test_sync_get_retries_error_once(server: MockServer) -> None:
    server.command_error("find", 91, "The server is in quiesce mode and will shut down")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.get("k") == 1

    assert len(server.received("find")) == 2


def test_sync_get_second_error_raises(server: MockServer) -> None:
    server.command_error("find", 91, "The server is in quiesce mode and will shut down", times=2)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError) as caught:
            db.get("k", "default")
        assert error_code(caught.value) == 91
        assert len(server.received("find")) == 2

        assert db.get("k") == 1


async def test_async_get_error_reply(server: MockServer) -> None:
    server.command_error("find", 10107, "not primary")

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(NotPrimaryError) as caught:
            await db.get("k", "default")
        assert error_code(caught.value) == 10107
        assert len(server.received("find")) == 1

        assert await db.get("k", "default") == 1


async def test_async_get_retries_error_once(server: MockServer) -> None:
    server.command_error("find", 91, "The server is in quiesce mode and will shut down")

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert await db.get("k") == 1

    assert len(server.received("find")) == 2


# Connections dropped in the middle of an operation.


@pytest.mark.parametrize("method", METHODS)
def test_sync_hangup(server: MockServer, method: str) -> None:
    command = COMMANDS_OF[method]
    server.hang_up(command)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect) as caught:
            call_sync(db, method)
        assert type(caught.value) is AutoReconnect
        assert server.address in str(caught.value)
        assert len(server.received(command)) == 1

        server.put("k", 1)
        assert call_sync(db, method) == EXPECTED_RESULT[method]


@pytest.mark.parametrize("method", METHODS)
async def test_async_hangup(server: MockServer, method: str) -> None:
    command = COMMANDS_OF[method]
    server.hang_up(command)

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect) as caught:
            await call_async(db, method)
        assert type(caught.value) is AutoReconnect
        assert server.address in str(caught.value)
        assert len(server.received(command)) == 1

        server.put("k", 1)
        assert await call_async(db, method) == EXPECTED_RESULT[method]


def test_dispatch_hangup(server: MockServer) -> None:
    server.hang_up("find")

    with mongokv.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect):
            db.get("k", "default")
        assert db.get("k") == 1


async def test_dispatch_async_hangup(server: MockServer) -> None:
    server.hang_up("find")

    async with mongokv.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect):
            await db.get("k", "default")
        assert await db.get("k") == 1


def test_sync_get_survives_one_hangup(server: MockServer) -> None:
    server.hang_up("find")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.get("k") == 1

    assert len(server.received("find")) == 2


def test_sync_get_second_hangup_raises(server: MockServer) -> None:
    server.hang_up("find", times=2)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(AutoReconnect):
            db.get("k", "default")
        assert len(server.received("find")) == 2

        assert db.get("k") == 1


async def test_async_get_survives_one_hangup(server: MockServer) -> None:
    server.hang_up("find")

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert await db.get("k") == 1

    assert len(server.received("find")) == 2


# A first batch of all() that leaves a cursor open on the server, so all() sends getMore.
OPEN_CURSOR_REPLY: dict[str, Any] = {
    "ok": 1,
    "cursor": {"id": 42, "ns": NAMESPACE, "firstBatch": [{"_id": "k"}]},
}


def test_sync_all_hangup_mid_cursor(server: MockServer) -> None:
    server.fail("find", OPEN_CURSOR_REPLY)
    server.hang_up("getMore")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect) as caught:
            db.all()
        assert type(caught.value) is AutoReconnect
        assert len(server.received("getMore")) == 1

        assert db.all() == ["k"]


async def test_async_all_hangup_mid_cursor(server: MockServer) -> None:
    server.fail("find", OPEN_CURSOR_REPLY)
    server.hang_up("getMore")

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(AutoReconnect) as caught:
            await db.all()
        assert type(caught.value) is AutoReconnect
        assert len(server.received("getMore")) == 1

        assert await db.all() == ["k"]


# A server that replies too late.


def test_sync_set_times_out(server: MockServer) -> None:
    server.hold("update")

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **SOCKET_TIMEOUT) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout) as caught:
            db.set("k", 2)
        elapsed = time.monotonic() - started
        assert elapsed < TIMEOUT_BOUND_S
        assert "socketTimeoutMS: 300.0ms" in str(caught.value)
        assert len(server.received("update")) == 1

        assert server.release_held({"ok": 1, "n": 1, "nModified": 1}) == 1
        assert db.set("k", 3) == "k"
        assert db.get("k") == 3


def test_sync_get_ignores_late_reply(server: MockServer) -> None:
    server.hold("find")
    options = {**SOCKET_TIMEOUT, "retryReads": False}

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **options) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            db.get("k", "default")
        assert time.monotonic() - started < TIMEOUT_BOUND_S

        # The reply arrives after the client gave up on that connection: the next call
        # must read its own reply, never this stale one.
        stale = {"ok": 1, "cursor": {"id": 0, "ns": NAMESPACE, "firstBatch": [{"value": "stale"}]}}
        assert server.release_held(stale) == 1
        assert db.get("k") == 1


def test_sync_get_retries_timeout_once(server: MockServer) -> None:
    server.hold("find", times=2)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **SOCKET_TIMEOUT) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            db.get("k")
        assert time.monotonic() - started < TIMEOUT_BOUND_S
        assert len(server.received("find")) == 2

        assert db.get("k") == 1


def test_sync_get_timeout_ms(server: MockServer) -> None:
    server.hold("find")
    options = {**FAST_SELECTION, "timeoutMS": 300}

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **options) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout) as caught:
            db.get("k", "default")
        assert time.monotonic() - started < TIMEOUT_BOUND_S
        assert "timeoutMS: 300.0ms" in str(caught.value)
        # The first attempt used up the whole timeoutMS, which leaves no time for a retry.
        assert len(server.received("find")) == 1

        assert db.get("k") == 1


async def test_async_set_times_out(server: MockServer) -> None:
    server.hold("update")

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **SOCKET_TIMEOUT) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout) as caught:
            await db.set("k", 2)
        assert time.monotonic() - started < TIMEOUT_BOUND_S
        assert "socketTimeoutMS: 300.0ms" in str(caught.value)
        assert len(server.received("update")) == 1

        assert server.release_held({"ok": 1, "n": 1, "nModified": 1}) == 1
        assert await db.set("k", 3) == "k"
        assert await db.get("k") == 3


async def test_async_get_ignores_late_reply(server: MockServer) -> None:
    server.hold("find")
    options = {**SOCKET_TIMEOUT, "retryReads": False}

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **options) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            await db.get("k", "default")
        assert time.monotonic() - started < TIMEOUT_BOUND_S

        stale = {"ok": 1, "cursor": {"id": 0, "ns": NAMESPACE, "firstBatch": [{"value": "stale"}]}}
        assert server.release_held(stale) == 1
        assert await db.get("k") == 1


async def test_async_get_timeout_ms(server: MockServer) -> None:
    server.hold("find")
    options = {**FAST_SELECTION, "timeoutMS": 300}

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **options) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            await db.get("k", "default")
        assert time.monotonic() - started < TIMEOUT_BOUND_S
        assert len(server.received("find")) == 1

        assert await db.get("k") == 1


def test_dispatch_times_out(server: MockServer) -> None:
    server.hold("update")

    with mongokv.Mkv(server.uri, DB, COLLECTION, **SOCKET_TIMEOUT) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            db.set("k", 2)
        assert time.monotonic() - started < TIMEOUT_BOUND_S

        assert db.set("k", 3) == "k"
        assert db.get("k") == 3


async def test_dispatch_async_times_out(server: MockServer) -> None:
    server.hold("update")

    async with mongokv.Mkv(server.uri, DB, COLLECTION, **SOCKET_TIMEOUT) as db:
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            await db.set("k", 2)
        assert time.monotonic() - started < TIMEOUT_BOUND_S

        assert await db.set("k", 3) == "k"
        assert await db.get("k") == 3


# Retryable writes on a replica set primary: one failover error is retried transparently.


def test_sync_set_retries_failover(rs_server: MockServer) -> None:
    rs_server.command_error(
        "update", 10107, "not primary", labels=("RetryableWriteError",), times=1
    )

    with mongokv.sync.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.set("k", 2) == "k"
        assert db.get("k") == 2

    (_, first), (_, retry) = rs_server.received("update")
    # The retry is the same write: same session and transaction number, so a server that
    # applied the first attempt would not apply it twice.
    assert retry["lsid"] == first["lsid"]
    assert retry["txnNumber"] == first["txnNumber"]


def test_sync_set_second_failover_raises(rs_server: MockServer) -> None:
    rs_server.command_error(
        "update", 10107, "not primary", labels=("RetryableWriteError",), times=2
    )

    with mongokv.sync.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError) as caught:
            db.set("k", 2)
        assert error_code(caught.value) == 10107
        assert len(rs_server.received("update")) == 2

        assert db.set("k", 3) == "k"
    assert rs_server.value("k") == 3


def test_sync_set_survives_one_hangup(rs_server: MockServer) -> None:
    rs_server.hang_up("update")

    with mongokv.sync.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.set("k", 2) == "k"

    assert len(rs_server.received("update")) == 2
    assert rs_server.value("k") == 2


def test_sync_set_write_conflict_not_retried(rs_server: MockServer) -> None:
    rs_server.command_error("update", 112, "WriteConflict error: this operation conflicted")

    with mongokv.sync.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(OperationFailure) as caught:
            db.set("k", 2)
        assert type(caught.value) is OperationFailure
        assert caught.value.code == 112
        assert len(rs_server.received("update")) == 1

        assert db.set("k", 3) == "k"


async def test_async_set_retries_failover(rs_server: MockServer) -> None:
    rs_server.command_error(
        "update", 10107, "not primary", labels=("RetryableWriteError",), times=1
    )

    async with mongokv.aio.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert await db.set("k", 2) == "k"
        assert await db.get("k") == 2

    (_, first), (_, retry) = rs_server.received("update")
    assert retry["lsid"] == first["lsid"]
    assert retry["txnNumber"] == first["txnNumber"]


async def test_async_set_second_failover_raises(rs_server: MockServer) -> None:
    rs_server.command_error(
        "update", 10107, "not primary", labels=("RetryableWriteError",), times=2
    )

    async with mongokv.aio.Mkv(rs_server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        with pytest.raises(NotPrimaryError):
            await db.set("k", 2)
        assert len(rs_server.received("update")) == 2

        assert await db.set("k", 3) == "k"
    assert rs_server.value("k") == 3


# Keys are data, never query syntax.

TRICKY_KEYS = [
    '{"$gt": ""}',
    "{'$gt': ''}",
    "$gt",
    "$where",
    "$regex",
    ".*",
    "^.*$",
    "^a",
    "a.*",
    "a.b",
    "[a-z]+",
    "this.value == 1",
]

# Documents that a key used as a filter, an operator or a pattern would match.
BYSTANDERS: list[dict[str, Any]] = [
    {"_id": "a", "value": 1},
    {"_id": "ab", "value": 2},
    {"_id": "a.b.c", "value": 3},
    {"_id": "b", "value": {"a": {"b": 4}}},
    {"_id": "", "value": 5},
]


def id_condition(query: dict[str, Any]) -> Any:
    """Return the condition on ``_id`` in ``query``, looking inside ``$and`` clauses."""
    if "_id" in query:
        return query["_id"]
    for clause in query.get("$and", []):
        condition = id_condition(clause)
        if condition is not None:
            return condition
    return None


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_sync_tricky_key_isolated(
    key: str, mongodb_uri: str, collection_name: str, raw_collection: Any
) -> None:
    raw_collection.insert_many([dict(document) for document in BYSTANDERS])

    with mongokv.sync.Mkv(mongodb_uri, TEST_DB, collection_name) as db:
        with pytest.raises(KeyError):
            db.get(key)
        assert db.get(key, "default") == "default"
        assert db.remove(key) is False
        assert raw_collection.count_documents({}) == len(BYSTANDERS)

        assert db.set(key, "mine") == key
        assert raw_collection.count_documents({}) == len(BYSTANDERS) + 1
        assert raw_collection.find_one({"_id": {"$eq": key}}) == {"_id": key, "value": "mine"}
        assert db.get(key) == "mine"
        assert sorted(db.all()) == sorted([document["_id"] for document in BYSTANDERS] + [key])

        assert db.remove(key) is True
        remaining = list(raw_collection.find({}).sort("_id", 1))
        assert remaining == sorted(BYSTANDERS, key=lambda document: str(document["_id"]))


@pytest.mark.parametrize("key", TRICKY_KEYS)
async def test_async_tricky_key_isolated(
    key: str, mongodb_uri: str, collection_name: str, raw_collection: Any
) -> None:
    raw_collection.insert_many([dict(document) for document in BYSTANDERS])

    async with mongokv.aio.Mkv(mongodb_uri, TEST_DB, collection_name) as db:
        with pytest.raises(KeyError):
            await db.get(key)
        assert await db.remove(key) is False
        assert raw_collection.count_documents({}) == len(BYSTANDERS)

        assert await db.set(key, "mine") == key
        assert raw_collection.count_documents({}) == len(BYSTANDERS) + 1
        assert await db.get(key) == "mine"

        assert await db.remove(key) is True
        assert raw_collection.count_documents({}) == len(BYSTANDERS)
        assert await db.get("a") == 1


# Objects whose str() looks like query syntax, and the key each one is stored under.
OBJECT_KEYS = [
    pytest.param({"$gt": ""}, "{'$gt': ''}", id="operator-dict"),
    pytest.param({"$where": "true"}, "{'$where': 'true'}", id="where-dict"),
    pytest.param(re.compile("^a"), "re.compile('^a')", id="compiled-pattern"),
    pytest.param(Regex("^a"), "Regex('^a', 0)", id="bson-regex"),
]


@pytest.mark.parametrize(("key", "stored_as"), OBJECT_KEYS)
def test_dispatch_object_key_isolated(
    key: Any, stored_as: str, mongodb_uri: str, collection_name: str, raw_collection: Any
) -> None:
    raw_collection.insert_many([dict(document) for document in BYSTANDERS])

    with mongokv.Mkv(mongodb_uri, TEST_DB, collection_name) as db:
        with pytest.raises(KeyError):
            db.get(key)
        assert db.remove(key) is False
        assert raw_collection.count_documents({}) == len(BYSTANDERS)

        assert db.set(key, "mine") == stored_as
        assert raw_collection.count_documents({"_id": stored_as}) == 1
        assert db.get(stored_as) == "mine"
        assert db.remove(key) is True
        assert raw_collection.count_documents({}) == len(BYSTANDERS)


WIRE_KEYS = [pytest.param(key, key, id=key) for key in TRICKY_KEYS] + OBJECT_KEYS


@pytest.mark.parametrize(("key", "stored_as"), WIRE_KEYS)
def test_sync_tricky_key_on_wire(server: MockServer, key: Any, stored_as: str) -> None:
    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **FAST_SELECTION) as db:
        assert db.set(key, "mine") == stored_as
        assert db.get(key) == "mine"
        assert db.remove(key) is True

    ((_, update),) = server.received("update")
    ((_, find),) = server.received("find")
    ((remove_command, remove),) = server.received(REMOVE_COMMANDS)
    remove_query = remove["deletes"][0]["q"] if remove_command == "delete" else remove["query"]
    for query in (update["updates"][0]["q"], find["filter"], remove_query):
        condition = id_condition(query)
        assert type(condition) is str
        assert condition == stored_as
    assert update["updates"][0]["u"]["_id"] == stored_as
    assert server.value("k") == 1


# Batch writes: a failure in the middle of set_many leaves the statements before it written,
# as the README documents, and raises PyMongo's BulkWriteError with the details.


def test_sync_set_many_partial_failure(server: MockServer) -> None:
    partial_reply = {
        "ok": 1,
        "n": 1,
        "nModified": 0,
        "upserted": [{"index": 0, "_id": "a"}],
        "writeErrors": [{"index": 1, "code": 2, "errmsg": "BadValue from the server"}],
    }
    server.fail("update", partial_reply)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(BulkWriteError) as caught:
            db.set_many({"a": 1, "b": 2})

        details = caught.value.details
        assert details["nUpserted"] == 1
        assert [error["index"] for error in details["writeErrors"]] == [1]
        assert details["writeErrors"][0]["code"] == 2
        assert len(server.received("update")) == 1

        # The same store works again once the server replies normally.
        db.set_many({"c": 3})
        assert server.value("c") == 3


async def test_async_set_many_partial_failure(server: MockServer) -> None:
    server.fail(
        "update",
        {"ok": 1, "n": 0, "nModified": 0, "writeErrors": [{"index": 0, "code": 2, "errmsg": "x"}]},
    )

    async with mongokv.aio.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        with pytest.raises(BulkWriteError) as caught:
            await db.set_many({"a": 1})

        assert caught.value.details["nUpserted"] == 0
        assert caught.value.details["writeErrors"][0]["index"] == 0
        await db.set_many({"c": 3})
        assert server.value("c") == 3


def test_sync_set_many_retries_collided_upserts(server: MockServer) -> None:
    # A concurrent upsert inserted "b" first: only that statement is sent again.
    collided = {
        "ok": 1,
        "n": 1,
        "nModified": 0,
        "upserted": [{"index": 0, "_id": "a"}],
        "writeErrors": [{"index": 1, "code": 11000, "errmsg": "E11000 duplicate key"}],
    }
    server.fail("update", collided)

    with mongokv.sync.Mkv(server.uri, DB, COLLECTION, **NO_RETRIES) as db:
        db.set_many({"a": 1, "b": 2})

    updates = server.received("update")
    assert len(updates) == 2
    retried = updates[1][1]["updates"]
    assert [statement["q"] for statement in retried] == [{"_id": "b"}]
    assert server.value("b") == 2
