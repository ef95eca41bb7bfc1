"""Batch scoring: a CSV or Parquet file in, a scored file out, in constant memory.

`score_frame` is the one batch scorer: a frame of rows in, the valid ones scored and the others
refused with their reason out. Every engine runs it, this module's in-process one chunk by chunk
and any other (see `engines`) on its own partitions, so that features, the model and the
post-processing never depend on where the rows are scored.

The input is read in chunks, so memory stays flat as files grow. Rows that break the schema,
malformed CSV lines included, do not stop the run: they go, exactly as written and with the
reason and their line (row, for Parquet), to `<output>.rejects.csv`, so that rows in = rows
scored + rows rejected. A file that is wholly unusable (a required column missing, or not one
valid row) is an error. Outputs are written to hidden temporary files and renamed at the end:
an interrupted run never leaves a partial file at an output path, and no run writes over its input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .columns import Columns, Matrix, columns_from_frame
from .config import Settings
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
class ScoredFrame:
    """One frame of input rows, scored: what every batch engine writes."""

    scored: pd.DataFrame  # the valid rows, typed by the schema, with the model's outputs
    rejected: pd.DataFrame  # the other rows, as given
    reasons: pd.Series  # why each of them was refused (on their index)


def score_frame(
    model: TrainedModel, policy: Policy, frame: pd.DataFrame, log: Callable[[Columns, Matrix], None] | None = None
) -> ScoredFrame:
    """Validate a frame against the schema and score its valid rows with `policy.score` (the API's
    path too), handing their columns and predictions to `log`. Pure but for `log`: the same rows
    give the same result in any process, on any engine."""
    valid, rejected, reasons = split_valid(frame, INPUT_COLUMNS)
    columns = columns_from_frame(valid)
    outputs = policy.score(model, columns)
    if log is not None:
        log(columns, outputs[PREDICTION_OUTPUT])
    ids = {c.name for c in SCHEMA.ids}  # already in the row
    return ScoredFrame(valid.assign(**{k: v for k, v in outputs.items() if k not in ids}), rejected, reasons)


def reject_text(rejected: pd.DataFrame) -> pd.DataFrame:
    """Refused rows as text, a missing value as an empty field, whatever engine read them."""
    return rejected.astype(object).where(rejected.notna(), "").astype("str")


@dataclass(frozen=True)
class BatchSummary:
    rows_in: int
    scored: int
    rejected: int
    seconds: float
    output: Path
    rejects: Path | None


#: A batch engine besides this module's (see `engines`): the settings, the input, the output and
#: whether an existing output may be replaced, in; the run's summary out.
Engine = Callable[[Settings, Path, Path, bool], BatchSummary]


def check_new(output: Path, overwrite: bool) -> None:
    """Refuse to replace an earlier run's output unless asked to (`--overwrite`)."""
    if output.exists() and not overwrite:
        raise TableError(f"{output} exists: pass --overwrite to replace it, or choose another output path")


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


def rejects_frame(result: ScoredFrame, label: str, malformed: Sequence[Malformed] = ()) -> pd.DataFrame:
    """Refused rows as they came in (text), led by their line (or row) and the reason, in file order.

    The two leading columns take names the input does not use (`line`, else `_line`, ...).
    """
    names = set(result.rejected.columns)
    where, reason = free_name(label, names), free_name("reason", names)
    rejected = result.rejected
    lines = pd.DataFrame(
        {where: [m.line for m in malformed], reason: [m.reason for m in malformed]},
        dtype=object,
    )
    rows = pd.DataFrame({where: rejected.index, reason: result.reasons}, index=rejected.index)
    return pd.concat([pd.concat([rows, reject_text(rejected)], axis=1), lines], ignore_index=True).sort_values(
        where, kind="stable"
    )


def free_name(name: str, taken: set[str]) -> str:
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
    overwrite: bool = False,
) -> BatchSummary:
    """Score every valid row of `source` into `output` with `policy.score` (the API's path too),
    handing each scored chunk's columns and predictions to `log` (`predlog.BatchLog.write`); see
    the module docstring for guarantees."""
    rejects = rejects_path(output)
    table_format(output)
    check_distinct([source], [output, rejects])
    check_new(output, overwrite)
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
                    result = score_frame(model, policy, chunk.frame, log)  # a failed run logs nothing
                    if fail_fast and (len(result.rejected) or chunk.malformed):
                        _fail_fast(source, chunk, label)
                    if len(result.scored) or not scored_out.rows:  # the first chunk always writes, for the header
                        scored_out.write(result.scored)
                    if len(result.rejected) or chunk.malformed:
                        rejects_out.write(rejects_frame(result, label, chunk.malformed))
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
