"""Single-key set, get and remove: every contender, interleaved round by round.

Each round runs every contender once, in a new random order. A contender's turn is three
timed blocks of ``ops`` calls each (set, then get, then remove of the same keys), so every
turn leaves the collection as it found it. A ratio is computed per round between two
contenders of the same round, and the table shows the median over rounds.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pymongo import AsyncMongoClient, MongoClient

from benchmarks.report import Row, Section, Target, at_most, format_duration, ratio_cells
from benchmarks.worker import (
    OPERATIONS,
    VALUE,
    Sample,
    make_keys,
    run_async_store_blocks,
    run_store_blocks,
    time_async_block,
    time_block,
)

WORKER_SCRIPT = Path(__file__).with_name("worker.py")


class Contender(Protocol):
    """Something that runs the three timed blocks of one turn."""

    name: str

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]: ...

    def close(self) -> None: ...


class RawSync:
    """Raw PyMongo through MongoClient: replace_one with upsert, find_one, delete_one by _id."""

    def __init__(self, name: str, uri: str, db_name: str, collection: str, options: Any) -> None:
        self.name = name
        self._client: MongoClient[dict[str, Any]] = MongoClient(uri, **options)
        self._collection = self._client[db_name][collection]

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]:
        collection = self._collection
        keys = make_keys(prefix, ops)

        def set_block() -> None:
            for key in keys:
                collection.replace_one({"_id": key}, {"_id": key, "value": VALUE}, upsert=True)

        def get_block() -> None:
            for key in keys:
                collection.find_one({"_id": key}, {"value": 1, "_id": 0})

        def remove_block() -> None:
            for key in keys:
                collection.delete_one({"_id": key})

        return {
            "set": time_block(set_block),
            "get": time_block(get_block),
            "remove": time_block(remove_block),
        }

    def close(self) -> None:
        self._client.close()


class RawAsync:
    """Raw PyMongo through AsyncMongoClient, the same calls as RawSync, on the one event loop."""

    def __init__(
        self,
        name: str,
        uri: str,
        db_name: str,
        collection: str,
        options: Any,
        runner: asyncio.Runner,
    ) -> None:
        self.name = name
        self._runner = runner
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, **options)
        self._collection = self._client[db_name][collection]

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]:
        return self._runner.run(self._turn(make_keys(prefix, ops)))

    async def _turn(self, keys: list[str]) -> dict[str, Sample]:
        collection = self._collection

        async def set_block() -> None:
            for key in keys:
                await collection.replace_one(
                    {"_id": key}, {"_id": key, "value": VALUE}, upsert=True
                )

        async def get_block() -> None:
            for key in keys:
                await collection.find_one({"_id": key}, {"value": 1, "_id": 0})

        async def remove_block() -> None:
            for key in keys:
                await collection.delete_one({"_id": key})

        return {
            "set": await time_async_block(set_block),
            "get": await time_async_block(get_block),
            "remove": await time_async_block(remove_block),
        }

    def close(self) -> None:
        self._runner.run(self._client.close())


class SyncStore:
    """A mongoKV object called outside an event loop: mongokv.sync.Mkv or mongokv.Mkv."""

    def __init__(self, name: str, store: Any) -> None:
        self.name = name
        self._store = store

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]:
        return run_store_blocks(self._store, make_keys(prefix, ops))

    def close(self) -> None:
        self._store.close()


class AsyncStore:
    """A mongoKV object awaited on the benchmark's event loop: mongokv.aio.Mkv or mongokv.Mkv."""

    def __init__(self, name: str, store: Any, runner: asyncio.Runner) -> None:
        self.name = name
        self._store = store
        self._runner = runner

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]:
        return self._runner.run(run_async_store_blocks(self._store, make_keys(prefix, ops)))

    def close(self) -> None:
        self._runner.run(_close_in_loop(self._store))


async def _close_in_loop(store: Any) -> None:
    # Called inside the loop, mongokv.Mkv.close() returns a coroutine that closes the
    # async clients on their own loop. Called outside, it would close them synchronously.
    await store.close()


