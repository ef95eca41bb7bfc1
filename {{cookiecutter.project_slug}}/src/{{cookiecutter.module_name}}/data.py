"""Load the training data from the data store, check it against the schema, split it by time.

The schema below is the single contract for input data. Batch scoring, the HTTP request
model and the training loader all derive their checks from it, so a new column or a new
bound is declared once, here.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["date", "string", "float", "int"]


@dataclass(frozen=True)
class Column:
    """One column of the data contract: its type, bounds and whether it may be missing."""

    name: str
    kind: Kind
    description: str
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    max_length: int | None = None

    def describe_bounds(self) -> str:
        """Human-readable allowed range, used in error messages."""
        low = f">= {self.minimum:g}" if self.minimum is not None else ""
        high = f"<= {self.maximum:g}" if self.maximum is not None else ""
        return " and ".join(part for part in (low, high) if part) or "any value"


CATEGORIES = ("beverages", "dairy", "household", "snacks")

INPUT_COLUMNS: tuple[Column, ...] = (
    Column("date", "date", "Day the price applies to (ISO 8601, YYYY-MM-DD)."),
    Column("product_id", "string", "Product identifier.", max_length=64),
    Column("category", "string", "Product category.", allowed=CATEGORIES),
    Column("price", "float", "Price charged that day.", minimum=0.01, maximum=1e6),
    Column("base_price", "float", "Regular (list) price.", minimum=0.01, maximum=1e6),
    Column("promo", "int", "1 when the product is on promotion, else 0.", minimum=0, maximum=1),
    Column(
        "competitor_price",
        "float",
        "Competitor's price for the same product, if known.",
        nullable=True,
        minimum=0.01,
        maximum=1e6,
    ),
)
TARGET = Column("units_sold", "int", "Units sold that day.", minimum=0, maximum=1e9)
TRAINING_COLUMNS: tuple[Column, ...] = (*INPUT_COLUMNS, TARGET)


def describe_schema(columns: tuple[Column, ...] = INPUT_COLUMNS) -> list[dict[str, Any]]:
    """The schema as JSON-ready data: stored in the model artifact and shown by the API."""
    return [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items()} for c in columns]


@dataclass(frozen=True)
class Problem:
    """Rows of one column that break one rule of the schema."""

    column: str
    message: str
    rows: np.ndarray  # boolean mask over the frame's rows

    def describe(self) -> str:
        count = int(self.rows.sum())
        first = int(np.flatnonzero(self.rows)[0]) if count else -1
        noun = "row" if count == 1 else "rows"
        return f"column '{self.column}': {count} {noun} {self.message} (first at row {first})"


class SchemaError(ValueError):
    """The data breaks the schema; the message lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("data does not match the schema:\n  " + "\n  ".join(p.describe() for p in problems))


def find_problems(frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS) -> list[Problem]:
    """Check every column and return each broken rule with the rows that break it."""
    return _check(frame, columns)[0]


def validate(frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS) -> pd.DataFrame:
    """Return the frame with typed columns, or raise SchemaError listing every problem."""
    problems, parsed = _check(frame, columns)
    if problems:
        raise SchemaError(problems)
    return _typed(parsed, columns)


