"""Result rows, their statistics, and the Markdown report that bench.py prints and saves."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """A goal for one row: ``text`` as shown in the table, ``check`` tests the measured value."""

    text: str
    check: Callable[[float], bool]


def at_most(limit: float, unit: str = "") -> Target:
    """Return a target met when the measured value is ``limit`` or less."""
    return Target(f"≤ {limit:g}{unit}", lambda value: value <= limit)


def at_least(limit: float, unit: str = "") -> Target:
    """Return a target met when the measured value is ``limit`` or more."""
    return Target(f"≥ {limit:g}{unit}", lambda value: value >= limit)


def below(limit: float, unit: str = "") -> Target:
    """Return a target met when the measured value is under ``limit``."""
    return Target(f"< {limit:g}{unit}", lambda value: value < limit)


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    ``checked`` is the number the target applies to: the median ratio for timing rows, or a
    size or a difference where the target's text names one.
    """

    comparison: str
    operation: str
    metric: str
    contender: str
    baseline: str
    ratio: str
    spread: str
    checked: float | None = None
    target: Target | None = None

    @property
    def met(self) -> str:
        """``yes`` or ``no`` against the target, or ``—`` for rows without one."""
        if self.target is None or self.checked is None:
            return "—"
        return "yes" if self.target.check(self.checked) else "no"


@dataclass
class Section:
    """A titled group of rows, with notes printed under its table."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A Markdown table of another shape, printed after the notes in place of ``rows``.
    table: list[str] = field(default_factory=list)


def middle_half(values: Sequence[float]) -> tuple[float, float]:
    """Return the 25th and 75th percentiles of ``values``, or its only value twice."""
    if len(values) < 2:
        return values[0], values[0]
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return quartiles[0], quartiles[2]


def ratio_cells(ratios: Sequence[float], digits: int = 3) -> tuple[str, str]:
    """Format the median ratio and the range of the middle half of the per-round ratios."""
    low, high = middle_half(ratios)
    return f"{statistics.median(ratios):.{digits}f}", f"{low:.{digits}f} to {high:.{digits}f}"


def format_duration(seconds: float) -> str:
    """Format a duration in µs, ms or s, with three significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_megabytes(size: float) -> str:
    """Format a size in bytes as MB (10^6 bytes)."""
    return f"{size / 1e6:.2f} MB"


# ---------------------------------------------------------------------------------------------
# The machine and the software measured


