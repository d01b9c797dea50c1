"""set_many and get_many of 1,000 keys against 1,000 single set and get calls.

Each round runs every turn once in a new random order: single calls and one batch call,
on the sync and the async side, plus raw PyMongo's bulk_write and ``$in`` query as a
reference for the sync batch. The speed-up is (time of the single calls) / (time of the
batch call) per round, and the table shows its median over rounds.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Callable
from typing import Any

from pymongo import MongoClient, ReplaceOne

from benchmarks.report import Row, Section, at_least, format_duration, ratio_cells
from benchmarks.worker import VALUE, Sample, make_keys, time_async_block, time_block

BATCH_SIZE = 1_000

# How many times faster one batch call must be than BATCH_SIZE single calls.
SPEEDUP_TARGET = 50.0


def _not_available_row(label: str, operation: str) -> Row:
    return Row(label, operation, "—", "not available in this mongoKV", "—", "—", "—")


class BatchBench:
    """The stores, the raw reference client and the turns of the batch benchmark."""

    def __init__(
        self,
        sync_store: Any,
        async_store: Any,
        admin: MongoClient[dict[str, Any]],
        db_name: str,
        collection: str,
        runner: asyncio.Runner,
    ) -> None:
        self._sync = sync_store
        self._async = async_store
        self._collection = admin[db_name][collection]
        self._runner = runner
        self.available = {
            (side, method): hasattr(store, method)
            for side, store in (("sync", sync_store), ("async", async_store))
            for method in ("set_many", "get_many")
        }

    def _check_stored(self, keys: list[str]) -> None:
        stored = self._collection.count_documents({"_id": {"$in": keys}})
        if stored != len(keys):
            raise RuntimeError(
                f"Expected {len(keys)} stored keys after the timed block, found {stored}"
            )

    def _clean_up(self, keys: list[str]) -> None:
        self._collection.delete_many({"_id": {"$in": keys}})

    def sync_singles(self, keys: list[str]) -> dict[str, Sample]:
        set_, get = self._sync.set, self._sync.get

        def set_block() -> None:
            for key in keys:
                set_(key, VALUE)

        def get_block() -> None:
            for key in keys:
                get(key)

        samples = {"set": time_block(set_block), "get": time_block(get_block)}
        self._clean_up(keys)
        return samples

    def sync_batch(self, keys: list[str]) -> dict[str, Sample]:
        samples: dict[str, Sample] = {}
        mapping = dict.fromkeys(keys, VALUE)
        if self.available["sync", "set_many"]:
            samples["set"] = time_block(lambda: self._sync.set_many(mapping))
        else:
            self._collection.insert_many([{"_id": key, "value": VALUE} for key in keys])
        self._check_stored(keys)

        if self.available["sync", "get_many"]:
            found: dict[str, Any] = {}
            samples["get"] = time_block(lambda: found.update(self._sync.get_many(keys)))
            _check_found(found, keys)

        self._clean_up(keys)
        return samples

    def async_singles(self, keys: list[str]) -> dict[str, Sample]:
        return self._runner.run(self._async_singles(keys))

    async def _async_singles(self, keys: list[str]) -> dict[str, Sample]:
        set_, get = self._async.set, self._async.get

        async def set_block() -> None:
            for key in keys:
                await set_(key, VALUE)

        async def get_block() -> None:
            for key in keys:
                await get(key)

        samples = {
            "set": await time_async_block(set_block),
            "get": await time_async_block(get_block),
        }
        self._clean_up(keys)
        return samples

    def async_batch(self, keys: list[str]) -> dict[str, Sample]:
        return self._runner.run(self._async_batch(keys))

    async def _async_batch(self, keys: list[str]) -> dict[str, Sample]:
        samples: dict[str, Sample] = {}
        mapping = dict.fromkeys(keys, VALUE)
        if self.available["async", "set_many"]:

            async def set_many() -> None:
                await self._async.set_many(mapping)

            samples["set"] = await time_async_block(set_many)
        else:
            self._collection.insert_many([{"_id": key, "value": VALUE} for key in keys])
        self._check_stored(keys)

        if self.available["async", "get_many"]:
            found: dict[str, Any] = {}

            async def get_many() -> None:
                found.update(await self._async.get_many(keys))

            samples["get"] = await time_async_block(get_many)
            _check_found(found, keys)

        self._clean_up(keys)
        return samples

    def raw_batch(self, keys: list[str]) -> dict[str, Sample]:
        """Time the plain PyMongo batch calls: one unordered bulk_write and one ``$in`` find."""
        collection = self._collection

        def set_block() -> None:
            requests = [
                ReplaceOne({"_id": key}, {"_id": key, "value": VALUE}, upsert=True) for key in keys
            ]
            collection.bulk_write(requests, ordered=False)

        found: dict[str, Any] = {}

        def get_block() -> None:
            for document in collection.find({"_id": {"$in": keys}}):
                found[document["_id"]] = document["value"]

        samples = {"set": time_block(set_block)}
        self._check_stored(keys)
        samples["get"] = time_block(get_block)
        _check_found(found, keys)
        self._clean_up(keys)
        return samples


def _check_found(found: dict[str, Any], keys: list[str]) -> None:
    if len(found) != len(keys):
        raise RuntimeError(f"The batch read returned {len(found)} of {len(keys)} keys")


def run_batch_rounds(
    bench: BatchBench, rounds: int, rng: random.Random
) -> dict[str, list[dict[str, Sample]]]:
    """Run a warm-up turn of each kind, then ``rounds`` rounds in a new random order each."""
    turns: dict[str, Callable[[list[str]], dict[str, Sample]]] = {
        "sync-singles": bench.sync_singles,
        "sync-batch": bench.sync_batch,
        "async-singles": bench.async_singles,
        "async-batch": bench.async_batch,
        "raw-batch": bench.raw_batch,
    }
    for index, turn in enumerate(turns.values()):
        turn(make_keys(f"b{index}w0000k", 100))

    samples: dict[str, list[dict[str, Sample]]] = {name: [] for name in turns}
    order = list(enumerate(turns.items()))
    for round_number in range(rounds):
        rng.shuffle(order)
        for index, (name, turn) in order:
            samples[name].append(turn(make_keys(f"b{index}r{round_number:04d}k", BATCH_SIZE)))
        print(f"  batch round {round_number + 1}/{rounds} done", flush=True)
    return samples


def _speedup_rows(
    label: str,
    singles: list[dict[str, Sample]],
    batch: list[dict[str, Sample]],
    operation: str,
) -> list[Row]:
    rows = []
    for metric_index, metric in ((0, "wall"), (1, "client CPU")):
        single_times = [turn[operation][metric_index] for turn in singles]
        batch_times = [turn[operation][metric_index] for turn in batch]
        speedups = [one / many for one, many in zip(single_times, batch_times, strict=True)]
        ratio, spread = ratio_cells(speedups, digits=1)
        rows.append(
            Row(
                comparison=label,
                operation=operation,
                metric=metric,
                contender=format_duration(statistics.median(batch_times)),
                baseline=format_duration(statistics.median(single_times)),
                ratio=ratio,
                spread=spread,
                checked=statistics.median(speedups),
                # The goal is about the time a caller waits, so only wall time has a target.
                target=at_least(SPEEDUP_TARGET) if metric == "wall" else None,
            )
        )
    return rows


def batch_section(bench: BatchBench, samples: dict[str, list[dict[str, Sample]]]) -> Section:
    """Build the batch table: speed-ups over single calls, and mongoKV against raw PyMongo."""
    section = Section(f"Batch calls of {BATCH_SIZE:,} keys")
    section.notes.append(
        f"Contender: one batch call of {BATCH_SIZE:,} keys. Baseline: {BATCH_SIZE:,} single "
        "calls on the same side. Ratio: the speed-up, baseline time / contender time, median "
        "over rounds; higher is better."
    )
    methods = {"set": "set_many", "get": "get_many"}
    for side, module in (("sync", "mongokv.sync"), ("async", "mongokv.aio")):
        for operation, method in methods.items():
            label = f"{module}.{method} / {BATCH_SIZE:,} x {module}.{operation}"
            if not bench.available[side, method]:
                section.rows.append(_not_available_row(label, operation))
                continue
            section.rows.extend(
                _speedup_rows(
                    label, samples[f"{side}-singles"], samples[f"{side}-batch"], operation
                )
            )

    for operation, method in methods.items():
        label = f"mongokv.sync.{method} / raw PyMongo batch call"
        if not bench.available["sync", method]:
            section.rows.append(_not_available_row(label, operation))
            continue
        for metric_index, metric in ((0, "wall"), (1, "client CPU")):
            mine = [turn[operation][metric_index] for turn in samples["sync-batch"]]
            raw = [turn[operation][metric_index] for turn in samples["raw-batch"]]
            ratio, spread = ratio_cells([a / b for a, b in zip(mine, raw, strict=True)])
            section.rows.append(
                Row(
                    comparison=label,
                    operation=operation,
                    metric=metric,
                    contender=format_duration(statistics.median(mine)),
                    baseline=format_duration(statistics.median(raw)),
                    ratio=ratio,
                    spread=spread,
                )
            )
    section.notes.append(
        "The raw PyMongo batch calls are `bulk_write` of unordered `ReplaceOne` upserts and "
        "`find({'_id': {'$in': keys}})` read into a dict. For those rows the ratio is "
        "mongoKV time / raw time, lower is better."
    )
    return section
