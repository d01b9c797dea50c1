"""The async implementation; ``mongokv._sync`` is generated from this package."""
