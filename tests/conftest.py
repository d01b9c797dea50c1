"""Fixtures shared by every test: one server per session, one fresh collection per test."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
TEST_DB = "mongokv_test"


def _load_local_server() -> Any:
    spec = importlib.util.spec_from_file_location(
        "local_server", ROOT / "scripts" / "local_server.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


local_server = _load_local_server()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("MONGODB_URI"):
        return
    skip = pytest.mark.skip(reason="needs a real MongoDB server: set MONGODB_URI")
    for item in items:
        if "real_mongodb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """``MONGODB_URI`` when set, otherwise a new nx-27017 server on a free loopback port."""
    with local_server.mongodb_uri() as uri:
        yield uri


@pytest.fixture(scope="session")
def admin_client(mongodb_uri: str) -> Iterator[MongoClient[dict[str, Any]]]:
    """A plain PyMongo client, to check what mongoKV stored and to clean up."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture
def collection_name(admin_client: MongoClient[dict[str, Any]]) -> Iterator[str]:
    """A collection name that no other test uses, dropped after the test."""
    name = f"kv_{uuid.uuid4().hex[:12]}"
    yield name
    admin_client[TEST_DB].drop_collection(name)


@pytest.fixture
def raw_collection(admin_client: MongoClient[dict[str, Any]], collection_name: str) -> Any:
    """The test's collection through plain PyMongo."""
    return admin_client[TEST_DB][collection_name]
