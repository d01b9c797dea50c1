"""The key-value store over one MongoDB collection, written once for both sides."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from .. import _queries as queries
from .._clients import AsyncClientManager
from .._errors import WrongTypeError
from .._expiry import EXPIRES_AT, expiry_from_ttl, is_expired, now, remaining_seconds
from .._keys import new_key, normalize_key, normalize_keys
from .._mapping import AsyncMappingMethods
from .._missing import MISSING
from .._settings import ClientSettings
from .._streams import AsyncResultStream
from .._values import check_number, encode_entry, encode_update

__all__ = ["AsyncMkv"]

# Upserts of one key can collide with a concurrent insert or with an expired document that
# still uses the key. Each collision removes its cause, so a few attempts always suffice.
_UPSERT_ATTEMPTS = 3

# MongoDB's error code for an update operator applied to a field of the wrong type.
_TYPE_MISMATCH = 14

# Keys per query in get_many and remove_many, so the $in list stays far below the 16 MiB
# command limit even for long keys.
_KEYS_PER_QUERY = 10_000


class AsyncMkv(AsyncMappingMethods):
    """A key-value store over one MongoDB collection, one document per key.

    Each key is stored as ``{"_id": str(key), "value": value}``, so the collection stays
    an ordinary one that PyMongo can read at any time. The PyMongo client is created on
    first use, and extra keyword arguments are passed to it as client options.
    """

    def __init__(
        self,
        mongo_uri: str | None = None,
        db_name: str = "mkv",
        collection_name: str = "kv",
        *,
        client: Any = None,
        **client_options: Any,
    ) -> None:
        settings = ClientSettings.build(
            mongo_uri, db_name, collection_name, client, client_options
        )
        self._init(settings, AsyncClientManager(settings))

    def _init(self, settings: ClientSettings, clients: AsyncClientManager) -> None:
        self._settings = settings
        self._clients = clients
        self._ttl_index_ready = False

    @classmethod
    def _from_settings(cls, settings: ClientSettings) -> AsyncMkv:
        store = cls.__new__(cls)
        store._init(settings, AsyncClientManager(settings))
        return store

    def __repr__(self) -> str:
        settings = self._settings
        return (
            f"{type(self).__name__}({settings.redacted_uri()!r}, "
            f"db_name={settings.db_name!r}, collection_name={settings.collection_name!r})"
        )

    def namespace(self, collection_name: str) -> AsyncMkv:
        """Return a store on another collection of the same database, sharing the clients.

        The new store never closes the shared clients: closing this store does.
        """
        settings = self._settings.with_collection(collection_name)
        store = type(self).__new__(type(self))
        store._init(settings, self._clients.borrow(settings))
        return store

    @property
    def collection(self) -> AsyncCollection[dict[str, Any]]:
        """The PyMongo collection that stores the data, for queries beyond key-value."""
        return self._clients.collection()

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        """The PyMongo database that contains the collection."""
        return self._clients.collection().database

    @property
    def client(self) -> AsyncMongoClient[dict[str, Any]]:
        """The PyMongo client that this store uses in the calling context."""
        return self._clients.collection().database.client

    # Single keys.

    async def set(self, key: Any, value: Any, *, ttl: Any = None) -> str:
        """Store ``value`` under ``key`` and return the key as stored.

        ``key=None`` generates a new ObjectId key. Setting an existing key replaces its value
        and its expiry: without ``ttl`` the key no longer expires, as with Redis ``SET``.
        ``ttl`` is seconds (int or float) or a ``timedelta``. A value that MongoDB cannot
        store raises :class:`~mongokv.InvalidValueError` before anything is sent.
        """
        key_id = new_key() if key is None else normalize_key(key)
        expires_at = None if ttl is None else expiry_from_ttl(ttl)
        collection = self._clients.collection()
        document = encode_entry(key_id, value, expires_at, collection.codec_options)

        if expires_at is not None:
            await self._ensure_ttl_index(collection)
        try:
            await collection.replace_one({"_id": key_id}, document, upsert=True)
        except DuplicateKeyError:
            # Two upserts of a new key raced and the other one inserted first. The document
            # exists now, so a second attempt replaces it.
            await collection.replace_one({"_id": key_id}, document, upsert=True)
        return key_id

    async def get(self, key: Any, default: Any = MISSING) -> Any:
        """Return the value stored under ``key``.

        A missing or expired key raises ``KeyError(key)``, unless ``default`` is given
        (``None`` included), which is then returned. Server and connection errors are raised,
        never replaced by the default.
        """
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = await collection.find_one({"_id": key_id}, queries.VALUE_AND_EXPIRY)
        if document is None or (EXPIRES_AT in document and is_expired(document)):
            if default is MISSING:
                raise KeyError(key)
            return default
        return document.get("value")

    async def remove(self, key: Any) -> bool:
        """Delete ``key`` and return whether it existed; an expired key counts as absent."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        # Deleting an expired document that the TTL monitor has not reached yet is harmless,
        # and the returned expiry shows whether the key still existed.
        document = await collection.find_one_and_delete(
            {"_id": key_id}, projection=queries.EXPIRY_ONLY
        )
        return document is not None and not is_expired(document)

    async def exists(self, key: Any) -> bool:
        """Return whether ``key`` has a value that has not expired."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = await collection.find_one({"_id": key_id}, queries.EXPIRY_ONLY)
        return document is not None and not is_expired(document)

    # Expiry.

    async def expire(self, key: Any, ttl: Any) -> bool:
        """Make ``key`` expire ``ttl`` from now and return whether the key existed."""
        key_id = normalize_key(key)
        expires_at = expiry_from_ttl(ttl)
        collection = self._clients.collection()

        await self._ensure_ttl_index(collection)
        result = await collection.update_one(
            queries.live_key(key_id, now()), {"$set": {EXPIRES_AT: expires_at}}
        )
        return result.matched_count == 1

    async def ttl(self, key: Any) -> float | None:
        """Return the seconds until ``key`` expires, or None if it never does.

        A missing or expired key raises ``KeyError(key)``.
        """
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = await collection.find_one({"_id": key_id}, queries.EXPIRY_ONLY)
        if document is None or is_expired(document):
            raise KeyError(key)
        return remaining_seconds(document.get(EXPIRES_AT), now())

    async def persist(self, key: Any) -> bool:
        """Remove the expiry of ``key`` and return whether it had one to remove."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        moment = now()
        result = await collection.update_one(
            {"$and": [{"_id": key_id}, {EXPIRES_AT: {"$gt": moment}}]},
            {"$unset": {EXPIRES_AT: ""}},
        )
        return result.matched_count == 1

    # Atomic operations: each one a single command on the server.

    async def incr(self, key: Any, amount: int | float = 1) -> int | float:
        """Add ``amount`` to the number under ``key`` and return the new value.

        A missing or expired key starts from 0. A stored value that is not a number raises
        :class:`~mongokv.WrongTypeError` and stays unchanged. The key keeps its expiry.
        """
        key_id = normalize_key(key)
        check_number(key_id, amount)
        collection = self._clients.collection()

        document = await self._upsert(
            collection, key_id, {"$inc": {"value": amount}}, ReturnDocument.AFTER
        )
        if document is None or "value" not in document:
            # NOTE: MongoDB always returns the document of an upsert, and reports a stored
            # value that is not a number as an error, handled in _upsert. Only a server that
            # breaks that contract reaches this line, so the message states only what is known.
            raise WrongTypeError(
                f"Cannot add to key {key_id!r}: the server applied the increment to no "
                "document and returned none, as some MongoDB-compatible servers do when the "
                "stored value is not a number."
            )
        result: int | float = document["value"]
        return result

    async def decr(self, key: Any, amount: int | float = 1) -> int | float:
        """Subtract ``amount`` from the number under ``key``; see :meth:`incr`."""
        check_number(normalize_key(key), amount)
        return await self.incr(key, -amount)

    async def add(self, key: Any, value: Any, *, ttl: Any = None) -> bool:
        """Store ``value`` only if ``key`` is absent or expired; return whether it did."""
        key_id = normalize_key(key)
        expires_at = None if ttl is None else expiry_from_ttl(ttl)
        collection = self._clients.collection()
        document = encode_entry(key_id, value, expires_at, collection.codec_options)

        if expires_at is not None:
            await self._ensure_ttl_index(collection)
        try:
            # Matches only an expired document, which is replaced. A live document makes the
            # upsert collide with its _id, so the key stays as it was.
            await collection.replace_one(queries.expired_key(key_id, now()), document, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def setdefault(self, key: Any, default: Any = None) -> Any:
        """Return the value of ``key``, storing ``default`` first if the key is absent."""
        key_id = normalize_key(key)
        collection = self._clients.collection()
        update = encode_update(key_id, "$setOnInsert", default, collection.codec_options)

        document = await self._upsert(collection, key_id, update, ReturnDocument.AFTER)
        if document is None:
            return default
        return document.get("value")

    async def pop(self, key: Any, default: Any = MISSING) -> Any:
        """Delete ``key`` and return its value; ``default`` or ``KeyError`` if it is absent."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = await collection.find_one_and_delete(
            {"_id": key_id}, projection=queries.VALUE_AND_EXPIRY
        )
        if document is None or is_expired(document):
            if default is MISSING:
                raise KeyError(key)
            return default
        return document.get("value")

    async def compare_and_set(
        self, key: Any, expected: Any, value: Any, *, ttl: Any = None
    ) -> bool:
        """Replace the value of ``key`` with ``value`` only if it equals ``expected``.

        Returns whether it did. Values are compared as MongoDB compares them: numbers by
        value (``1 == 1.0``), documents field by field in order. A missing or expired key
        never matches. Like :meth:`set`, it replaces the expiry.
        """
        key_id = normalize_key(key)
        expires_at = None if ttl is None else expiry_from_ttl(ttl)
        collection = self._clients.collection()
        codec_options = collection.codec_options
        document = encode_entry(key_id, value, expires_at, codec_options)
        encode_entry(key_id, expected, None, codec_options)

        if expires_at is not None:
            await self._ensure_ttl_index(collection)
        matches = {"$and": [queries.live_key(key_id, now()), queries.value_equals(expected)]}
        result = await collection.replace_one(matches, document)
        return result.matched_count == 1

    # Batches: each one round trip per 10,000 keys.

    async def get_many(self, keys: Iterable[Any]) -> dict[str, Any]:
        """Return ``{key: value}`` for the keys that exist, in one query.

        The result is keyed by the key as stored, ``str(key)``, like :meth:`keys`. Missing
        and expired keys are left out.
        """
        key_ids = normalize_keys(keys)
        if not key_ids:
            return {}
        collection = self._clients.collection()

        found: dict[str, Any] = {}
        for start in range(0, len(key_ids), _KEYS_PER_QUERY):
            chunk = key_ids[start : start + _KEYS_PER_QUERY]
            cursor = collection.find({"_id": {"$in": chunk}}, queries.ID_VALUE_AND_EXPIRY)
            async for document in cursor:
                if EXPIRES_AT not in document or not is_expired(document):
                    found[document["_id"]] = document.get("value")

        return {key_id: found[key_id] for key_id in key_ids if key_id in found}

    async def set_many(self, mapping: Mapping[Any, Any], *, ttl: Any = None) -> None:
        """Store every ``key: value`` of ``mapping`` in one bulk write.

        Every key and value is checked before anything is sent, so one invalid entry means
        nothing is written. A server or network failure during the write can leave part of
        the batch written, as there is no transaction.
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(
                f"set_many() takes a mapping such as a dict, not {type(mapping).__name__}"
            )
        expires_at = None if ttl is None else expiry_from_ttl(ttl)
        collection = self._clients.collection()
        codec_options = collection.codec_options

        documents: dict[str, Any] = {}
        for key, value in mapping.items():
            key_id = normalize_key(key)
            documents[key_id] = encode_entry(key_id, value, expires_at, codec_options)
        if not documents:
            return

        if expires_at is not None:
            await self._ensure_ttl_index(collection)
        requests = [
            ReplaceOne({"_id": key_id}, document, upsert=True)
            for key_id, document in documents.items()
        ]
        try:
            await collection.bulk_write(requests, ordered=False)
        except BulkWriteError as exc:
            retry = _collided_requests(exc, requests)
            if retry is None:
                raise
            # Concurrent upserts inserted some keys first; those documents exist now, so
            # replacing them again succeeds.
            await collection.bulk_write(retry, ordered=False)

    async def remove_many(self, keys: Iterable[Any]) -> int:
        """Delete every key in ``keys`` and return how many existed."""
        key_ids = normalize_keys(keys)
        if not key_ids:
            return 0
        collection = self._clients.collection()

        moment = now()
        deleted = 0
        for start in range(0, len(key_ids), _KEYS_PER_QUERY):
            chunk = key_ids[start : start + _KEYS_PER_QUERY]
            result = await collection.delete_many(queries.live_keys(chunk, moment))
            deleted += result.deleted_count
        return deleted

    # Listing: streamed from a cursor, so memory stays flat however many keys there are.

    def keys(self, prefix: str | None = None) -> AsyncResultStream[str]:
        """Iterate over every live key, or those starting with ``prefix`` (matched literally)."""
        query = queries.live_with_prefix(_check_prefix(prefix), now())
        return AsyncResultStream(self._stream(query, queries.ID_ONLY, _key_of))

    def values(self, prefix: str | None = None) -> AsyncResultStream[Any]:
        """Iterate over the value of every live key, or of those starting with ``prefix``."""
        query = queries.live_with_prefix(_check_prefix(prefix), now())
        return AsyncResultStream(self._stream(query, queries.VALUE_ONLY, _value_of))

    def items(self, prefix: str | None = None) -> AsyncResultStream[tuple[str, Any]]:
        """Iterate over ``(key, value)`` of every live key, or those starting with ``prefix``."""
        query = queries.live_with_prefix(_check_prefix(prefix), now())
        return AsyncResultStream(self._stream(query, queries.ID_AND_VALUE, _item_of))

    async def count(self, prefix: str | None = None) -> int:
        """Return how many live keys there are, or how many start with ``prefix``."""
        collection = self._clients.collection()
        return await collection.count_documents(
            queries.live_with_prefix(_check_prefix(prefix), now())
        )

    async def all(self) -> list[str]:
        """Return every live key as a list; :meth:`keys` streams them instead."""
        return [key async for key in self.keys()]

    async def purge(self) -> bool:
        """Delete every key and return True; the collection and its indexes stay."""
        collection = self._clients.collection()
        await collection.delete_many({})
        return True

    # Lifecycle.

    async def close(self) -> None:
        """Close the clients this store created; calling it again does nothing.

        A client passed in with ``client=``, or shared by :meth:`namespace`, is left to its
        owner. Any later operation raises :class:`~mongokv.StoreClosedError`.
        """
        await self._clients.aclose()

    async def __aenter__(self) -> AsyncMkv:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # Helpers.

    async def _upsert(
        self,
        collection: AsyncCollection[dict[str, Any]],
        key_id: str,
        update: Any,
        return_document: bool,
    ) -> dict[str, Any] | None:
        """Apply ``update`` to the live document of ``key_id``, inserting it if absent."""
        for attempt in range(_UPSERT_ATTEMPTS):
            moment = now()
            try:
                return await collection.find_one_and_update(
                    queries.live_key(key_id, moment),
                    update,
                    projection=queries.VALUE_ONLY,
                    upsert=True,
                    return_document=return_document,
                )
            except DuplicateKeyError:
                # An expired document still uses the key, or a concurrent upsert inserted
                # it first. Delete the former, and the next attempt updates the latter.
                if attempt == _UPSERT_ATTEMPTS - 1:
                    raise
                await collection.delete_one(queries.expired_key(key_id, moment))
            except OperationFailure as exc:
                if exc.code == _TYPE_MISMATCH:
                    raise _not_a_number(key_id) from exc
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _stream(
        self, query: dict[str, Any], projection: dict[str, Any], shape: Callable[[Any], Any]
    ) -> AsyncGenerator[Any, None]:
        collection = self._clients.collection()
        cursor = collection.find(query, projection)
        try:
            async for document in cursor:
                yield shape(document)
        finally:
            # Frees the server-side cursor at once when the caller stops early.
            await cursor.close()

    async def _ensure_ttl_index(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        """Create the TTL index on ``expires_at`` once per store; MongoDB ignores repeats."""
        if self._ttl_index_ready:
            return
        await collection.create_index(EXPIRES_AT, expireAfterSeconds=0)
        self._ttl_index_ready = True


def _check_prefix(prefix: Any) -> str | None:
    if prefix is None or isinstance(prefix, str):
        return prefix
    raise TypeError(f"Invalid prefix {prefix!r}: pass a str, or None for every key")


def _key_of(document: dict[str, Any]) -> str:
    key: str = document["_id"]
    return key


def _value_of(document: dict[str, Any]) -> Any:
    return document.get("value")


def _item_of(document: dict[str, Any]) -> tuple[str, Any]:
    return document["_id"], document.get("value")


def _not_a_number(key_id: str) -> WrongTypeError:
    return WrongTypeError(
        f"Cannot add to key {key_id!r}: its stored value is not a number. "
        "Store a number with set() first, or use another key."
    )


def _collided_requests(
    exc: BulkWriteError, requests: list[ReplaceOne[Any]]
) -> list[ReplaceOne[Any]] | None:
    """Return the requests that failed only on a duplicate key, or None for any other error."""
    errors = exc.details.get("writeErrors", [])
    if not errors or exc.details.get("writeConcernErrors"):
        return None
    if any(error.get("code") != 11000 for error in errors):
        return None
    return [requests[error["index"]] for error in errors]
