"""Streaming every key: keys() against a raw PyMongo cursor, by peak memory and by time.

Peak memory growth is what tracemalloc records above the memory in use when the iteration
starts, while the loop only counts the keys and keeps none. tracemalloc traces the memory
that Python's allocators hand out: the dicts and strings that PyMongo's BSON decoder builds
are in it, the buffers of the socket and the TLS layer are not.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import tracemalloc
from collections.abc import Callable
from typing import Any

from pymongo import AsyncMongoClient, MongoClient, monitoring

from benchmarks.report import (
    Row,
    Section,
    below,
    format_duration,
    format_megabytes,
    ratio_cells,
)
from benchmarks.worker import VALUE, Sample, time_block

INSERT_BATCH = 1_000

# keys() must stream: its peak memory growth over the whole collection stays under this.
MEMORY_LIMIT_MB = 10.0


def fill_collection(collection: Any, count: int) -> None:
    """Insert ``count`` documents ``{"_id": "key0000000", "value": VALUE}`` in batches."""
    for start in range(0, count, INSERT_BATCH):
        stop = min(start + INSERT_BATCH, count)
        collection.insert_many(
            [{"_id": f"key{index:07d}", "value": VALUE} for index in range(start, stop)],
            ordered=False,
        )


class _LargestBatch(monitoring.CommandListener):
    """Record the largest number of documents in one find or getMore reply."""

    def __init__(self) -> None:
        self.documents = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name not in ("find", "getMore"):
            return
        cursor = event.reply.get("cursor", {})
        batch = cursor.get("firstBatch", cursor.get("nextBatch", []))
        self.documents = max(self.documents, len(batch))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def largest_server_batch(uri: str, options: dict[str, Any], db_name: str, collection: str) -> int:
    """Read every ``_id`` once through a new client and return the largest batch the server sent.

    A cursor keeps one decoded batch in memory at a time, so the batch size explains the
    peak memory numbers.
    """
    listener = _LargestBatch()
    client: MongoClient[dict[str, Any]] = MongoClient(uri, event_listeners=[listener], **options)
    try:
        for _document in client[db_name][collection].find({}, {"_id": 1}):
            pass
    finally:
        client.close()
    return listener.documents


class StreamBench:
    """The ways to read every key of the collection, each returning how many keys it saw."""

    def __init__(
        self,
        sync_store: Any,
        async_store: Any,
        raw_sync: MongoClient[dict[str, Any]],
        raw_async: AsyncMongoClient[dict[str, Any]],
        db_name: str,
        collection: str,
        runner: asyncio.Runner,
    ) -> None:
        self._sync = sync_store
        self._async = async_store
        self._raw_sync = raw_sync[db_name][collection]
        self._raw_async = raw_async[db_name][collection]
        self._runner = runner
        self.sync_keys_available = hasattr(sync_store, "keys")
        self.async_keys_available = hasattr(async_store, "keys")

    def readers(self) -> dict[str, Callable[[], int]]:
        """Return the available readers by name."""
        readers: dict[str, Callable[[], int]] = {
            "raw-sync": self._read_raw_sync,
            "raw-async": lambda: self._runner.run(self._read_raw_async()),
            "all": lambda: len(self._sync.all()),
        }
        if self.sync_keys_available:
            readers["keys-sync"] = self._read_keys_sync
        if self.async_keys_available:
            readers["keys-async"] = lambda: self._runner.run(self._read_keys_async())
        return readers

    def _read_raw_sync(self) -> int:
        count = 0
        for _document in self._raw_sync.find({}, {"_id": 1}):
            count += 1
        return count

    async def _read_raw_async(self) -> int:
        count = 0
        async for _document in self._raw_async.find({}, {"_id": 1}):
            count += 1
        return count

    def _read_keys_sync(self) -> int:
        count = 0
        for _key in self._sync.keys():  # noqa: SIM118 (a store, not a dict)
            count += 1
        return count

    async def _read_keys_async(self) -> int:
        count = 0
        async for _key in self._async.keys():
            count += 1
        return count


def measure_peak_growth(reader: Callable[[], int], expected: int) -> int:
    """Run ``reader`` under tracemalloc and return its peak memory growth in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        count = reader()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _check_count(count, expected)
    return peak - baseline


