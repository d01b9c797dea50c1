"""Import time of mongokv against pymongo, each in a fresh interpreter.

Two measurements: the wall time of ``python -c "import X"`` as a whole process, whose
interpreter start-up is the same for both, and the cumulative time that ``-X importtime``
reports for the top-level package. mongoKV imports PyMongo, so the difference between the
two is what mongoKV adds.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from benchmarks.report import Row, Section, at_most, format_duration, middle_half

STATEMENTS = {"pass": "pass", "pymongo": "import pymongo", "mongokv": "import mongokv"}

# mongoKV may add at most this many milliseconds to the import time of PyMongo.
ADDED_IMPORT_LIMIT_MS = 5.0


def _run_python(arguments: list[str], folder: str) -> subprocess.CompletedProcess[str]:
    # The folder is empty, so the '' entry that -c puts on sys.path finds nothing there.
    return subprocess.run(
        [sys.executable, *arguments], cwd=folder, capture_output=True, text=True, check=True
    )


def measure_process_times(repeats: int, rng: random.Random) -> dict[str, list[float]]:
    """Time ``python -c STATEMENT`` for every statement, ``repeats`` times in shuffled order."""
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    with tempfile.TemporaryDirectory(prefix="mongokv-bench-import-") as folder:
        for statement in STATEMENTS.values():
            _run_python(["-c", statement], folder)

        order = list(STATEMENTS.items())
        for _repeat in range(repeats):
            rng.shuffle(order)
            for name, statement in order:
                start = time.perf_counter()
                _run_python(["-c", statement], folder)
                times[name].append(time.perf_counter() - start)
    return times


def _parse_importtime(output: str) -> dict[str, tuple[int, int]]:
    """Return ``{module: (self µs, cumulative µs)}`` from ``-X importtime`` output."""
    modules = {}
    for line in output.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_part, cumulative_part, name = line.removeprefix("import time:").split("|")
        modules[name.strip()] = (int(self_part), int(cumulative_part))
    return modules


def measure_importtime(
    repeats: int,
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Run ``-X importtime`` on both imports and collect per-module times in µs.

    Return the cumulative times of the top-level packages, and the self times of every
    module that ``import mongokv`` loads and ``import pymongo`` does not.
    """
    cumulative: dict[str, list[int]] = defaultdict(list)
    added_self: dict[str, list[int]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="mongokv-bench-import-") as folder:
        for _repeat in range(repeats):
            pymongo_modules = _parse_importtime(
                _run_python(["-X", "importtime", "-c", "import pymongo"], folder).stderr
            )
            mongokv_modules = _parse_importtime(
                _run_python(["-X", "importtime", "-c", "import mongokv"], folder).stderr
            )
            cumulative["pymongo"].append(pymongo_modules["pymongo"][1])
            cumulative["mongokv"].append(mongokv_modules["mongokv"][1])
            for name, (self_us, _cumulative_us) in mongokv_modules.items():
                if name not in pymongo_modules:
                    added_self[name].append(self_us)
    return cumulative, added_self


def import_section(
    process_times: dict[str, list[float]],
    cumulative: dict[str, list[int]],
    added_self: dict[str, list[int]],
) -> Section:
    """Build the import-time table and list the modules that mongoKV adds to the import."""
    section = Section("Import time")
    repeats = len(process_times["pass"])
    section.notes.append(
        f'`python -c "import X"` in a fresh interpreter, {repeats} runs each in shuffled '
        "order. The Ratio column holds the difference mongokv - pymongo in ms, median of the "
        "per-run differences; the target is on that difference. `python -c pass` took "
        f"{format_duration(statistics.median(process_times['pass']))} (interpreter start-up)."
    )

    differences = [
        (mine - theirs) * 1e3
        for mine, theirs in zip(process_times["mongokv"], process_times["pymongo"], strict=True)
    ]
    low, high = middle_half(differences)
    median_difference = statistics.median(differences)
    section.rows.append(
        Row(
            comparison="import mongokv / import pymongo, whole process",
            operation="import",
            metric="wall",
            contender=format_duration(statistics.median(process_times["mongokv"])),
            baseline=format_duration(statistics.median(process_times["pymongo"])),
            ratio=f"{median_difference:+.1f} ms",
            spread=f"{low:+.1f} to {high:+.1f} ms",
            checked=median_difference,
            target=at_most(ADDED_IMPORT_LIMIT_MS, " ms added"),
        )
    )

    mine_us = statistics.median(cumulative["mongokv"])
    theirs_us = statistics.median(cumulative["pymongo"])
    section.rows.append(
        Row(
            comparison="import mongokv / import pymongo, -X importtime cumulative",
            operation="import",
            metric="wall",
            contender=format_duration(mine_us / 1e6),
            baseline=format_duration(theirs_us / 1e6),
            ratio=f"{(mine_us - theirs_us) / 1e3:+.1f} ms",
            spread="—",
        )
    )

    largest = sorted(added_self.items(), key=lambda item: -statistics.median(item[1]))[:10]
    listed = ", ".join(
        f"`{name}` {statistics.median(times) / 1e3:.1f} ms" for name, times in largest
    )
    total_ms = sum(statistics.median(times) for times in added_self.values()) / 1e3
    section.notes.append(
        f"Modules that `import mongokv` loads and `import pymongo` does not: {len(added_self)}, "
        f"{total_ms:.1f} ms of self time in all (median of {len(cumulative['mongokv'])} "
        f"`-X importtime` runs). The largest: {listed}."
    )
    return section
