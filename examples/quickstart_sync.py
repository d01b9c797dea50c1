"""The sync quickstart: run it with `nox -s demo`, or set MONGODB_URI and run it directly."""

import os

from mongokv import Mkv

MONGODB_URI = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")

db = Mkv(MONGODB_URI)

# Set a value with an explicit key
db.set("username", "harrison")

# Get it back
print(db.get("username"))  # -> "harrison"

# Set a value with an auto-generated key
note_id = db.set(None, {"title": "mongoKV", "tags": ["mongo", "kv"]})
print(note_id)  # -> e.g. "677eec65e92eeca23513fe99"

# List all keys
print(db.all())  # -> ["username", "677eec65e92eeca23513fe99", ...]

# Remove a key
db.remove("username")

# Clear everything
db.purge()

# Close connections when you're done
db.close()
