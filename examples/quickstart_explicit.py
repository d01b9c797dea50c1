"""The quickstarts again, through the explicit classes mongokv.sync.Mkv and mongokv.aio.Mkv."""

import asyncio
import os

import mongokv.aio
import mongokv.sync

MONGODB_URI = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")


def sync_quickstart() -> None:
    db = mongokv.sync.Mkv(MONGODB_URI, collection_name="kv_explicit_sync")
    print("sync: set username ->", db.set("username", "harrison"))
    print("sync: get username ->", db.get("username"))
    note_id = db.set(None, {"title": "mongoKV", "tags": ["mongo", "kv"]})
    print("sync: set None -> generated key", note_id)
    print("sync: all ->", sorted(db.all()))
    print("sync: remove username ->", db.remove("username"))
    print("sync: purge ->", db.purge())
    db.close()


async def async_quickstart() -> None:
    async with mongokv.aio.Mkv(MONGODB_URI, collection_name="kv_explicit_async") as db:
        print("async: set counter ->", await db.set("counter", 1))
        current = await db.get("counter", 0)
        print("async: get counter ->", current)
        await db.set("counter", current + 1)
        print("async: counter after increment ->", await db.get("counter"))
        print("async: all ->", await db.all())
        print("async: remove counter ->", await db.remove("counter"))
        print("async: purge ->", await db.purge())


sync_quickstart()
asyncio.run(async_quickstart())
