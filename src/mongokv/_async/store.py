"""The key-value store over one MongoDB collection, written once for both sides."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .._clients import AsyncClientManager
from .._keys import new_key, normalize_key
from .._missing import MISSING
from .._settings import ClientSettings
from .._values import encode_entry

__all__ = ["AsyncMkv"]

_VALUE_ONLY = {"_id": False, "value": True}
_ID_ONLY = {"_id": True}


class AsyncMkv:
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
        self._settings = ClientSettings.build(
            mongo_uri, db_name, collection_name, client, client_options
        )
        self._clients = AsyncClientManager(self._settings)

    @classmethod
    def _from_settings(cls, settings: ClientSettings) -> AsyncMkv:
        store = cls.__new__(cls)
        store._settings = settings
        store._clients = AsyncClientManager(settings)
        return store

    def __repr__(self) -> str:
        settings = self._settings
        return (
            f"{type(self).__name__}({settings.redacted_uri()!r}, "
            f"db_name={settings.db_name!r}, collection_name={settings.collection_name!r})"
        )

    @property
    def collection(self) -> AsyncCollection[dict[str, Any]]:
        """The PyMongo collection that holds the data, for queries beyond key-value."""
        return self._clients.collection()

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        """The PyMongo database that holds the collection."""
        return self._clients.collection().database

    @property
    def client(self) -> AsyncMongoClient[dict[str, Any]]:
        """The PyMongo client that this store uses in the calling context."""
        return self._clients.collection().database.client

    async def set(self, key: Any, value: Any) -> str:
        """Store ``value`` under ``key`` and return the key as stored.

        ``key=None`` generates a new ObjectId key. Setting an existing key replaces its
        value, so there is always one document per key. A value that MongoDB cannot store
        raises :class:`~mongokv.InvalidValueError` before anything is sent.
        """
        key_id = new_key() if key is None else normalize_key(key)
        collection = self._clients.collection()
        document = encode_entry(key_id, value, None, collection.codec_options)

        await self._replace(collection, key_id, document)
        return key_id

    async def get(self, key: Any, default: Any = MISSING) -> Any:
        """Return the value stored under ``key``.

        A missing key raises ``KeyError(key)``, unless ``default`` is given (``None``
        included), which is then returned.
        """
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = await collection.find_one({"_id": key_id}, _VALUE_ONLY)
        if document is None:
            if default is MISSING:
                raise KeyError(key)
            return default
        return document.get("value")

    async def remove(self, key: Any) -> bool:
        """Delete ``key`` and return whether it existed."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        result = await collection.delete_one({"_id": key_id})
        return result.deleted_count == 1

    async def all(self) -> list[str]:
        """Return every key, read from a cursor that fetches only the ``_id`` field."""
        collection = self._clients.collection()
        return [document["_id"] async for document in collection.find({}, _ID_ONLY)]

    async def purge(self) -> bool:
        """Delete every key and return True; the collection and its indexes stay."""
        collection = self._clients.collection()
        await collection.delete_many({})
        return True

    async def close(self) -> None:
        """Close the clients this store created; calling it again does nothing.

        A client passed in with ``client=`` stays open. Any later operation raises
        :class:`~mongokv.StoreClosedError`.
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

    async def _replace(
        self, collection: AsyncCollection[dict[str, Any]], key_id: str, document: Any
    ) -> None:
        try:
            await collection.replace_one({"_id": key_id}, document, upsert=True)
        except DuplicateKeyError:
            # Two upserts of a new key raced and the other one inserted first. The document
            # exists now, so a second attempt replaces it.
            await collection.replace_one({"_id": key_id}, document, upsert=True)
