"""Read and write tables (CSV or Parquet) without changing a value or losing a file.

- CSV is read as text, every column, so checks see each value exactly as written (an id
  `NA` stays `NA`, `-1` stays `-1`); only an empty field is missing.
- Each row keeps its place in the file as the frame's index: the line for CSV (the header
  is line 1), the row for Parquet (the first is row 1). Every message names it that way.
- A CSV line with the wrong number of fields does not stop a read: it is handed back as a
  `Malformed` row, with its line and text, for the caller to reject.
- A file that cannot be read as a table (empty, compressed, another encoding, another
  delimiter, a duplicated column) gets one `TableError` naming the file and the likely cause.
- An input written `<scheme>:...` is read by the reader `sources.SOURCES` holds for that scheme
  (a data store's): its rows go to the same checks, counted from 1 as in Parquet.
- Every write goes to a hidden temporary file beside the target, renamed into place only
  when complete; `check_distinct` refuses a run whose output would replace its input.
"""

from __future__ import annotations

import codecs
import csv
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .sources import SOURCES, Reader

TableFormat = Literal["csv", "parquet"]
_SNIFF_BYTES = 1 << 16
#: Cells that a spreadsheet would run as a formula start with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """A file that cannot be read or written as a table; the message names it and the cause."""


def table_format(path: Path) -> TableFormat:
    """The file format, from the extension; any other extension is refused with a clear message."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    raise TableError(f"unsupported file type '{path.suffix}' for {path}: use .csv or .parquet")


def row_label(path: Path) -> str:
    """How the rows of `path` are counted in messages: "line" for CSV, "row" for the others."""
    return "row" if source_of(path) else "line" if table_format(path) == "csv" else "row"


def source_of(path: Path) -> tuple[Reader, str] | None:
    """The reader of an input written `<scheme>:...` and what follows the scheme; None for a file."""
    scheme, colon, rest = str(path).partition(":")
    return (SOURCES[scheme], rest) if colon and scheme in SOURCES else None


def exists(path: Path) -> bool:
    """Whether there is something to read at `path`: a file, or an input that names a source."""
    return source_of(path) is not None or path.exists()


@dataclass(frozen=True)
class Malformed:
    """A CSV line that could not be split into the header's fields."""

    line: int
    reason: str


@dataclass
class Chunk:
    """Consecutive rows of a file (indexed by their line or row) and the malformed lines among them."""

    frame: pd.DataFrame
    malformed: list[Malformed] = field(default_factory=list)


def check_distinct(reads: Sequence[Path], writes: Sequence[Path]) -> None:
    """Refuse, before anything is read, a run that would write over a file it reads."""
    for target in writes:
        for source in reads:
            if _same_file(source, target):
                raise TableError(
                    f"the output {target} is the input {source}: writing it would destroy the input; "
                    "choose another output path"
                )


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def read_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """Yield the file as chunks of at most `chunk_rows` rows, in constant memory."""
    if source := source_of(path):
        reader, rest = source
        yield from (Chunk(frame) for frame in reader(rest, chunk_rows))
        return
    if table_format(path) == "csv":
        yield from _csv_chunks(path, chunk_rows)
        return
    parquet = _open_parquet(path)
    first = 1
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame.index = pd.RangeIndex(first, first + len(frame))
        first += len(frame)
        yield Chunk(frame)


def read_table(path: Path) -> pd.DataFrame:
    """Read a whole file; a malformed CSV line is an error here (training data must be whole)."""
    chunks = list(read_chunks(path, chunk_rows=1 << 20))
    malformed = [m for chunk in chunks for m in chunk.malformed]
    if malformed:
        shown = "; ".join(f"line {m.line}: {m.reason}" for m in malformed[:3])
        raise TableError(f"{path} has {len(malformed)} malformed line(s): {shown}")
    return pd.concat([chunk.frame for chunk in chunks])


def _open_parquet(path: Path) -> pq.ParquetFile:
    _check_readable(path)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise TableError(f"{path} is not a readable Parquet file ({error})") from error
    _check_header(path, parquet.schema_arrow.names)
    return parquet


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    if not path.is_file():
        raise TableError(f"{path} is not a file (a directory?): give the path of a .csv or .parquet file")


def _check_header(path: Path, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise TableError(f"{path}: column '{name}' appears more than once in the header; each name must be unique")
        seen.add(name)


def _sniff_csv(path: Path) -> list[str]:
    """The header's column names, after refusing what is plainly not UTF-8 comma-separated text."""
    _check_readable(path)
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    if not head.strip():
        raise TableError(f"{path} is empty: a CSV file starts with a header line naming its columns")
    if head.startswith(b"\x1f\x8b"):
        raise TableError(f"{path} is gzip-compressed: decompress it first (gunzip) or write Parquet instead")
    if head.startswith(b"PAR1"):
        raise TableError(f"{path} is a Parquet file: name it with a .parquet extension")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError(f"{path} is UTF-16 text: save it as UTF-8")
    if b"\x00" in head:
        raise TableError(f"{path} holds binary data, not CSV text")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error.start) from error
    names = next(csv.reader(text.splitlines()[:1]), [])
    _check_header(path, names)
    if len(names) == 1:
        for delimiter in (";", "\t", "|"):
            if delimiter in names[0]:
                raise TableError(f"{path} seems to use {delimiter!r} as its delimiter: CSV files here use ','")
    return names


