"""Check rows against the schema, one vectorized pass per column, and name what is wrong.

One rule per kind of column, whatever the source (CSV text, typed Parquet, API records):
dates are calendar days written `YYYY-MM-DD` (never a time of day or a time zone), booleans
are never numbers, empty text is missing. `find_problems` and `validate` report every broken
rule with its column, count and the line (or row) of the first offender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import Column
from .schema import SCHEMA

#: The columns of a prediction request (all but the target), and of the training data.
INPUT_COLUMNS: tuple[Column, ...] = SCHEMA.request
TRAINING_COLUMNS: tuple[Column, ...] = SCHEMA.columns


@dataclass(frozen=True)
class Problem:
    """Rows of one column that break one rule of the schema."""

    column: str
    message: str
    rows: np.ndarray  # boolean mask over the frame's rows
    first: int = -1  # where the first of them sits in its file (the frame's index)

    def describe(self, label: str = "line") -> str:
        count = int(self.rows.sum())
        noun = "row" if count == 1 else "rows"
        return f"column '{self.column}': {count} {noun} {self.message} (first at {label} {self.first})"


class SchemaError(ValueError):
    """The data breaks the schema; the message lists every problem found."""

    def __init__(self, problems: list[Problem], label: str = "line") -> None:
        self.problems = problems
        super().__init__("data does not match the schema:\n  " + "\n  ".join(p.describe(label) for p in problems))


def find_problems(frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS) -> list[Problem]:
    """Check every column and return each broken rule with the rows that break it."""
    return _check(frame, columns)[0]


def validate(frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS, label: str = "line") -> pd.DataFrame:
    """Return the frame with typed columns, or raise SchemaError listing every problem.

    The frame's index says where each row sits in its file (`label` N), as `tables` reads it.
    """
    problems, parsed = _check(frame, columns)
    if problems:
        raise SchemaError(problems, label)
    return _typed(parsed, columns)


def split_valid(
    frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Split rows into the valid ones (typed), the rejected ones (as given) and why each was rejected."""
    problems, parsed = _check(frame, columns)
    bad = np.zeros(len(frame), bool)
    reasons = np.full(len(frame), "", dtype=object)
    for problem in problems:
        reasons[problem.rows] += f"{problem.column}: {problem.message}; "
        bad |= problem.rows
    why = pd.Series([r.rstrip("; ") for r in reasons[bad]], index=frame.index[bad], dtype=object)
    return _typed(parsed[~bad], columns), frame[bad], why


def _check(frame: pd.DataFrame, columns: tuple[Column, ...]) -> tuple[list[Problem], pd.DataFrame]:
    """Every broken rule with its rows, and the values parsed to their kind (unparsable: missing).

    Vectorized per column, and each column is parsed once: the checks and the typed result
    share the work, so validation costs the same per row for ten rows or ten million.
    """
    found: list[tuple[str, str, np.ndarray]] = []
    parsed: dict[str, pd.Series[Any]] = {}
    for column in columns:
        if column.name not in frame.columns:
            found.append((column.name, "missing: the column is required", np.ones(len(frame), bool)))
            parsed[column.name] = pd.Series(np.nan, index=frame.index)
            continue
        values = frame[column.name]
        parsed[column.name] = _parse(column, values)
        broken = _column_problems(column, values, parsed[column.name])
        found.extend((column.name, message, rows) for message, rows in broken)
    index = frame.index.to_numpy()
    problems = [Problem(name, text, rows, int(index[np.argmax(rows)])) for name, text, rows in found if rows.any()]
    return problems, pd.DataFrame(parsed, index=frame.index)


def _column_problems(column: Column, values: pd.Series, parsed: pd.Series) -> list[tuple[str, np.ndarray]]:
    textual = values.dtype.kind == "O" or isinstance(values.dtype, pd.StringDtype)
    text = values.astype("str") if textual else None
    missing = values.isna().to_numpy(bool)  # missing: no value, or empty text (CSV's only "unknown")
    if text is not None:
        missing = missing | (text == "").fillna(False).to_numpy(bool)
    found: list[tuple[str, np.ndarray]] = []
    if not column.nullable:
        found.append(("missing: a value is required", missing))
    if column.kind == "string":
        text = values.astype("str") if text is None else text
        if column.allowed is not None:
            found.append((f"not one of {list(column.allowed)}", ~missing & ~text.isin(column.allowed).to_numpy(bool)))
        if column.max_length is not None:
            too_long = text.str.len().fillna(0).to_numpy() > column.max_length
            found.append((f"longer than {column.max_length} characters", ~missing & too_long))
        return found
    found.append((f"not {EXPECTED[column.kind]}", ~missing & parsed.isna().to_numpy()))
    if column.kind != "date":
        number = parsed.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            out_of_range = np.isinf(number)
            if column.minimum is not None:
                out_of_range |= number < column.minimum
            if column.maximum is not None:
                out_of_range |= number > column.maximum
            if column.kind == "int":
                found.append(("not a whole number", np.isfinite(number) & (number % 1 != 0)))
        found.append((f"out of range: allowed {column.describe_bounds()}", out_of_range))
    return found


