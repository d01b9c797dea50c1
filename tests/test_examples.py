"""The examples run unchanged against the test server and print the expected values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.conftest import ROOT, local_server

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def run_example(name: str, mongodb_uri: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        env={**os.environ, "MONGODB_URI": mongodb_uri},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def example_uri() -> Iterator[str]:
    """Start a server of its own, even when MONGODB_URI is set.

    The examples write to the "mkv" database, which on a real server may contain real data.
    """
    with local_server.local_server() as uri:
        yield uri


@pytest.fixture
def mongodb_uri(example_uri: str) -> str:
    """The example server, with the examples' database dropped before each test."""
    client: MongoClient[dict[str, object]] = MongoClient(example_uri)
    client.drop_database("mkv")
    client.close()
    return example_uri


def test_quickstart_sync(mongodb_uri: str) -> None:
    lines = run_example("quickstart_sync.py", mongodb_uri)

    assert len(lines) == 3
    assert lines[0] == "harrison"
    assert OBJECT_ID.match(lines[1])
    assert lines[2] == str(["username", lines[1]])


def test_quickstart_async(mongodb_uri: str) -> None:
    lines = run_example("quickstart_async.py", mongodb_uri)

    assert len(lines) == 3
    new_id = lines[0].removeprefix("New id: ")
    assert OBJECT_ID.match(new_id)
    assert lines[1] == f"Keys: {['counter', new_id]}"
    assert lines[2] == "Deleted: True"


def test_quickstart_explicit(mongodb_uri: str) -> None:
    lines = run_example("quickstart_explicit.py", mongodb_uri)

    assert lines[0] == "sync: set username -> username"
    assert lines[1] == "sync: get username -> harrison"
    assert lines[5] == "sync: purge -> True"
    assert lines[6:] == [
        "async: set counter -> counter",
        "async: get counter -> 1",
        "async: counter after increment -> 2",
        "async: all -> ['counter']",
        "async: remove counter -> True",
        "async: purge -> True",
    ]


def test_features(mongodb_uri: str) -> None:
    lines = run_example("features.py", mongodb_uri)

    assert lines == [
        "ttl of session:1 (about 60 s) -> 60",
        "persist session:1 -> True then ttl -> None",
        "incr visits -> 1 11",
        "add lock (absent) -> True",
        "add lock (present) -> False holder: worker-1",
        "compare_and_set lock -> True",
        "get_many -> {'user:1': 'name 1', 'user:3': 'name 3'}",
        "keys with prefix user: -> ['user:1', 'user:2', 'user:3']",
        "count -> 6 of which user: -> 3",
        "remove_many -> 2",
        "pop lock -> worker-3 then 'lock' in db -> False",
    ]


def test_examples_folder_is_covered() -> None:
    names = sorted(path.name for path in Path(ROOT / "examples").glob("*.py"))

    assert names == [
        "features.py",
        "quickstart_async.py",
        "quickstart_explicit.py",
        "quickstart_sync.py",
    ]
