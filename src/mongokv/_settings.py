"""Connection settings shared by the sync and async stores of one mongoKV object."""

from __future__ import annotations

import os
import re
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

DEFAULT_URI = "mongodb://localhost:27017"

# PyMongo waits 30 s for a server before it gives up. A key-value call should fail much
# sooner, so mongoKV lowers these unless the caller passes their own values.
DEFAULT_CLIENT_OPTIONS: dict[str, Any] = {
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "tz_aware": True,
}

_PASSWORD_IN_URI = re.compile(r"(?P<scheme>mongodb(?:\+srv)?://)(?P<user>[^:@/]*):[^@/]*@")


class ClientSettings:
    """The location of the data and the options to reach it, fixed at construction."""

    # A plain class with slots: a frozen dataclass costs more to import than the rest of
    # this module.
    __slots__ = (
        "async_client",
        "client_options",
        "collection_name",
        "db_name",
        "sync_client",
        "uri",
    )

    def __init__(
        self,
        uri: str | None,
        db_name: str,
        collection_name: str,
        client_options: dict[str, Any],
        sync_client: MongoClient[dict[str, Any]] | None,
        async_client: AsyncMongoClient[dict[str, Any]] | None,
    ) -> None:
        # None when the caller passed an existing client.
        self.uri = uri
        self.db_name = db_name
        self.collection_name = collection_name
        self.client_options = client_options
        self.sync_client = sync_client
        self.async_client = async_client

    @classmethod
    def build(
        cls,
        mongo_uri: str | None,
        db_name: str,
        collection_name: str,
        client: MongoClient[dict[str, Any]] | AsyncMongoClient[dict[str, Any]] | None,
        client_options: dict[str, Any],
    ) -> ClientSettings:
        """Check the constructor arguments and fill in the defaults."""
        if mongo_uri is not None and not isinstance(mongo_uri, str):
            raise TypeError(
                f"mongo_uri must be a str such as 'mongodb://localhost:27017', "
                f"not {type(mongo_uri).__name__}"
            )
        _check_name("db_name", db_name)
        _check_name("collection_name", collection_name)

        sync_client: MongoClient[dict[str, Any]] | None = None
        async_client: AsyncMongoClient[dict[str, Any]] | None = None
        if isinstance(client, MongoClient):
            sync_client = client
        elif isinstance(client, AsyncMongoClient):
            async_client = client
        elif client is not None:
            raise TypeError(
                "client must be a pymongo.MongoClient or pymongo.AsyncMongoClient, "
                f"not {type(client).__name__}"
            )

        if client is not None and (mongo_uri is not None or client_options):
            raise TypeError(
                "Pass either client= or a mongo_uri with client options, not both: "
                "an existing client already has its own URI and options."
            )

        uri = None
        if client is None:
            uri = mongo_uri or os.environ.get("MONGODB_URI") or DEFAULT_URI
        options = {**DEFAULT_CLIENT_OPTIONS, **client_options}
        return cls(uri, db_name, collection_name, options, sync_client, async_client)

    def with_collection(self, collection_name: str) -> ClientSettings:
        """These settings for another collection of the same database."""
        _check_name("collection_name", collection_name)
        return ClientSettings(
            self.uri,
            self.db_name,
            collection_name,
            self.client_options,
            self.sync_client,
            self.async_client,
        )

    def redacted_uri(self) -> str:
        """Return the URI with any password replaced by ``***``, safe for logs and repr."""
        if self.uri is None:
            return "<existing client>"
        return redact_uri(self.uri)


def redact_uri(uri: str) -> str:
    """Replace the password in a MongoDB URI with ``***``."""
    return _PASSWORD_IN_URI.sub(r"\g<scheme>\g<user>:***@", uri)


def _check_name(argument: str, name: object) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{argument} must be a non-empty str, not {name!r}")
