"""Hatchling build hook: regenerate the sync code before every sdist and wheel build.

This way a package can never ship sync code that is older than its async source.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class GenerateSyncCode(BuildHookInterface[Any]):
    """Run scripts/unasync.py, which writes src/mongokv/_sync/ and tests/_sync/."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        script = Path(self.root) / "scripts" / "unasync.py"
        subprocess.run([sys.executable, str(script)], check=True, cwd=self.root)