class WorkerProcess:
    """A worker.py process with its own interpreter, which times one mongoKV installation."""

    def __init__(self, python: str, uri: str, db_name: str, collection: str) -> None:
        self._process = subprocess.Popen(
            [
                python,
                str(WORKER_SCRIPT),
                "--uri",
                uri,
                "--db",
                db_name,
                "--collection",
                collection,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.hello: dict[str, Any] = self._read_reply()

    def _read_reply(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait()
            raise RuntimeError(
                f"The benchmark worker {WORKER_SCRIPT.name} exited with code {code}. Its "
                "error output is above."
            )
        return json.loads(line)

    def request(self, side: str, ops: int, prefix: str) -> dict[str, Sample]:
        """Run one turn of ``side`` ("sync" or "async") in the worker and return its samples."""
        assert self._process.stdin is not None
        request = {"side": side, "ops": ops, "prefix": prefix}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        reply = self._read_reply()
        return {operation: (wall, cpu) for operation, (wall, cpu) in reply.items()}

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        code = self._process.wait(timeout=60)
        if code != 0:
            raise RuntimeError(f"The benchmark worker exited with code {code}")


class WorkerSide:
    """One side, sync or async, of a worker process, as a contender."""

    def __init__(self, name: str, worker: WorkerProcess, side: str) -> None:
        self.name = name
        self._worker = worker
        self._side = side

    def run_turn(self, ops: int, prefix: str) -> dict[str, Sample]:
        return self._worker.request(self._side, ops, prefix)

    def close(self) -> None:
        """Do nothing: the worker process closes its stores when bench.py closes it."""


@dataclass(frozen=True)
class Comparison:
    """A contender measured against a baseline, with optional targets per metric."""

    label: str
    contender: str
    baseline: str
    wall_target: Target | None = None
    cpu_target: Target | None = None


def run_rounds(
    contenders: Sequence[Contender], rounds: int, ops: int, rng: random.Random
) -> dict[str, list[dict[str, Sample]]]:
    """Run a warm-up turn per contender, then ``rounds`` shuffled rounds.

    Return each contender's samples, one entry per round. Keys have the same length for
    every contender, and no two turns share a key.
    """
    for index, contender in enumerate(contenders):
        contender.run_turn(min(ops, 50), f"c{index:02d}w0000k")

    samples: dict[str, list[dict[str, Sample]]] = {contender.name: [] for contender in contenders}
    order = list(enumerate(contenders))
    for round_number in range(rounds):
        rng.shuffle(order)
        for index, contender in order:
            prefix = f"c{index:02d}r{round_number:04d}k"
            samples[contender.name].append(contender.run_turn(ops, prefix))
        print(f"  round {round_number + 1}/{rounds} done", flush=True)
    return samples


def per_op_section(
    samples: dict[str, list[dict[str, Sample]]], labels: dict[str, str], ops: int
) -> Section:
    """Build the table of median wall and CPU time per call of every contender."""
    section = Section("Time per call of every contender")
    section.notes.append(
        "Median over rounds of (block time / calls per block), as wall time / client CPU "
        "time. Client CPU is the calling thread's CPU time in the client process; the "
        "server's work is not in it."
    )
    section.table = [
        "| Contender | set | get | remove |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, rounds in samples.items():
        cells = [labels[name]]
        for operation in OPERATIONS:
            wall = statistics.median(turn[operation][0] / ops for turn in rounds)
            cpu = statistics.median(turn[operation][1] / ops for turn in rounds)
            cells.append(f"{format_duration(wall)} / {format_duration(cpu)}")
        section.table.append("| " + " | ".join(cells) + " |")
    return section


def comparison_rows(
    comparison: Comparison, samples: dict[str, list[dict[str, Sample]]], ops: int
) -> list[Row]:
    """Build the wall and CPU rows of one comparison for every operation."""
    rows = []
    contender_rounds = samples[comparison.contender]
    baseline_rounds = samples[comparison.baseline]
    for operation in OPERATIONS:
        for metric_index, metric, target in (
            (0, "wall", comparison.wall_target),
            (1, "client CPU", comparison.cpu_target),
        ):
            contender = [turn[operation][metric_index] for turn in contender_rounds]
            baseline = [turn[operation][metric_index] for turn in baseline_rounds]
            ratios = [mine / theirs for mine, theirs in zip(contender, baseline, strict=True)]
            ratio, spread = ratio_cells(ratios)
            rows.append(
                Row(
                    comparison=comparison.label,
                    operation=operation,
                    metric=metric,
                    contender=format_duration(statistics.median(contender) / ops),
                    baseline=format_duration(statistics.median(baseline) / ops),
                    ratio=ratio,
                    spread=spread,
                    checked=statistics.median(ratios),
                    target=target,
                )
            )
    return rows


# The comparisons of the single-key table. The contender names are those that bench.py gives.
COMPARISONS = (
    Comparison("A/A control: raw PyMongo sync, client B / client A", "raw-sync-b", "raw-sync-a"),
    Comparison(
        "A/A control: raw PyMongo async, client B / client A", "raw-async-b", "raw-async-a"
    ),
    Comparison(
        "mongokv.sync / raw PyMongo sync",
        "mongokv-sync",
        "raw-sync-a",
        at_most(1.05),
        at_most(1.05),
    ),
    Comparison(
        "mongokv.aio / raw PyMongo async",
        "mongokv-aio",
        "raw-async-a",
        at_most(1.05),
        at_most(1.05),
    ),
    Comparison(
        "mongokv.Mkv outside a loop / mongokv.sync",
        "dispatch-sync",
        "mongokv-sync",
        None,
        at_most(1.02),
    ),
    Comparison(
        "mongokv.Mkv in a loop / mongokv.aio",
        "dispatch-async",
        "mongokv-aio",
        None,
        at_most(1.02),
    ),
    Comparison(
        "mongokv.sync / mongokv 0.4 sync, both in worker processes",
        "worker-sync",
        "legacy-sync",
        at_most(1.0),
        at_most(1.0),
    ),
    Comparison(
        "mongokv.aio / mongokv 0.4 async, both in worker processes",
        "worker-async",
        "legacy-async",
        at_most(1.0),
        at_most(1.0),
    ),
)
