"""A tour of expiry, atomic, batch and listing operations, printing what each step returns."""

import os

from mongokv import Mkv

MONGODB_URI = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")

with Mkv(MONGODB_URI, collection_name="kv_features") as db:
    db.purge()

    db.set("session:1", {"user": "ann"}, ttl=60)
    print("ttl of session:1 (about 60 s) ->", round(db.ttl("session:1")))
    print("persist session:1 ->", db.persist("session:1"), "then ttl ->", db.ttl("session:1"))

    print("incr visits ->", db.incr("visits"), db.incr("visits", 10))
    print("add lock (absent) ->", db.add("lock", "worker-1"))
    print("add lock (present) ->", db.add("lock", "worker-2"), "holder:", db["lock"])
    print("compare_and_set lock ->", db.compare_and_set("lock", "worker-1", "worker-3"))

    db.set_many({f"user:{number}": f"name {number}" for number in range(1, 4)})
    print("get_many ->", db.get_many(["user:1", "user:3", "user:9"]))
    print("keys with prefix user: ->", sorted(db.keys("user:")))
    print("count ->", db.count(), "of which user: ->", db.count("user:"))
    print("remove_many ->", db.remove_many(["user:1", "user:2", "user:9"]))
    print("pop lock ->", db.pop("lock"), "then 'lock' in db ->", "lock" in db)

    db.purge()