#: What each kind of column accepts, in the words of an error message.
EXPECTED = {
    "date": "a date (YYYY-MM-DD, without time of day or time zone)",
    "float": "a number",
    "int": "a whole number",
}
#: A date as text: exactly `YYYY-MM-DD`. The API and the file readers both apply this rule.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> date:
    """One date given as text, by the same rule as a file's date column; ValueError otherwise."""
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass  # e.g. 2024-02-30: the right shape, but no such day
    raise ValueError(f"must be {EXPECTED['date']}")


def _parse(column: Column, values: pd.Series) -> pd.Series:
    """Values of one column in their kind; what breaks the kind's rule becomes missing.

    One rule per kind whatever the source (CSV text, typed Parquet, API records): dates are
    calendar days, never timestamps with a time of day or a time zone; booleans are never
    numbers; text is kept as it is.
    """
    if column.kind == "string":
        return values
    if values.dtype.kind == "b" or pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(pd.NaT if column.kind == "date" else np.nan, index=values.index)
    if column.kind == "date":
        return _parse_dates(values)
    if values.dtype.kind in "iuf":
        return values.astype(float)
    if isinstance(values.dtype, pd.StringDtype):
        return pd.Series(_text_to_numbers(pa.array(values, type=pa.string())), index=values.index)
    numbers = pd.to_numeric(values.where(~values.map(lambda v: isinstance(v, bool))), errors="coerce")
    return numbers.astype(float)


def _text_to_numbers(text: pa.Array) -> np.ndarray:
    """Decimal numbers written as text; anything else is NaN. Arrow's cast does the work in C,
    and only when a value does not convert are the values checked one by one against a pattern."""
    trimmed = pc.utf8_trim_whitespace(text)
    try:
        return np.asarray(pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except pa.ArrowInvalid:
        number = pc.match_substring_regex(trimmed, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
        kept = pc.if_else(pc.fill_null(number, False), trimmed, pa.scalar(None, pa.string()))
        return np.asarray(pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _parse_dates(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    if values.dtype.kind == "M":
        return values.where(values == values.dt.normalize()).astype("datetime64[s]")
    if isinstance(values.dtype, pd.StringDtype):
        text = pc.utf8_trim_whitespace(pa.array(values, type=pa.string()))
        shaped = pc.if_else(pc.fill_null(pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$"), False), text, None)
        parsed = pc.strptime(shaped, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2024-02-30 over to March: a real date prints back as it was written
        real = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), shaped)
        kept = pc.if_else(pc.fill_null(real, False), parsed, None)
        return pd.Series(kept.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[s]")
    return values.map(_object_date).astype("datetime64[s]")


def _object_date(value: object) -> object:
    """A date from a Python object (Parquet dates arrive as `datetime.date`), else NaT."""
    if isinstance(value, datetime):
        naive_midnight = value.tzinfo is None and value == datetime.combine(value.date(), datetime.min.time())
        return pd.Timestamp(value) if naive_midnight else pd.NaT
    if isinstance(value, date):
        return pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return pd.Timestamp(parse_date(value.strip()))
        except ValueError:
            return pd.NaT
    return pd.NaT


def _typed(parsed: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Give each column its canonical dtype; the rows must have passed every check."""
    dtypes = {"date": "datetime64[s]", "string": "str", "int": "int64", "float": "float64"}
    # A nullable int column holds missing values: pandas' nullable "Int64" keeps the others whole.
    nullable_int = {c.name: "Int64" for c in columns if c.kind == "int" and c.nullable}
    return parsed.astype({column.name: dtypes[column.kind] for column in columns} | nullable_int)
