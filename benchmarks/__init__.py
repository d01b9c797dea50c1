"""Benchmarks of mongoKV against raw PyMongo and mongokv 0.4: `python -m nox -s bench`."""
