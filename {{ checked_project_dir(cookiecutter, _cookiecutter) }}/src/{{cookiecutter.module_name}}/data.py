"""Load the training data from the data store, check it against the schema, split it by time.

The schema below is the single contract for input data. Batch scoring, the HTTP request
model and the training loader all derive their checks from it, so a new column or a new
bound is declared once, here.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .tables import read_table, row_label

logger = logging.getLogger(__name__)

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
PRICE = "price"
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


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a validated frame as the JSON records the API takes: ISO dates, None when missing."""
    records = []
    for row in frame[[c.name for c in INPUT_COLUMNS]].to_dict(orient="records"):
        records.append({str(k): _json_value(v) for k, v in row.items()})
    return records


def _json_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


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
    missing = _missing(values)
    found: list[tuple[str, np.ndarray]] = []
    if not column.nullable:
        found.append(("missing: a value is required", missing))
    if column.kind == "string":
        text = values.astype("str")
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


def _missing(values: pd.Series) -> np.ndarray:
    """Missing: no value, or empty text (CSV has no other way to write "unknown")."""
    missing = values.isna().to_numpy(bool)
    if values.dtype.kind == "O" or isinstance(values.dtype, pd.StringDtype):
        return missing | (values.astype("str") == "").fillna(False).to_numpy(bool)
    return missing


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
    return parsed.astype({column.name: dtypes[column.kind] for column in columns})


def load_training_data(path: Path) -> pd.DataFrame:
    """Load and validate the training data; duplicated (date, product_id) rows keep the last one."""
    if not path.exists():
        raise FileNotFoundError(f"training data not found at {path}: set data_path in the settings")
    frame = validate(read_table(path), TRAINING_COLUMNS, label=row_label(path))
    frame = frame.drop_duplicates(subset=["date", "product_id"], keep="last")
    return frame.sort_values(["date", "product_id"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Split:
    """Time-ordered partitions: the model never trains on days later than those it is judged on."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def split_by_time(frame: pd.DataFrame, validation_days: int, test_days: int, min_rows: int = 1) -> Split:
    """Hold out the last `test_days` days for test and the `validation_days` before them for validation.

    Each part must hold at least `min_rows` rows: metrics from a handful of rows say nothing,
    and a part that small usually means a stray date at the end of the data.
    """
    last = frame["date"].max()
    test_start = last - pd.Timedelta(days=test_days - 1)
    validation_start = test_start - pd.Timedelta(days=validation_days)
    split = Split(
        train=frame[frame["date"] < validation_start],
        validation=frame[(frame["date"] >= validation_start) & (frame["date"] < test_start)],
        test=frame[frame["date"] >= test_start],
    )
    for name in ("train", "validation", "test"):
        part: pd.DataFrame = getattr(split, name)
        if len(part) < min_rows:
            raise ValueError(
                f"the {name} part of the data holds {len(part)} rows on {part['date'].nunique()} dates, fewer than "
                f"min_split_rows={min_rows} (validation_days={validation_days}, test_days={test_days}, data from "
                f"{_day(frame['date'].min())} to {_day(last)}){_outliers(frame['date'])}"
            )
    future = frame["date"] > pd.Timestamp(datetime.now(UTC).date())
    if future.any():
        logger.warning("%d rows are dated after today (latest %s): check the dates", future.sum(), _day(last))
    return split


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).date())


def _outliers(dates: pd.Series) -> str:
    """A hint naming the dates cut off from the rest by the data's largest gap, if it is wide."""
    days = np.unique(dates.to_numpy(dtype="datetime64[D]"))
    if len(days) < 3:
        return ""
    gaps = np.diff(days).astype(np.int64)
    widest = int(gaps.argmax())
    if gaps[widest] <= 10 * max(np.median(gaps), 1):
        return ""
    after = days[widest + 1 :]
    side = after if len(after) <= len(days) // 2 else days[: widest + 1]
    shown = ", ".join(str(d) for d in side[:5]) + (", ..." if len(side) > 5 else "")
    return f"; {gaps[widest]:,} days pass between {days[widest]} and {days[widest + 1]}: are {shown} outliers?"


def fingerprint(frame: pd.DataFrame) -> str:
    """A sha256 of the rows' contents, stored with the model to tell which data trained it."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()
