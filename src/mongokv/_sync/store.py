# This file is generated from src/mongokv/_async/store.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""The key-value store over one MongoDB collection, written once for both sides."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError
from pymongo.synchronous.collection import Collection
from pymongo.synchronous.database import Database

from .._clients import ClientManager
from .._keys import new_key, normalize_key
from .._missing import MISSING
from .._settings import ClientSettings
from .._values import encode_entry

__all__ = ["SyncMkv"]

_VALUE_ONLY = {"_id": False, "value": True}
_ID_ONLY = {"_id": True}


class SyncMkv:
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
        self._clients = ClientManager(self._settings)

    @classmethod
    def _from_settings(cls, settings: ClientSettings) -> SyncMkv:
        store = cls.__new__(cls)
        store._settings = settings
        store._clients = ClientManager(settings)
        return store

    def __repr__(self) -> str:
        settings = self._settings
        return (
            f"{type(self).__name__}({settings.redacted_uri()!r}, "
            f"db_name={settings.db_name!r}, collection_name={settings.collection_name!r})"
        )

    @property
    def collection(self) -> Collection[dict[str, Any]]:
        """The PyMongo collection that holds the data, for queries beyond key-value."""
        return self._clients.collection()

    @property
    def db(self) -> Database[dict[str, Any]]:
        """The PyMongo database that holds the collection."""
        return self._clients.collection().database

    @property
    def client(self) -> MongoClient[dict[str, Any]]:
        """The PyMongo client that this store uses in the calling context."""
        return self._clients.collection().database.client

    def set(self, key: Any, value: Any) -> str:
        """Store ``value`` under ``key`` and return the key as stored.

        ``key=None`` generates a new ObjectId key. Setting an existing key replaces its
        value, so there is always one document per key. A value that MongoDB cannot store
        raises :class:`~mongokv.InvalidValueError` before anything is sent.
        """
        key_id = new_key() if key is None else normalize_key(key)
        collection = self._clients.collection()
        document = encode_entry(key_id, value, None, collection.codec_options)

        self._replace(collection, key_id, document)
        return key_id

    def get(self, key: Any, default: Any = MISSING) -> Any:
        """Return the value stored under ``key``.

        A missing key raises ``KeyError(key)``, unless ``default`` is given (``None``
        included), which is then returned.
        """
        key_id = normalize_key(key)
        collection = self._clients.collection()

        document = collection.find_one({"_id": key_id}, _VALUE_ONLY)
        if document is None:
            if default is MISSING:
                raise KeyError(key)
            return default
        return document.get("value")

    def remove(self, key: Any) -> bool:
        """Delete ``key`` and return whether it existed."""
        key_id = normalize_key(key)
        collection = self._clients.collection()

        result = collection.delete_one({"_id": key_id})
        return result.deleted_count == 1

    def all(self) -> list[str]:
        """Return every key, read from a cursor that fetches only the ``_id`` field."""
        collection = self._clients.collection()
        return [document["_id"] for document in collection.find({}, _ID_ONLY)]

    def purge(self) -> bool:
        """Delete every key and return True; the collection and its indexes stay."""
        collection = self._clients.collection()
        collection.delete_many({})
        return True

    def close(self) -> None:
        """Close the clients this store created; calling it again does nothing.

        A client passed in with ``client=`` stays open. Any later operation raises
        :class:`~mongokv.StoreClosedError`.
        """
        self._clients.close()

    def __enter__(self) -> SyncMkv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _replace(self, collection: Collection[dict[str, Any]], key_id: str, document: Any) -> None:
        try:
            collection.replace_one({"_id": key_id}, document, upsert=True)
        except DuplicateKeyError:
            # Two upserts of a new key raced and the other one inserted first. The document
            # exists now, so a second attempt replaces it.
            collection.replace_one({"_id": key_id}, document, upsert=True)
