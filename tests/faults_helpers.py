"""A scripted MockupDB server on 127.0.0.1 that plays a MongoDB server for fault tests.

The server replies to the hello handshake and to heartbeats by itself. Every other command is
served from a small in-memory table of documents, unless the test queued a fault for that
command: an error reply, a dropped connection, or a reply held back until the test releases
it. All replies are sent from MockupDB's connection threads, so a test never calls
the blocking ``MockupDB.receives()`` and the same server serves sync and async clients.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
from collections.abc import Callable
from typing import Any, TypeAlias

from mockupdb import MockupDB

__all__ = ["MOCK_WIRE_VERSION", "REPLICA_SET_NAME", "MockServer"]

# MongoDB 7.0 reports maxWireVersion 21. tests/test_faults.py checks that the installed
# PyMongo supports it, because PyMongo rejects a server outside its supported range.
MOCK_WIRE_VERSION = 21

REPLICA_SET_NAME = "rs0"

# MockupDB.stop() waits up to 1 s for its accept thread, so tests share one server per module
# and call reset() between tests.

_HANDSHAKE_COMMANDS = frozenset({"hello", "ismaster"})

Fault = Callable[[Any], None]

# One command name, or several when the test accepts any of them: remove() may send
# ``delete`` or ``findAndModify``, depending on how mongoKV implements it.
Commands: TypeAlias = str | tuple[str, ...]


def _names(commands: Commands) -> tuple[str, ...]:
    return (commands,) if isinstance(commands, str) else commands


def _send(request: Any, *args: Any, **kwargs: Any) -> None:
    """Reply to ``request``, ignoring a connection that the client has closed already."""
    with contextlib.suppress(OSError):
        request.replies(*args, **kwargs)


class MockServer:
    """A MockupDB server with queued faults per command name and a table of documents.

    ``replica_set=True`` makes it a one-member replica set primary that supports sessions,
    so PyMongo retries writes as it does against a real replica set. Otherwise it is a
    standalone server without sessions, where PyMongo never retries a write.
    """

    def __init__(self, *, replica_set: bool = False) -> None:
        self.replica_set = replica_set
        self._mock: Any = MockupDB(port=0)
        self._lock = threading.Lock()
        # Queued faults in order, each with the command names it applies to.
        self._faults: list[tuple[tuple[str, ...], Fault]] = []
        self._received: list[tuple[str, dict[str, Any]]] = []
        self._held_requests: list[Any] = []
        self._documents: dict[str, dict[str, Any]] = {}
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def uri(self) -> str:
        if self.replica_set:
            return f"mongodb://{self.address}/?replicaSet={REPLICA_SET_NAME}"
        return f"mongodb://{self.address}"

    def start(self) -> None:
        """Start listening on a free port of 127.0.0.1 and reply to every request."""
        self._mock.autoresponds(self._handle)
        self.port = int(self._mock.run())
        # MockupDB binds "localhost" resolved for IPv4 only, which must be 127.0.0.1.
        bound_host = self._mock._listening_sock.getsockname()[0]
        if bound_host != "127.0.0.1":
            self._mock.stop()
            raise RuntimeError(f"MockupDB bound {bound_host}, expected 127.0.0.1")

    def stop(self) -> None:
        self._mock.stop()

    def reset(self) -> None:
        """Forget the faults, held requests, received commands and documents."""
        with self._lock:
            self._faults.clear()
            self._received.clear()
            self._held_requests.clear()
            self._documents.clear()

    def put(self, key: str, value: Any) -> None:
        """Store a document directly, as if an earlier client had written it."""
        with self._lock:
            self._documents[key] = {"_id": key, "value": value}

    def value(self, key: str) -> Any:
        """Return the value stored under ``key``, or raise KeyError when it is absent."""
        with self._lock:
            return self._documents[key]["value"]

    def received(self, commands: Commands) -> list[tuple[str, dict[str, Any]]]:
        """Return the name and body of each request of ``commands`` so far, oldest first."""
        names = _names(commands)
        with self._lock:
            return [(name, body) for name, body in self._received if name in names]

    def fail(self, commands: Commands, reply: dict[str, Any], times: int = 1) -> None:
        """Reply to the next ``times`` requests of ``commands`` with ``reply``."""
        self._queue(commands, times, lambda request: _send(request, dict(reply)))

    def command_error(
        self,
        commands: Commands,
        code: int,
        errmsg: str,
        *,
        labels: tuple[str, ...] = (),
        times: int = 1,
    ) -> None:
        """Reply to the next ``times`` requests of ``commands`` with ``{"ok": 0, "code": code}``.

        ``labels`` become ``errorLabels``. MongoDB 4.4 and later label retryable errors
        themselves, and PyMongo retries a write after an error reply only when the reply
        carries the ``RetryableWriteError`` label.
        """
        reply: dict[str, Any] = {"ok": 0, "code": code, "errmsg": errmsg}
        if labels:
            reply["errorLabels"] = list(labels)
        self.fail(commands, reply, times)

    def hang_up(self, commands: Commands, times: int = 1) -> None:
        """Close the connection on the next ``times`` requests of ``commands``, unanswered."""

        def close_connection(request: Any) -> None:
            with contextlib.suppress(OSError):
                request.hangup()

        self._queue(commands, times, close_connection)

    def hold(self, commands: Commands, times: int = 1) -> None:
        """Leave the next ``times`` requests of ``commands`` unanswered until release_held()."""

        def keep(request: Any) -> None:
            with self._lock:
                self._held_requests.append(request)

        self._queue(commands, times, keep)

    def release_held(self, reply: dict[str, Any]) -> int:
        """Reply late to every held request with ``reply`` and return how many there were."""
        with self._lock:
            held_requests, self._held_requests = self._held_requests, []
        for request in held_requests:
            _send(request, dict(reply))
        return len(held_requests)

    def _queue(self, commands: Commands, times: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([(_names(commands), fault)] * times)

    def _take_fault(self, name: str) -> Fault | None:
        """Remove and return the first queued fault for command ``name``, under self._lock."""
        for index, (names, fault) in enumerate(self._faults):
            if name in names:
                del self._faults[index]
                return fault
        return None

    def _hello_reply(self) -> dict[str, Any]:
        reply: dict[str, Any] = {
            "ismaster": True,
            "isWritablePrimary": True,
            "helloOk": True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "localTime": datetime.datetime.now(datetime.timezone.utc),
            "minWireVersion": 0,
            "maxWireVersion": MOCK_WIRE_VERSION,
        }
        if self.replica_set:
            reply.update(
                setName=REPLICA_SET_NAME,
                setVersion=1,
                hosts=[self.address],
                primary=self.address,
                me=self.address,
                logicalSessionTimeoutMinutes=30,
            )
        return reply

    def _handle(self, request: Any) -> bool:
        """Reply to one request, on the MockupDB thread of the request's connection."""
        name = str(request.command_name)
        if name.lower() in _HANDSHAKE_COMMANDS:
            _send(request, self._hello_reply())
            return True
        if name == "endSessions":
            _send(request, {"ok": 1})
            return True

        with self._lock:
            self._received.append((name, dict(request.doc)))
            fault = self._take_fault(name)

        if fault is not None:
            fault(request)
        else:
            _send(request, self._serve(name, request.doc))
        return True

    def _serve(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._lock:
                if name == "update":
                    return self._update(body["updates"])
                if name == "find":
                    return self._find(body)
                if name == "delete":
                    return self._delete(body["deletes"])
                if name == "findAndModify":
                    return self._find_and_modify(body)
        except UnsupportedQueryError as exc:
            # Code 2 is BadValue. The error message shows the query that the mock cannot evaluate.
            return {"ok": 0, "code": 2, "errmsg": str(exc)}
        return {"ok": 0, "code": 59, "errmsg": f"MockServer does not implement {name!r}"}

    def _update(self, updates: list[dict[str, Any]]) -> dict[str, Any]:
        # mongoKV's set() sends one replacement upsert per command.
        statement = updates[0]
        replacement = statement["u"]
        if not isinstance(replacement, dict) or any(
            field.startswith("$") for field in replacement
        ):
            raise UnsupportedQueryError(
                f"MockServer replaces whole documents only: {replacement!r}"
            )

        matches = [doc for doc in self._documents.values() if matches_query(doc, statement["q"])]
        if matches:
            key = matches[0]["_id"]
            self._documents[key] = dict(replacement, _id=key)
            return {"ok": 1, "n": 1, "nModified": 1}
        if not statement.get("upsert"):
            return {"ok": 1, "n": 0, "nModified": 0}

        key = replacement.get("_id", statement["q"].get("_id"))
        if not isinstance(key, str):
            raise UnsupportedQueryError(f"MockServer inserts string _id values only: {key!r}")
        if key in self._documents:
            error = {"index": 0, "code": 11000, "errmsg": f"E11000 duplicate key: {key!r}"}
            return {"ok": 1, "n": 0, "nModified": 0, "writeErrors": [error]}
        self._documents[key] = dict(replacement, _id=key)
        return {"ok": 1, "n": 1, "nModified": 0, "upserted": [{"index": 0, "_id": key}]}

    def _find(self, body: dict[str, Any]) -> dict[str, Any]:
        query = body.get("filter", {})
        matches = [doc for doc in self._documents.values() if matches_query(doc, query)]
        limit = abs(int(body.get("limit", 0)))
        if limit:
            matches = matches[:limit]

        projection = body.get("projection")
        batch = [_project(document, projection) for document in matches]
        namespace = f"{body['$db']}.{body['find']}"
        return {"ok": 1, "cursor": {"id": 0, "ns": namespace, "firstBatch": batch}}

    def _delete(self, deletes: list[dict[str, Any]]) -> dict[str, Any]:
        statement = deletes[0]
        matches = [doc for doc in self._documents.values() if matches_query(doc, statement["q"])]
        if statement.get("limit") == 1:
            matches = matches[:1]
        for document in matches:
            del self._documents[document["_id"]]
        return {"ok": 1, "n": len(matches)}

    def _find_and_modify(self, body: dict[str, Any]) -> dict[str, Any]:
        # Only the deleting form, {"remove": true}, as find_one_and_delete() sends it.
        if not body.get("remove"):
            raise UnsupportedQueryError(
                f"MockServer supports findAndModify with remove only: {body}"
            )
        query = body.get("query", {})
        matches = [doc for doc in self._documents.values() if matches_query(doc, query)]
        if not matches:
            return {"ok": 1, "value": None, "lastErrorObject": {"n": 0}}
        document = self._documents.pop(matches[0]["_id"])
        value = _project(document, body.get("fields"))
        return {"ok": 1, "value": value, "lastErrorObject": {"n": 1}}


class UnsupportedQueryError(Exception):
    """Raised for a query that the mock cannot evaluate, such as ``$expr`` or ``$regex``."""


_ABSENT = object()

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda value, operand: value > operand,
    "$gte": lambda value, operand: value >= operand,
    "$lt": lambda value, operand: value < operand,
    "$lte": lambda value, operand: value <= operand,
}


