"""A password in the URI never shows in repr, log records or error messages."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from mongokv import Mkv

URI = "mongodb://alice:pa%24%24word-s3cret@127.0.0.1:9/?authSource=admin"
SECRET = "s3cret"


def test_repr_redacts_password() -> None:
    store = Mkv(URI)

    assert SECRET not in repr(store)
    assert SECRET not in repr(store.sync)
    assert SECRET not in repr(store.aio)
    assert "alice:***@127.0.0.1:9" in repr(store)


def test_logs_and_errors_redact_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mongokv")
    store = Mkv(URI, serverSelectionTimeoutMS=200)

    with pytest.raises(ServerSelectionTimeoutError) as sync_error:
        store.get("k")

    async def use_async() -> None:
        await store.get("k")

    with pytest.raises(ServerSelectionTimeoutError) as async_error:
        asyncio.run(use_async())
    store.close()

    assert SECRET not in str(sync_error.value)
    assert SECRET not in str(async_error.value)
    messages = [record.getMessage() for record in caplog.records if record.name == "mongokv"]
    assert any("Created MongoClient" in message for message in messages)
    assert any("Created AsyncMongoClient" in message for message in messages)
    assert any("alice:***@127.0.0.1:9" in message for message in messages)
    assert all(SECRET not in message for message in messages)
