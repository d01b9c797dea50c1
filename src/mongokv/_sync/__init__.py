# This file is generated from src/mongokv/_async/__init__.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
"""The async implementation; ``mongokv._sync`` is generated from this package."""