def matches_query(document: dict[str, Any], query: dict[str, Any]) -> bool:
    """Evaluate the subset of MongoDB's query language that mongoKV's queries use.

    Supported: ``$and``, ``$or``, equality on a top-level field (``None`` also matches a
    missing field), ``$in``, ``$gt``, ``$gte``, ``$lt`` and ``$lte``. Anything else raises
    UnsupportedQueryError, so a query the mock does not understand never passes silently.
    """
    for field, condition in query.items():
        if field == "$and":
            if not all(matches_query(document, clause) for clause in condition):
                return False
        elif field == "$or":
            if not any(matches_query(document, clause) for clause in condition):
                return False
        elif field.startswith("$") or "." in field:
            raise UnsupportedQueryError(f"MockServer cannot evaluate {field!r} in {query!r}")
        elif not _matches_condition(document.get(field, _ABSENT), condition):
            return False
    return True


def _matches_condition(value: Any, condition: Any) -> bool:
    is_operator_document = (
        isinstance(condition, dict)
        and condition
        and all(isinstance(name, str) and name.startswith("$") for name in condition)
    )
    if not is_operator_document:
        if condition is None:
            return value is _ABSENT or value is None
        return value is not _ABSENT and type(value) is type(condition) and value == condition

    for operator, operand in condition.items():
        if operator == "$in":
            if not any(_matches_condition(value, candidate) for candidate in operand):
                return False
        elif operator in _COMPARISONS:
            # MongoDB compares values of the same type only, as here.
            if value is _ABSENT or type(value) is not type(operand):
                return False
            if not _COMPARISONS[operator](value, operand):
                return False
        else:
            raise UnsupportedQueryError(f"MockServer cannot evaluate {operator!r}")
    return True


def _project(document: dict[str, Any], projection: dict[str, Any] | None) -> dict[str, Any]:
    if not projection:
        return dict(document)
    projected = {
        field: document[field] for field, keep in projection.items() if keep and field in document
    }
    if projection.get("_id", True):
        projected["_id"] = document["_id"]
    return projected
