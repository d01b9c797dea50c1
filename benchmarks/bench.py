"""Benchmark mongoKV against raw PyMongo and the released mongokv 0.4, on one server.

Run it with ``python -m nox -s bench``, which installs what it needs; ``-- --help`` lists the
options. It needs Python 3.11 or newer (asyncio.Runner). Without ``MONGODB_URI`` it starts a
local nx-27017 server. With ``MONGODB_URI`` set, it writes to the ``mongokv_bench`` database of
that server and drops that database at the end.

Phases, each interleaving its contenders round by round in a new random order:

1. import time of ``mongokv`` against ``pymongo`` (benchmarks/imports.py);
2. single-key set, get and remove (benchmarks/singles.py);
3. set_many and get_many against single calls (benchmarks/batch.py);
4. reading every key with keys() against a raw cursor (benchmarks/streaming.py).

It prints the tables and writes them to docs/benchmarks.md, except after ``--quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import random
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

import mongokv
import mongokv.aio
import mongokv.sync
from mongokv._settings import DEFAULT_CLIENT_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
# The repository root, for `scripts` and `benchmarks`. It has no mongokv/ folder, so
# `mongokv` still comes from the installed package, never from src/.
sys.path.insert(1, str(ROOT))

from benchmarks import batch, imports, report, singles, streaming  # noqa: E402
from benchmarks.profiling import profile_store  # noqa: E402
from scripts.local_server import mongodb_uri  # noqa: E402

DB_NAME = "mongokv_bench"
LEGACY_VERSION = "0.4"
DEFAULT_LEGACY_VENV = ROOT / ".nox" / f"bench-mongokv-{LEGACY_VERSION}"
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

# Option defaults of a full run, and of a --quick smoke run. docs/benchmarks.md records how
# long its run took, and on which machine.
FULL_RUN = {
    "rounds": 30,
    "ops": 200,
    "batch_rounds": 10,
    "keys": 100_000,
    "stream_rounds": 3,
    "import_repeats": 40,
}
QUICK_RUN = {
    "rounds": 3,
    "ops": 20,
    "batch_rounds": 2,
    "keys": 10_000,
    "stream_rounds": 1,
    "import_repeats": 5,
}

CONTENDER_LABELS = {
    "raw-sync-a": "raw PyMongo sync, client A",
    "raw-sync-b": "raw PyMongo sync, client B",
    "raw-async-a": "raw PyMongo async, client A",
    "raw-async-b": "raw PyMongo async, client B",
    "mongokv-sync": "mongokv.sync.Mkv",
    "mongokv-aio": "mongokv.aio.Mkv",
    "dispatch-sync": "mongokv.Mkv outside a loop",
    "dispatch-async": "mongokv.Mkv in a loop",
    "worker-sync": "mongokv.sync.Mkv in a worker process",
    "worker-async": "mongokv.aio.Mkv in a worker process",
    "legacy-sync": "mongokv 0.4 sync in a worker process",
    "legacy-async": "mongokv 0.4 async in a worker process",
}


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark mongoKV against raw PyMongo and mongokv 0.4.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"rounds of single-key calls (default {FULL_RUN['rounds']})",
    )
    parser.add_argument(
        "--ops",
        type=int,
        help=f"calls per timed block of single-key calls (default {FULL_RUN['ops']})",
    )
    parser.add_argument(
        "--batch-rounds",
        type=int,
        help=f"rounds of the batch benchmark (default {FULL_RUN['batch_rounds']})",
    )
    parser.add_argument(
        "--keys",
        type=int,
        help=f"documents for the keys() benchmark (default {FULL_RUN['keys']:,})",
    )
    parser.add_argument(
        "--stream-rounds",
        type=int,
        help=f"rounds of the keys() benchmark (default {FULL_RUN['stream_rounds']})",
    )
    parser.add_argument(
        "--import-repeats",
        type=int,
        help=f"interpreter starts per import statement (default {FULL_RUN['import_repeats']})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "smoke run with small defaults: "
            + ", ".join(f"{name}={value}" for name, value in QUICK_RUN.items())
            + "; writes no report unless --output is given"
        ),
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"Markdown report to write (default {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--legacy-venv",
        type=Path,
        default=DEFAULT_LEGACY_VENV,
        help=(
            f"virtual environment for mongokv {LEGACY_VERSION}, created when missing "
            f"(default {DEFAULT_LEGACY_VENV.relative_to(ROOT)})"
        ),
    )
    parser.add_argument(
        "--skip-legacy",
        action="store_true",
        help=f"leave out mongokv {LEGACY_VERSION}, for machines without PyPI access",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print a cProfile of mongokv.sync's set, get and remove",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the shuffled orders (default: random)"
    )
    options = parser.parse_args(argv)

    defaults = QUICK_RUN if options.quick else FULL_RUN
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more")
    if options.output is None and not options.quick:
        options.output = DEFAULT_OUTPUT
    return options


def prepare_legacy_python(folder: Path) -> str:
    """Create the virtual environment of mongokv 0.4 if needed and return its interpreter.

    The environment gets the same PyMongo version as this one, so that the comparison
    measures mongoKV and not two PyMongo releases.
    """
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        print(f"Creating {folder} for mongokv {LEGACY_VERSION}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)

    requirements = [f"mongokv=={LEGACY_VERSION}", f"pymongo=={metadata.version('pymongo')}"]
    command = [str(python), "-m", "pip", "install", "--quiet", *requirements]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"Installing {' '.join(requirements)} into {folder} failed with exit code "
            f"{result.returncode} (pip's output is above). Fix the package index access, or "
            "pass --skip-legacy to run without the mongokv 0.4 comparison."
        )
    return str(python)


def describe_server(uri: str, from_environment: bool) -> str:
    """Describe the server for the report, without its address or credentials."""
    client: MongoClient[dict[str, Any]] = MongoClient(uri, **DEFAULT_CLIENT_OPTIONS)
    try:
        version = client.admin.command("buildInfo").get("version", "unknown")
    finally:
        client.close()
    if from_environment:
        return f"the server named by MONGODB_URI, which reports version {version}"
    return (
        f"nx-27017 {metadata.version('nx-27017')}, a MongoDB wire-protocol server backed by "
        "SQLite (a stand-in for MongoDB, not MongoDB itself), started by "
        "scripts/local_server.py on 127.0.0.1 on the same machine"
    )


def run_single_key_phase(
    uri: str,
    runner: asyncio.Runner,
    legacy_python: str | None,
    options: argparse.Namespace,
    rng: random.Random,
) -> list[report.Section]:
    """Benchmark single-key set, get and remove and return the per-call and ratio tables."""
    collection = "kv"
    contenders: list[Any] = [
        singles.RawSync("raw-sync-a", uri, DB_NAME, collection, DEFAULT_CLIENT_OPTIONS),
        singles.RawSync("raw-sync-b", uri, DB_NAME, collection, DEFAULT_CLIENT_OPTIONS),
        singles.RawAsync("raw-async-a", uri, DB_NAME, collection, DEFAULT_CLIENT_OPTIONS, runner),
        singles.RawAsync("raw-async-b", uri, DB_NAME, collection, DEFAULT_CLIENT_OPTIONS, runner),
        singles.SyncStore("mongokv-sync", mongokv.sync.Mkv(uri, DB_NAME, collection)),
        singles.AsyncStore("mongokv-aio", mongokv.aio.Mkv(uri, DB_NAME, collection), runner),
        singles.SyncStore("dispatch-sync", mongokv.Mkv(uri, DB_NAME, collection)),
        singles.AsyncStore("dispatch-async", mongokv.Mkv(uri, DB_NAME, collection), runner),
    ]
    workers: list[singles.WorkerProcess] = []
    notes = []
    if legacy_python is not None:
        current = singles.WorkerProcess(sys.executable, uri, DB_NAME, collection)
        legacy = singles.WorkerProcess(legacy_python, uri, DB_NAME, collection)
        workers = [current, legacy]
        contenders += [
            singles.WorkerSide("worker-sync", current, "sync"),
            singles.WorkerSide("worker-async", current, "async"),
            singles.WorkerSide("legacy-sync", legacy, "sync"),
            singles.WorkerSide("legacy-async", legacy, "async"),
        ]
        notes.append(
            f"Worker processes: mongoKV {current.hello['mongokv']} through "
            f"{' and '.join(current.hello['classes'])}; mongokv {legacy.hello['mongokv']} "
            f"through {' and '.join(legacy.hello['classes'])}, in its own virtual "
            f"environment with PyMongo {legacy.hello['pymongo']}. mongokv 0.4 creates its "
            "clients with PyMongo's default options."
        )

    print(
        f"Single-key calls: {len(contenders)} contenders, {options.rounds} rounds of "
        f"{options.ops} calls per operation",
        flush=True,
    )
    try:
        samples = singles.run_rounds(contenders, options.rounds, options.ops, rng)
    finally:
        for contender in contenders:
            contender.close()
        for worker in workers:
            worker.close()

    ratios = report.Section("Single-key calls")
    ratios.notes.append(
        f"{options.rounds} rounds; in each, every contender runs {options.ops} set calls, "
        f"then {options.ops} get calls, then {options.ops} remove calls of the same keys, "
        "each block timed on its own. Ratio: contender time / baseline time in the same "
        "round, median over rounds; below 1 means the contender is faster."
    )
    ratios.notes.extend(notes)
    for comparison in singles.COMPARISONS:
        if comparison.contender not in samples:
            ratios.rows.append(
                report.Row(comparison.label, "all", "—", "skipped: --skip-legacy", "—", "—", "—")
            )
            continue
        ratios.rows.extend(singles.comparison_rows(comparison, samples, options.ops))

    labels = {name: CONTENDER_LABELS[name] for name in samples}
    return [ratios, singles.per_op_section(samples, labels, options.ops)]


def run_batch_phase(
    uri: str, runner: asyncio.Runner, options: argparse.Namespace, rng: random.Random
) -> report.Section:
    """Benchmark set_many and get_many against single calls."""
    collection = "batch"
    admin: MongoClient[dict[str, Any]] = MongoClient(uri, **DEFAULT_CLIENT_OPTIONS)
    sync_store = mongokv.sync.Mkv(uri, DB_NAME, collection)
    async_store = mongokv.aio.Mkv(uri, DB_NAME, collection)
    bench = batch.BatchBench(sync_store, async_store, admin, DB_NAME, collection, runner)
    print(f"Batch calls: {options.batch_rounds} rounds of {batch.BATCH_SIZE:,} keys", flush=True)
    try:
        samples = batch.run_batch_rounds(bench, options.batch_rounds, rng)
    finally:
        sync_store.close()
        runner.run(async_store.close())
        admin.close()
    return batch.batch_section(bench, samples)


def run_streaming_phase(
    uri: str, runner: asyncio.Runner, options: argparse.Namespace, rng: random.Random
) -> report.Section:
    """Benchmark reading every key with keys() and all() against raw PyMongo cursors."""
    collection = "keys"
    raw_sync: MongoClient[dict[str, Any]] = MongoClient(uri, **DEFAULT_CLIENT_OPTIONS)
    raw_async = runner.run(_open_async_client(uri))
    sync_store = mongokv.sync.Mkv(uri, DB_NAME, collection)
    async_store = mongokv.aio.Mkv(uri, DB_NAME, collection)
    print(f"Reading every key: inserting {options.keys:,} documents", flush=True)
    try:
        streaming.fill_collection(raw_sync[DB_NAME][collection], options.keys)
        bench = streaming.StreamBench(
            sync_store, async_store, raw_sync, raw_async, DB_NAME, collection, runner
        )
        largest_batch = streaming.largest_server_batch(
            uri, DEFAULT_CLIENT_OPTIONS, DB_NAME, collection
        )
        peaks, times = streaming.run_stream_rounds(bench, options.keys, options.stream_rounds, rng)
    finally:
        sync_store.close()
        runner.run(async_store.close())
        runner.run(raw_async.close())
        raw_sync[DB_NAME].drop_collection(collection)
        raw_sync.close()
    return streaming.stream_section(bench, peaks, times, options.keys, largest_batch)


async def _open_async_client(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, **DEFAULT_CLIENT_OPTIONS)


def run_import_phase(options: argparse.Namespace, rng: random.Random) -> report.Section:
    """Measure the import time of mongokv against pymongo in fresh interpreters."""
    print(f"Import time: {options.import_repeats} runs per statement", flush=True)
    process_times = imports.measure_process_times(options.import_repeats, rng)
    cumulative, added_self = imports.measure_importtime(max(3, options.import_repeats // 4))
    return imports.import_section(process_times, cumulative, added_self)


def _shown_path(path: Path) -> str:
    """Return ``path`` relative to the repository root when it lies inside it."""
    resolved = path.resolve()
    if resolved.is_relative_to(ROOT):
        return str(resolved.relative_to(ROOT))
    return str(path)


def shown_command(argv: list[str]) -> str:
    """Return the command that started this run, as the user typed it under nox."""
    arguments = shlex.join(argv)
    if os.environ.get("NOX_CURRENT_SESSION") == "bench":
        return "python -m nox -s bench" + (f" -- {arguments}" if arguments else "")
    return "python benchmarks/bench.py" + (f" {arguments}" if arguments else "")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    options = parse_options(arguments)
    rng = random.Random(options.seed)
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc)
    revision = report.git_revision()

    legacy_python = None
    legacy_text = "left out (--skip-legacy)"
    if not options.skip_legacy:
        legacy_python = prepare_legacy_python(options.legacy_venv)
        legacy_text = (
            f"from PyPI, in its own virtual environment {_shown_path(options.legacy_venv)}"
        )

    sections = [run_import_phase(options, rng)]

    from_environment = bool(os.environ.get("MONGODB_URI"))
    with contextlib.ExitStack() as stack:
        uri = stack.enter_context(mongodb_uri())
        server = describe_server(uri, from_environment)
        runner = stack.enter_context(asyncio.Runner())
        admin: MongoClient[dict[str, Any]] = MongoClient(uri, **DEFAULT_CLIENT_OPTIONS)
        stack.callback(admin.close)
        admin.drop_database(DB_NAME)
        stack.callback(admin.drop_database, DB_NAME)

        sections += run_single_key_phase(uri, runner, legacy_python, options, rng)
        sections.append(run_batch_phase(uri, runner, options, rng))
        sections.append(run_streaming_phase(uri, runner, options, rng))
        if options.profile:
            store = mongokv.sync.Mkv(uri, DB_NAME, "profile")
            try:
                print(profile_store(store, options.ops * 5))
            finally:
                store.close()

    document = report.render_document(
        sections,
        command=shown_command(arguments),
        started_at=started_at,
        revision=revision,
        elapsed=time.perf_counter() - started,
        server=server,
        legacy=legacy_text,
        client_options=DEFAULT_CLIENT_OPTIONS,
        nx_server=not from_environment,
    )
    print(document)
    if options.output is not None:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(document, encoding="utf-8")
        print(f"Wrote {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
