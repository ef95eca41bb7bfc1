"""Batch scoring: a CSV or Parquet file in, a scored file out, in constant memory.

The input is read in chunks, so memory stays flat as files grow. Rows that break the schema,
malformed CSV lines included, do not stop the run: they go, exactly as written and with the
reason and their line (row, for Parquet), to `<output>.rejects.csv`, so that rows in = rows
scored + rows rejected. A file that is wholly unusable (a required column missing, or not one
valid row) is an error. Outputs are written to hidden temporary files and renamed at the end:
an interrupted run never leaves a partial file at an output path, and no run writes over its input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .columns import Columns, Matrix, columns_from_frame
from .model import TrainedModel
from .postprocess import PREDICTION_OUTPUT, Policy
from .schema import SCHEMA
from .tables import (
    Chunk,
    Malformed,
    TableError,
    atomic_path,
    check_distinct,
    escape_formulas,
    read_chunks,
    row_label,
    table_format,
)
from .validation import INPUT_COLUMNS, SchemaError, find_problems, split_valid


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


class _Appender:
    """Appends frames to an open temporary file (see `tables.atomic_path`), CSV or Parquet."""

    def __init__(self, partial: Path, csv: bool) -> None:
        self.partial, self.csv, self.rows = partial, csv, 0
        self._parquet: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.csv:
            escape_formulas(frame).to_csv(
                self.partial, mode="a" if self.rows else "w", header=not self.rows, index=False
            )
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            self._parquet.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def _rejects_frame(chunk: Chunk, rejected: pd.DataFrame, reasons: pd.Series, label: str) -> pd.DataFrame:
    """Rejected rows as they came in, led by their line (or row) and the reason.

    The two leading columns take names the input does not use (`line`, else `_line`, ...).
    """
    names = set(chunk.frame.columns)
    where, reason = _free_name(label, names), _free_name("reason", names)
    body = rejected.astype("str")
    malformed = pd.DataFrame(
        {where: [m.line for m in chunk.malformed], reason: [m.reason for m in chunk.malformed]},
        dtype=object,
    )
    rows = pd.concat([pd.DataFrame({where: rejected.index, reason: reasons}, index=rejected.index), body], axis=1)
    return pd.concat([rows, malformed], ignore_index=True).sort_values(where, kind="stable")


def _free_name(name: str, taken: set[str]) -> str:
    while name in taken:
        name = f"_{name}"
    return name


def score_file(
    model: TrainedModel,
    policy: Policy,
    source: Path,
    output: Path,
    *,
    chunk_rows: int = 100_000,
    fail_fast: bool = False,
    on_progress: Callable[[int], None] = lambda rows: None,
    log: Callable[[Columns, Matrix], None] | None = None,
) -> BatchSummary:
    """Score every valid row of `source` into `output` with `policy.score` (the API's path too),
    handing each scored chunk's columns and predictions to `log` (`predlog.BatchLog.write`); see
    the module docstring for guarantees."""
    rejects = rejects_path(output)
    table_format(output)
    check_distinct([source], [output, rejects])
    started = time.perf_counter()
    label = row_label(source)
    rows_in = 0
    with atomic_path(output) as scored_partial:
        scored_out = _Appender(scored_partial, table_format(output) == "csv")
        with atomic_path(rejects, optional=True) as rejects_partial:
            rejects_out = _Appender(rejects_partial, csv=True)
            try:
                for chunk in read_chunks(source, chunk_rows):
                    _check_columns(source, chunk)
                    valid, rejected, reasons = split_valid(chunk.frame, INPUT_COLUMNS)
                    if fail_fast and (len(rejected) or chunk.malformed):
                        _fail_fast(source, chunk, label)
                    if len(valid) or not scored_out.rows:  # the first chunk always writes, for the header
                        columns = columns_from_frame(valid)
                        outputs = policy.score(model, columns)
                        if log is not None:
                            log(columns, outputs[PREDICTION_OUTPUT])
                        ids = {c.name for c in SCHEMA.ids}  # already in the row
                        scored_out.write(valid.assign(**{k: v for k, v in outputs.items() if k not in ids}))
                    if len(rejected) or chunk.malformed:
                        rejects_out.write(_rejects_frame(chunk, rejected, reasons, label))
                    rows_in += len(chunk.frame) + len(chunk.malformed)
                    on_progress(len(chunk.frame) + len(chunk.malformed))
            finally:
                scored_out.close()
                rejects_out.close()
        if rows_in and rows_in == rejects_out.rows:  # the rejects file stays, to say why
            raise TableError(f"none of the {rows_in:,} rows of {source} is valid: see {rejects} for the reasons")
    return BatchSummary(
        rows_in=rows_in,
        scored=scored_out.rows,
        rejected=rejects_out.rows,
        seconds=time.perf_counter() - started,
        output=output,
        rejects=rejects if rejects_out.rows else None,
    )


def _check_columns(source: Path, chunk: Chunk) -> None:
    """A required column missing makes every row invalid: that is an error about the file, not its rows."""
    absent = [c.name for c in INPUT_COLUMNS if c.name not in chunk.frame.columns]
    if absent:
        raise TableError(
            f"{source} lacks the required column(s) {absent}; it has {list(map(str, chunk.frame.columns))}"
        )


def _fail_fast(source: Path, chunk: Chunk, label: str) -> None:
    problems = find_problems(chunk.frame, INPUT_COLUMNS)
    first: Malformed | None = chunk.malformed[0] if chunk.malformed else None
    if first is not None and (not problems or first.line < min(p.first for p in problems)):
        raise TableError(f"{source}, line {first.line}: {first.reason}")
    raise SchemaError(problems, label)