def _not_utf8(path: Path, offset: int | None = None) -> TableError:
    where = f" (invalid byte at offset {offset})" if offset is not None else ""
    return TableError(f"{path} is not UTF-8 text{where}: it may be Latin-1 or Windows-1252; save it as UTF-8")


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    names = _sniff_csv(path)
    bad: list[Malformed] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        reason = f"malformed line: expected {row.expected_columns} fields, found {row.actual_columns}"
        bad.append(Malformed(int(row.number or 0), reason))
        return "skip"

    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[""], strings_can_be_null=True
            ),
        )
        emitted, reported = 0, 0
        for table in _rechunk(reader, chunk_rows):
            frame = table.to_pandas()
            frame.index = _line_numbers(emitted, len(frame), [m.line for m in bad])
            emitted += len(frame)
            yield Chunk(frame, bad[reported:])
            reported = len(bad)
        if reported < len(bad):
            yield Chunk(pd.DataFrame({name: pd.Series(dtype="str") for name in names}), bad[reported:])
    except pa.ArrowInvalid as error:
        if "UTF8" in str(error):
            raise _not_utf8(path) from error
        raise TableError(f"{path} cannot be read as CSV: {error}") from error


def _rechunk(reader: pa_csv.CSVStreamingReader, rows: int) -> Iterator[pa.Table]:
    """Regroup the reader's batches (sized in bytes) into tables of exactly `rows` rows, the last shorter."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            yield table.slice(0, rows)
            pending, count = table.slice(rows).to_batches(), count - rows
    if count or not pending:
        yield pa.Table.from_batches(pending, schema=reader.schema)


def _line_numbers(start: int, count: int, malformed_lines: list[int]) -> pd.Index:
    """Lines of the well-formed rows start .. start + count - 1 (0-based), skipping malformed lines.

    Data starts on line 2. The k-th well-formed row sits k lines in, plus one line for every
    malformed line before it.
    """
    skipped = np.sort(np.asarray(malformed_lines, dtype=np.int64)) - 2
    ordinal = np.arange(start, start + count)
    before = np.searchsorted(skipped - np.arange(len(skipped)), ordinal, side="right")
    lines: pd.Index = pd.Index(ordinal + before + 2)
    return lines


def partial_path(path: Path) -> Path:
    """The hidden temporary file `atomic_path` writes before it becomes `path`."""
    return path.with_name(f".{path.name}.partial")


def written_path(path: Path) -> Path:
    """The file the user asked for, given a path that may be its `partial_path`."""
    if path.name.startswith(".") and path.name.endswith(".partial"):
        return path.with_name(path.name[1 : -len(".partial")])
    return path


@contextmanager
def atomic_path(path: Path, *, optional: bool = False) -> Iterator[Path]:
    """A hidden temporary path beside `path`, renamed to `path` when the block completes.

    On any error, an interrupt included, the temporary file is removed and `path` is untouched.
    Its name is fixed, so a run killed outright (SIGKILL) leaves at most one hidden file, which
    the next run to the same path overwrites. With `optional`, a block that writes nothing
    leaves no file at `path` (one from an earlier run is removed: it would describe another run).
    The block may write a folder there instead of a file (Spark's output): it replaces a folder.
    """
    partial = partial_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove(partial)
        yield partial
        if optional and not partial.exists():
            _remove(path)
        elif partial.is_dir() and path.exists():  # a folder cannot be renamed over another
            earlier = path.with_name(f".{path.name}.old")
            _remove(earlier)
            path.rename(earlier)
            partial.rename(path)
            _remove(earlier)
        else:
            partial.replace(path)
    except BaseException:
        _remove(partial)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as partial:
        partial.write_text(text, encoding="utf-8")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV or Parquet file atomically, chosen by extension."""
    csv_output = table_format(path) == "csv"
    with atomic_path(path) as partial:
        if csv_output:
            escape_formulas(frame).to_csv(partial, index=False)
        else:
            frame.to_parquet(partial, index=False)


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with `'` (as CSV exporters do).

    A cell is escaped when it starts with `=`, `@`, a tab or a carriage return, or with `+` or `-`
    and is not a number; numbers such as `-1` are left as they are.
    """
    escaped = {}
    for name in frame.columns:
        values = frame[name]
        if values.dtype.kind not in "OSUT" and not isinstance(values.dtype, pd.StringDtype):
            continue
        text = values.astype("str")
        risky = np.array(text.str.startswith(_FORMULA_START).fillna(False), dtype=bool)
        signed = np.array(text.str.startswith(("+", "-")).fillna(False), dtype=bool)
        if signed.any():  # only these few cells pay for the number check
            risky[signed] = pd.to_numeric(text[signed], errors="coerce").isna().to_numpy()
        if risky.any():
            escaped[name] = values.mask(pd.Series(risky, index=values.index), "'" + text)
    return frame.assign(**escaped) if escaped else frame
