"""The sentinel for an argument that was not passed, shared by both sides and the dispatcher."""

from __future__ import annotations

import enum
from typing import Final, Literal


class _Missing(enum.Enum):
    """Marks an omitted ``default``, so that ``default=None`` stays a real default."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing.MISSING
MissingType = Literal[_Missing.MISSING]
