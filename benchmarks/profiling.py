"""cProfile of mongokv.sync's set, get and remove, to find the cost of mongoKV's own code.

cProfile adds its own overhead to every Python call, so its times are larger than the
benchmark's. Use them to rank functions, not as the cost per call.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from pathlib import Path
from typing import Any

import mongokv
from benchmarks.worker import make_keys, run_store_blocks


def profile_store(store: Any, ops: int) -> str:
    """Profile ``ops`` set, get and remove calls on ``store`` and return the report text."""
    run_store_blocks(store, make_keys("pw0000k", min(ops, 50)))
    profiler = cProfile.Profile()
    profiler.enable()
    run_store_blocks(store, make_keys("pr0000k", ops))
    profiler.disable()

    package = str(Path(mongokv.__file__).parent)
    stats = pstats.Stats(profiler)
    own_seconds = sum(
        entry[2]
        for (filename, _line, _name), entry in stats.stats.items()  # type: ignore[attr-defined]
        if filename.startswith(package)
    )
    total_seconds = stats.total_tt  # type: ignore[attr-defined]
    calls = 3 * ops

    output = io.StringIO()
    output.write(
        f"cProfile of {ops} set, {ops} get and {ops} remove calls on mongokv.sync.Mkv:\n"
        f"  self time in mongoKV's files: {own_seconds / calls * 1e6:.2f} µs per call, "
        f"{own_seconds / total_seconds:.1%} of all profiled time\n"
    )
    stats.stream = output  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(re.escape(package), 20)
    return output.getvalue()
