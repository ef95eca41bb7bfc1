"""Batch scoring: a CSV or Parquet file in, a scored file out, in constant memory.

The input is read in chunks, so memory stays flat as files grow. Rows that break the schema do
not stop the run: they go, with the reason, to `<output>.rejects.csv`, so that
rows in = rows scored + rows rejected. The output is written to a temporary file and renamed
at the end: an interrupted run never leaves a partial file at the output path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .data import CSV_TEXT_COLUMNS, INPUT_COLUMNS, SchemaError, find_problems, split_valid, table_format
from .features import columns_from_frame
from .model import DemandModel
from .postprocess import score


@dataclass(frozen=True)
class BatchSummary:
    rows_in: int
    scored: int
    rejected: int
    seconds: float
    output: Path
    rejects: Path | None


def rejects_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.rejects.csv")


def read_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the file as frames of at most `chunk_rows` rows (CSV or Parquet, by extension)."""
    if table_format(path) == "csv":
        yield from pd.read_csv(path, chunksize=chunk_rows, dtype=CSV_TEXT_COLUMNS)
    else:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()


class _AtomicWriter:
    """Appends frames to a hidden temporary file next to `path`; `commit` renames it into place."""

    def __init__(self, path: Path) -> None:
        self.path, self.partial, self.rows = path, path.with_name(f".{path.name}.partial"), 0
        self._parquet: pq.ParquetWriter | None = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        if table_format(self.path) == "csv":
            frame.to_csv(self.partial, mode="a" if self._started else "w", header=not self._started, index=False)
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            self._parquet.write_table(table)
        self._started = True
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()

    def commit(self) -> None:
        self.close()
        self.partial.replace(self.path)

    def discard(self) -> None:
        self.close()
        self.partial.unlink(missing_ok=True)


def score_file(
    model: DemandModel,
    source: Path,
    output: Path,
    *,
    chunk_rows: int = 100_000,
    fail_fast: bool = False,
    on_progress: Callable[[int], None] = lambda rows: None,
) -> BatchSummary:
    """Score every valid row of `source` into `output`; see the module docstring for guarantees."""
    if output.suffix.lower() not in {".csv", ".parquet", ".pq"}:
        raise ValueError(f"unsupported output type '{output.suffix}' for {output}: use .csv or .parquet")
    if not source.exists():
        raise FileNotFoundError(f"input file not found: {source}")
    started = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    scored_out, rejects_out = _AtomicWriter(output), _AtomicWriter(rejects_path(output))
    rows_in = 0
    try:
        for chunk in read_chunks(source, chunk_rows):
            valid, rejected = split_valid(chunk, INPUT_COLUMNS)
            if fail_fast and len(rejected):
                raise SchemaError(find_problems(chunk, INPUT_COLUMNS))
            outputs = score(model, columns_from_frame(valid))
            if len(valid):
                scored_out.write(valid.assign(**{k: v for k, v in outputs.items() if k != "product_id"}))
            if len(rejected):
                rejected.index += rows_in  # row numbers count from the start of the file
                rejects_out.write(rejected.rename_axis("row").reset_index())
            rows_in += len(chunk)
            on_progress(len(chunk))
        if not scored_out.rows:  # nothing valid: still leave a (header-only) output
            scored_out.write(pd.DataFrame(columns=[c.name for c in INPUT_COLUMNS]))
        scored_out.commit()
    except BaseException:
        scored_out.discard()
        rejects_out.discard()
        raise
    if rejects_out.rows:
        rejects_out.commit()
    else:
        rejects_path(output).unlink(missing_ok=True)  # a clean run: drop a stale file from an earlier run
    return BatchSummary(
        rows_in=rows_in,
        scored=scored_out.rows,
        rejected=rejects_out.rows,
        seconds=time.perf_counter() - started,
        output=output,
        rejects=rejects_path(output) if rejects_out.rows else None,
    )
