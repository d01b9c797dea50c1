"""The async quickstart: run it with `nox -s demo`, or set MONGODB_URI and run it directly."""

import asyncio
import os

from mongokv import Mkv

MONGODB_URI = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")

db = Mkv(MONGODB_URI)


async def main():
    # Set a value with explicit key
    await db.set("counter", 1)

    # Increment and save again
    current = await db.get("counter", 0)
    await db.set("counter", current + 1)

    # Auto-generated key
    new_id = await db.set(None, {"hello": "world"})
    print("New id:", new_id)

    # List all keys
    keys = await db.all()
    print("Keys:", keys)

    # Remove key
    deleted = await db.remove("counter")
    print("Deleted:", deleted)

    # Purge all keys
    await db.purge()

    # Close connections
    await db.close()


asyncio.run(main())