def _check_count(count: int, expected: int) -> None:
    if count != expected:
        raise RuntimeError(f"The reader saw {count} keys, expected {expected}")


def run_stream_rounds(
    bench: StreamBench, expected: int, rounds: int, rng: random.Random
) -> tuple[dict[str, list[int]], dict[str, list[Sample]]]:
    """Measure each reader's peak memory growth, then its time, each in shuffled rounds."""
    readers = list(bench.readers().items())
    for _name, reader in readers:
        _check_count(reader(), expected)

    peaks: dict[str, list[int]] = {name: [] for name, _reader in readers}
    times: dict[str, list[Sample]] = {name: [] for name, _reader in readers}
    for round_number in range(rounds):
        rng.shuffle(readers)
        for name, reader in readers:
            peaks[name].append(measure_peak_growth(reader, expected))
        rng.shuffle(readers)
        for name, reader in readers:
            times[name].append(time_block(reader))
        print(f"  streaming round {round_number + 1}/{rounds} done", flush=True)
    return peaks, times


_LABELS = {
    "keys-sync": ("mongokv.sync keys()", "raw-sync", "raw PyMongo sync cursor"),
    "keys-async": ("mongokv.aio keys()", "raw-async", "raw PyMongo async cursor"),
    "all": ("mongokv.sync all(), a list", "raw-sync", "raw PyMongo sync cursor"),
}


def stream_section(
    bench: StreamBench,
    peaks: dict[str, list[int]],
    times: dict[str, list[Sample]],
    expected: int,
    largest_batch: int,
) -> Section:
    """Build the streaming table: peak memory growth, then time, against raw cursors."""
    section = Section(f"Reading all {expected:,} keys")
    section.notes.append(
        "Memory rows: the largest peak growth over the rounds, in MB (10^6 bytes), measured "
        "with tracemalloc; the ratio is contender / raw cursor. Time rows: the time to read "
        "every key; the ratio is contender / raw cursor per round, median over rounds. "
        "`all()` builds a list of every key and is shown for contrast, without a target."
    )
    section.notes.append(
        f"The server sent at most {largest_batch:,} documents per cursor batch in this run, "
        "and a cursor holds one decoded batch at a time, so the peak memory of a streaming "
        "read follows the server's batch size. Another server, MongoDB itself included, "
        "may send larger batches; this run measured only the server under Setup."
    )
    available = {
        "keys-sync": bench.sync_keys_available,
        "keys-async": bench.async_keys_available,
        "all": True,
    }
    for name, (label, baseline_name, baseline_label) in _LABELS.items():
        if not available[name]:
            section.rows.append(
                Row(label, "keys()", "—", "not available in this mongoKV", "—", "—", "—")
            )
            continue

        peak = max(peaks[name])
        baseline_peak = max(peaks[baseline_name])
        section.rows.append(
            Row(
                comparison=f"{label} / {baseline_label}",
                operation="read all",
                metric="peak memory growth",
                contender=format_megabytes(peak),
                baseline=format_megabytes(baseline_peak),
                ratio=f"{peak / baseline_peak:.3f}",
                spread="—",
                checked=peak / 1e6,
                target=below(MEMORY_LIMIT_MB, " MB") if name != "all" else None,
            )
        )
        for metric_index, metric in ((0, "wall"), (1, "client CPU")):
            mine = [sample[metric_index] for sample in times[name]]
            raw = [sample[metric_index] for sample in times[baseline_name]]
            ratio, spread = ratio_cells([a / b for a, b in zip(mine, raw, strict=True)])
            section.rows.append(
                Row(
                    comparison=f"{label} / {baseline_label}",
                    operation="read all",
                    metric=metric,
                    contender=format_duration(statistics.median(mine)),
                    baseline=format_duration(statistics.median(raw)),
                    ratio=ratio,
                    spread=spread,
                )
            )
    return section
