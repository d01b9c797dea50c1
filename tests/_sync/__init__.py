# This file is generated from tests/_async/__init__.py by scripts/unasync.py. Do not edit it:
# change the async source and run `nox -s generate`.