def cpu_model() -> str:
    """Return the CPU model named in /proc/cpuinfo, or platform.processor() elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    """Return the total memory from /proc/meminfo in GiB, or ``unknown``."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    kibibytes = int(line.split()[1])
                    return f"{kibibytes / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def git_revision() -> str:
    """Return the short commit of the work tree, marked when src/ has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git work tree)"
    if changes:
        return f"{commit}, with uncommitted changes in src/"
    return commit


def software_lines(
    started_at: datetime.datetime,
    revision: str,
    server: str,
    legacy: str,
    client_options: dict[str, object],
) -> list[str]:
    """Return the Markdown bullet lines that describe the machine and the software."""
    options = ", ".join(f"{name}={value!r}" for name, value in client_options.items())
    return [
        f"- Date: {started_at.astimezone(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores, {memory_total()} memory",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- PyMongo: {metadata.version('pymongo')}",
        f"- mongoKV: {metadata.version('mongokv')}, work tree at git {revision}",
        f"- mongokv 0.4: {legacy}",
        f"- Server: {server}",
        f"- Client options of every raw PyMongo client (mongoKV's defaults): {options}",
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


_HEADER = (
    "| Comparison | Op | Metric | Contender | Baseline | Ratio | Middle 50% of rounds "
    "| Target | Met? |"
)
_RULE = "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def section_markdown(section: Section) -> str:
    """Render one section as a Markdown heading, table and notes."""
    lines = [f"### {section.title}", ""]
    for note in section.notes:
        lines.append(note)
        lines.append("")
    if section.table:
        lines.extend(section.table)
        lines.append("")
    if section.rows:
        lines.extend([_HEADER, _RULE])
        for row in section.rows:
            target = row.target.text if row.target is not None else "—"
            cells = [
                row.comparison,
                row.operation,
                row.metric,
                row.contender,
                row.baseline,
                row.ratio,
                row.spread,
                target,
                row.met,
            ]
            lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def summary_counts(sections: Sequence[Section]) -> tuple[int, int]:
    """Return how many rows with a target met it, and how many missed it."""
    met = missed = 0
    for section in sections:
        for row in section.rows:
            if row.met == "yes":
                met += 1
            elif row.met == "no":
                missed += 1
    return met, missed


def _targets_markdown(sections: Sequence[Section]) -> str:
    lines = [
        "| Comparison | Op | Metric | Measured | Target | Met? |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for section in sections:
        for row in section.rows:
            if row.target is None:
                continue
            measured = row.contender if row.metric == "peak memory growth" else row.ratio
            cells = [row.comparison, row.operation, row.metric, measured, row.target.text, row.met]
            lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render_document(
    sections: Sequence[Section],
    *,
    command: str,
    started_at: datetime.datetime,
    revision: str,
    elapsed: float,
    server: str,
    legacy: str,
    client_options: dict[str, object],
    nx_server: bool,
) -> str:
    """Render the whole report: how to run it, how to read it, the setup and every table."""
    met, missed = summary_counts(sections)
    if nx_server:
        server_note = (
            "The server was nx-27017, a SQLite-backed stand-in for MongoDB that runs in "
            "Python on the same machine as the client, not a real MongoDB server. Its time "
            "per call is part of every wall time and is the same for contenders that send "
            "the same query, so client-side differences show up smaller in wall ratios than "
            "in client CPU ratios. A query that costs the server more, such as a filter with "
            "more conditions, shows up in wall time. Run with `MONGODB_URI` set to measure "
            "against a real server."
        )
    else:
        server_note = (
            "The server was the one named by `MONGODB_URI`. Wall times include the network "
            "between client and server."
        )

    parts = [
        "# Benchmarks",
        "",
        "What mongoKV costs over raw PyMongo and over the released mongokv 0.4, measured by "
        "`benchmarks/bench.py`. `python -m nox -s bench` rewrites this page; every number "
        "on it comes from the run described under Setup. Why the missed targets are missed, "
        "and what would close the gap, is in [performance.md](performance.md).",
        "",
        "## Running the benchmark",
        "",
        "```bash",
        "python -m nox -s bench                 # full run, rewrites docs/benchmarks.md",
        "python -m nox -s bench -- --quick      # smoke run: prints the tables, writes nothing",
        "python -m nox -s bench -- --help       # --rounds, --ops, --profile and the rest",
        "MONGODB_URI=mongodb://localhost:27017 python -m nox -s bench   # a real server",
        "```",
        "",
        "Without `MONGODB_URI` the session starts its own nx-27017 server on a free 127.0.0.1 "
        "port. With it, the run writes to the `mongokv_bench` database and drops that "
        "database at the end. The benchmark is not part of the test suite or of CI.",
        "",
        "## How to read the numbers",
        "",
        "- Each phase interleaves its contenders: every round runs each contender once, in a "
        "new random order, so a slow moment of the machine or the server hits all of them "
        "alike. Each timed block runs with the garbage collector disabled.",
        "- Wall time is `time.perf_counter()` around a block of calls. Client CPU is "
        "`time.thread_time()` of the calling thread in the client process: user and system "
        "time, so the kernel's work for the thread's socket calls is in it, but the server "
        "and PyMongo's monitor threads are not. On the async side the event loop runs in that "
        "thread, so the loop's own CPU time is in it too. Client and server share the "
        "machine's cores, so a slower server reply can also raise the client's CPU time a "
        "little, through caches and scheduling.",
        "- Ratio is contender time / baseline time within the same round, and the table shows "
        "the median over rounds: 1.000 means equal cost, 1.050 means 5 % slower, 0.950 means "
        '5 % faster. Batch rows show a speed-up instead, where higher is better. "Middle '
        '50% of rounds" is the range from the 25th to the 75th percentile of the per-round '
        "values.",
        "- The A/A control rows time two identical raw PyMongo clients against each other. "
        "Their distance from 1.000 and their spread are the noise of this run: a difference "
        "smaller than that is not a measured difference.",
        "- Raw PyMongo clients use mongoKV's default client options, listed under Setup.",
        f"- {server_note}",
        "",
        "## Setup",
        "",
        *software_lines(started_at, revision, server, legacy, client_options),
        f"- Command: `{command}`",
        f"- Duration of the run: {elapsed / 60:.1f} min",
        "",
        f"## Targets: {met} met, {missed} missed",
        "",
        _targets_markdown(sections),
        "",
        "## Results",
        "",
    ]
    parts.extend(section_markdown(section) for section in sections)
    return "\n".join(parts).rstrip() + "\n"
