"""The prediction log: the scored records, with their prediction, model version, request id and
time, in Parquet files partitioned by day, which `monitor` reads.

The API never waits for the disk: `/predict` hands its columns to a bounded buffer and returns;
a background thread writes what accumulated every `flush_seconds` to a new file. When the
buffer is full the records are dropped and counted (`/metrics`), never held without bound.
Batch scoring writes the same schema, one file per run. Files are written to a hidden
temporary name and renamed when complete, so a reader never sees half a file.

    <prediction_log_dir>/logged_date=2026-11-28/api-20261128T101500Z-1a2b3c4d.parquet

The directories are Hive partitions (`logged_date`), which Spark, DuckDB and pyarrow datasets read.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .columns import Columns, Matrix
from .contract import DeclarationError
from .schema import SCHEMA
from .tables import atomic_path

logger = logging.getLogger(__name__)

_ARROW_TYPES = {"date": pa.date32(), "string": pa.string(), "float": pa.float64(), "int": pa.float64()}
#: The columns every record carries besides the request's: when, by which model, for which request.
LOGGED_AT, MODEL_VERSION, REQUEST_ID, SOURCE, PREDICTION = (
    "logged_at",
    "model_version",
    "request_id",
    "source",
    "prediction",
)
#: The day partition of the log's directories.
PARTITION = "logged_date"
_TAKEN = sorted(
    {LOGGED_AT, MODEL_VERSION, REQUEST_ID, SOURCE, PREDICTION, PARTITION} & {c.name for c in SCHEMA.request}
)
if _TAKEN:
    raise DeclarationError(
        f"column(s) {_TAKEN} of the schema have names the prediction log uses for itself: rename them in schema.py"
    )
LOG_SCHEMA = pa.schema(
    [
        pa.field(LOGGED_AT, pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field(MODEL_VERSION, pa.string(), nullable=False),
        pa.field(REQUEST_ID, pa.string(), nullable=False),
        pa.field(SOURCE, pa.string(), nullable=False),
        *(pa.field(c.name, _ARROW_TYPES[c.kind]) for c in SCHEMA.request),
        pa.field(PREDICTION, pa.float64()),
    ]
)
#: Counts by outcome: "logged", "dropped" (the buffer was full), "failed" (the write failed).
Count = Callable[[str, int], None]


class Scored(NamedTuple):
    """One request's (or chunk's) scored records, as `log_table` takes them."""

    columns: Columns
    predictions: Matrix
    model_version: str
    request_id: str
    logged_at: float


def log_table(batches: list[Scored], source: str) -> pa.Table:
    """Records as one table of `LOG_SCHEMA`. A request's constants (version, id, source) are
    gathered by Arrow, not copied row by row from Python strings: that was 3/4 of the cost."""
    sizes = [len(b.predictions) for b in batches]
    stamps = np.repeat(np.array([b.logged_at for b in batches]) * 1000, sizes).astype("int64")
    owner = pa.array(np.repeat(np.arange(len(batches)), sizes))  # each row's batch

    def repeated(values: list[str]) -> pa.Array:
        return pa.array(values, pa.string()).take(owner)

    arrays: list[pa.Array] = [
        pa.array(stamps, pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        repeated([b.model_version for b in batches]),
        repeated([b.request_id for b in batches]),
        repeated([source] * len(batches)),
    ]
    for column in SCHEMA.request:
        values = np.concatenate([b.columns[column.name] for b in batches])
        arrays.append(pa.array(values, _ARROW_TYPES[column.kind], from_pandas=True))
    arrays.append(pa.array(np.concatenate([b.predictions for b in batches]), pa.float64(), from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=LOG_SCHEMA)


def log_file(directory: Path, source: str, when: float) -> Path:
    """A new file's path: in its day's partition, named by source, time and a random suffix."""
    moment = datetime.fromtimestamp(when, UTC)
    name = f"{source}-{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}.parquet"
    return directory / f"{PARTITION}={moment:%Y-%m-%d}" / name


def write_log(table: pa.Table, path: Path) -> None:
    """Write one log file atomically (readers never see a partial one)."""
    with atomic_path(path) as partial:
        pq.write_table(table, partial, compression="zstd")


class PredictionLog:
    """The API's log: `submit` appends a request's records to a bounded buffer and returns; a
    background thread wakes every `flush_seconds` and writes what accumulated to one file. Use
    as a context manager (or `start` and `close`): closing writes what is left.

    The buffer is a deque, not a `queue.Queue`: appending takes no lock and wakes no thread, so
    the request path pays about a microsecond (a queue's notify on every put cost 20% of
    /predict's throughput, measured)."""

    def __init__(
        self,
        directory: Path,
        *,
        sample: float = 1.0,
        max_pending: int = 10_000,
        flush_seconds: float = 60.0,
        count: Count = lambda outcome, rows: None,
    ) -> None:
        self.directory, self.sample, self.max_pending = directory, sample, max_pending
        self.flush_seconds, self._count = flush_seconds, count
        self._pending: deque[Scored] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)

    def __enter__(self) -> PredictionLog:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def submit(self, columns: Columns, predictions: Matrix, model_version: str, request_id: str) -> None:
        """Buffer one request's records (kept with probability `sample`); never blocks."""
        if self.sample < 1.0 and random.random() >= self.sample:
            return
        if len(self._pending) >= self.max_pending:
            self._count("dropped", len(predictions))
            return
        self._pending.append(Scored(columns, predictions, model_version, request_id, time.time()))

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered, then stop the writer (waiting at most `timeout` seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        else:
            self._flush()

    def _drain(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        batches = [self._pending.popleft() for _ in range(len(self._pending))]
        if not batches:
            return
        rows = sum(len(b.predictions) for b in batches)
        try:
            write_log(log_table(batches, "api"), log_file(self.directory, "api", batches[0].logged_at))
        except Exception as error:  # a full disk must not stop the service: count and say it
            self._count("failed", rows)
            logger.warning("prediction log not written", extra={"rows": rows, "error": str(error)})
        else:
            self._count("logged", rows)


class BatchLog:
    """Batch scoring's log: one file per run, written as chunks are scored and renamed into
    place when the run completes (a failed run logs nothing: it delivered nothing)."""

    def __init__(self, directory: Path, model_version: str, sample: float = 1.0, seed: int | None = None) -> None:
        self.model_version, self.sample = model_version, sample
        self.request_id = uuid.uuid4().hex
        self.path = log_file(directory, "batch", time.time())
        self.rows = 0
        self._rng = np.random.default_rng(seed)
        self._writer: pq.ParquetWriter | None = None
        self._files = ExitStack()

    def __enter__(self) -> BatchLog:
        self._partial = self._files.enter_context(atomic_path(self.path, optional=True))
        return self

    def write(self, columns: Columns, predictions: Matrix) -> None:
        """Log a scored chunk (each row kept with probability `sample`)."""
        if self.sample < 1.0:
            keep = self._rng.random(len(predictions)) < self.sample
            columns, predictions = {k: v[keep] for k, v in columns.items()}, predictions[keep]
        if not len(predictions):
            return
        table = log_table([Scored(columns, predictions, self.model_version, self.request_id, time.time())], "batch")
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._partial, LOG_SCHEMA, compression="zstd")
        self._writer.write_table(table)
        self.rows += len(predictions)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._writer is not None:
            self._writer.close()
        self._files.__exit__(kind, error, tb)


def read_log(
    directory: Path, since: datetime | None = None, columns: list[str] | None = None
) -> tuple[pa.Table, list[str]]:
    """Every record logged in `directory` at or after `since` (only `columns`, if given), and one
    line per file skipped: a file that cannot be read (corrupt, or cut short) or that has
    another schema is named and left out, never mixed in."""
    tables, skipped = [], []
    first_day = f"{PARTITION}={since:%Y-%m-%d}" if since else ""
    for path in sorted(directory.glob(f"{PARTITION}=*/*.parquet")):
        if path.parent.name < first_day or path.name.startswith("."):  # whole days before `since`; partial files
            continue
        try:
            schema = pq.read_schema(path)
            if not schema.equals(LOG_SCHEMA):
                skipped.append(f"{path}: another schema (its columns: {', '.join(schema.names)})")
                continue
            tables.append(pq.read_table(path, columns=columns))
        except (OSError, pa.ArrowException) as error:
            skipped.append(f"{path}: cannot be read ({error})")
    empty = LOG_SCHEMA.empty_table()
    table = pa.concat_tables(tables) if tables else empty.select(columns) if columns else empty
    if since is not None:
        table = table.filter(pc.greater_equal(table[LOGGED_AT], pa.scalar(since, pa.timestamp("ms", tz="UTC"))))
    return table, skipped