def split_valid(frame: pd.DataFrame, columns: tuple[Column, ...] = INPUT_COLUMNS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (valid, typed) and (rejected, as given plus a `reason`)."""
    problems, parsed = _check(frame, columns)
    bad = np.zeros(len(frame), bool)
    reasons = np.full(len(frame), "", dtype=object)
    for problem in problems:
        reasons[problem.rows] += f"{problem.column}: {problem.message}; "
        bad |= problem.rows
    rejected = frame[bad].assign(reason=[r.rstrip("; ") for r in reasons[bad]])
    return _typed(parsed[~bad], columns), rejected


def _check(frame: pd.DataFrame, columns: tuple[Column, ...]) -> tuple[list[Problem], pd.DataFrame]:
    """Every broken rule with its rows, and the values parsed to their kind (unparsable: missing).

    Vectorized per column, and each column is parsed once: the checks and the typed result
    share the work, so validation costs the same per row for ten rows or ten million.
    """
    problems: list[Problem] = []
    parsed: dict[str, pd.Series[Any]] = {}
    for column in columns:
        if column.name not in frame.columns:
            problems.append(Problem(column.name, "missing: the column is required", np.ones(len(frame), bool)))
            parsed[column.name] = pd.Series(np.nan, index=frame.index)
            continue
        values = frame[column.name]
        parsed[column.name] = values if column.kind == "string" else _parse(column, values)
        problems.extend(_column_problems(column, values, parsed[column.name]))
    return problems, pd.DataFrame(parsed, index=frame.index)


def _column_problems(column: Column, values: pd.Series, parsed: pd.Series) -> list[Problem]:
    missing = values.isna().to_numpy()
    found: list[Problem] = []
    if not column.nullable and missing.any():
        found.append(Problem(column.name, "missing: a value is required", missing))
    if column.kind == "string":
        text = values.astype("string")
        if column.allowed is not None:
            bad = ~missing & ~text.isin(column.allowed).fillna(False).to_numpy(bool)
            found.append(Problem(column.name, f"not one of {list(column.allowed)}", bad))
        if column.max_length is not None:
            bad = ~missing & (text.str.len().fillna(0).to_numpy() > column.max_length)
            found.append(Problem(column.name, f"longer than {column.max_length} characters", bad))
        return [p for p in found if p.rows.any()]
    unparsed = ~missing & parsed.isna().to_numpy()
    expected = {"date": "an ISO date (YYYY-MM-DD)", "float": "a number", "int": "a whole number"}[column.kind]
    found.append(Problem(column.name, f"not {expected}", unparsed))
    if column.kind != "date":
        number = parsed.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            out_of_range = ~np.isfinite(number) & ~np.isnan(number)
            if column.minimum is not None:
                out_of_range |= number < column.minimum
            if column.maximum is not None:
                out_of_range |= number > column.maximum
            if column.kind == "int":
                found.append(Problem(column.name, "not a whole number", np.isfinite(number) & (number % 1 != 0)))
        found.append(Problem(column.name, f"out of range: allowed {column.describe_bounds()}", out_of_range))
    return [p for p in found if p.rows.any()]


def _parse(column: Column, values: pd.Series) -> pd.Series:
    if column.kind == "date":
        return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    if values.dtype == bool:  # True/False are not prices: refuse them rather than read 1/0
        return pd.Series(np.nan, index=values.index)
    return pd.to_numeric(values, errors="coerce")


def _typed(parsed: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Give each column its canonical dtype; the rows must have passed every check."""
    dtypes = {"date": "datetime64[s]", "string": "str", "int": "int64", "float": "float64"}
    return parsed.astype({column.name: dtypes[column.kind] for column in columns})


#: CSV columns read as text, so the schema checks see every value exactly as written.
CSV_TEXT_COLUMNS = {c.name: str for c in TRAINING_COLUMNS if c.kind in {"date", "string"}}


def table_format(path: Path) -> Literal["csv", "parquet"]:
    """The file format, from the extension; any other extension is refused with a clear message."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    raise ValueError(f"unsupported file type '{path.suffix}' for {path}: use .csv or .parquet")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension, keeping every value as written."""
    if table_format(path) == "csv":
        return pd.read_csv(path, dtype=CSV_TEXT_COLUMNS)
    return pd.read_parquet(path)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV or Parquet file, chosen by extension, creating the folder if needed."""
    csv = table_format(path) == "csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if csv:
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def load_training_data(path: Path) -> pd.DataFrame:
    """Load and validate the training data; duplicated (date, product_id) rows keep the last one."""
    if not path.exists():
        raise FileNotFoundError(f"training data not found at {path}: set data_path in the settings")
    frame = validate(read_table(path), TRAINING_COLUMNS)
    frame = frame.drop_duplicates(subset=["date", "product_id"], keep="last")
    return frame.sort_values(["date", "product_id"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Split:
    """Time-ordered partitions: the model never trains on days later than those it is judged on."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def split_by_time(frame: pd.DataFrame, validation_days: int, test_days: int) -> Split:
    """Hold out the last `test_days` days for test and the `validation_days` before them for validation."""
    last = frame["date"].max()
    test_start = last - pd.Timedelta(days=test_days - 1)
    validation_start = test_start - pd.Timedelta(days=validation_days)
    split = Split(
        train=frame[frame["date"] < validation_start],
        validation=frame[(frame["date"] >= validation_start) & (frame["date"] < test_start)],
        test=frame[frame["date"] >= test_start],
    )
    if split.train.empty or split.validation.empty or split.test.empty:
        raise ValueError(
            f"not enough history to split: {frame['date'].nunique()} days of data, but validation_days="
            f"{validation_days} and test_days={test_days} leave a partition empty"
        )
    return split


def fingerprint(frame: pd.DataFrame) -> str:
    """A sha256 of the rows' contents, stored with the model to tell which data trained it."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()
