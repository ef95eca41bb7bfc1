"""Load the training data from the data store, check it against the schema, split it.

The declaration in `schema.py` is the single contract for input data. Batch scoring, the
HTTP request model and the training loader all derive their checks from it, so a new column
or a new bound is declared once, there. Nothing here names a column: it reads roles.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Settings
from .contract import Column, Period
from .schema import SCHEMA
from .tables import exists, read_chunks, read_table, row_label
from .validation import INPUT_COLUMNS, TRAINING_COLUMNS, validate

logger = logging.getLogger(__name__)

#: The target column: what the model predicts.
TARGET: Column = SCHEMA.target
#: What identifies a record: the id columns and the time column (a repeated key is one record).
KEYS: tuple[Column, ...] = (*SCHEMA.ids, *([SCHEMA.time] if SCHEMA.time else []))


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a validated frame as the JSON records the API takes: ISO dates, None when missing."""
    records = []
    for row in frame[[c.name for c in INPUT_COLUMNS]].to_dict(orient="records"):
        records.append({str(k): _json_value(v) for k, v in row.items()})
    return records


def _json_value(value: Any) -> Any:
    if value is pd.NA:  # a missing value of a nullable int column
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def load_training_data(path: Path) -> pd.DataFrame:
    """Load and validate the training data; a repeated (ids, time) row keeps the last one."""
    if not exists(path):
        raise FileNotFoundError(f"training data not found at {path}: set data_path in the settings")
    frame = validate(_with_columns(read_table(path), TRAINING_COLUMNS, path), TRAINING_COLUMNS, label=row_label(path))
    keys = [c.name for c in KEYS]
    if keys:
        frame = frame.drop_duplicates(subset=keys, keep="last").sort_values(keys[::-1], kind="stable")
    return frame.reset_index(drop=True)


def load_labels(path: Path) -> pd.DataFrame:
    """Actual outcomes for `monitor --labels`: the id and time columns and the target, checked as
    training data is (other columns are ignored)."""
    if not exists(path):
        raise FileNotFoundError(f"labels not found at {path}")
    return validate(_with_columns(read_table(path), (*KEYS, TARGET), path), (*KEYS, TARGET), label=row_label(path))


def _with_columns(frame: pd.DataFrame, columns: tuple[Column, ...], path: Path) -> pd.DataFrame:
    """The frame, when it has every column: a missing one is one error about the data, not its rows."""
    absent = [c.name for c in columns if c.name not in frame.columns]
    if absent:
        raise ValueError(f"{path} lacks the required column(s) {absent}; it has {list(map(str, frame.columns))}")
    return frame


_FREQUENCY = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class Split:
    """Train, validation and test rows. With a time column, ordered in time: the model is never
    trained on periods later than those it is judged on."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def parts(self) -> tuple[tuple[str, pd.DataFrame], ...]:
        return (("train", self.train), ("validation", self.validation), ("test", self.test))

    @property
    def history(self) -> pd.DataFrame:
        """Every row before the test part: what the final model and the baseline learn from."""
        return pd.concat([self.train, self.validation])

    def fingerprint(self) -> str:
        """The data's fingerprint (see `fingerprint`), stored with the model trained on it."""
        return fingerprint(pd.concat([self.history, self.test]))


def split(frame: pd.DataFrame, settings: Settings) -> Split:
    """By time when the schema has a time column, else at random: the settings say how much."""
    if SCHEMA.time is not None:
        return split_by_time(
            frame, settings.split_period, settings.validation_periods, settings.test_periods, settings.min_split_rows
        )
    return split_at_random(
        frame, settings.validation_fraction, settings.test_fraction, settings.split_seed, settings.min_split_rows
    )


def split_by_time(
    frame: pd.DataFrame, period: Period, validation_periods: int, test_periods: int, min_rows: int = 1
) -> Split:
    """Hold out the last `test_periods` periods (calendar days, weeks, ...) for test and the
    `validation_periods` before them for validation; every part must hold `min_rows` rows."""
    time = SCHEMA.time
    if time is None:
        raise ValueError("the schema has no time column: split at random instead (see `split`)")
    periods = frame[time.name].dt.to_period(_FREQUENCY[period])
    test_start = periods.max() - (test_periods - 1)
    validation_start = test_start - validation_periods
    result = Split(
        train=frame[periods < validation_start],
        validation=frame[(periods >= validation_start) & (periods < test_start)],
        test=frame[periods >= test_start],
    )
    for name, part in result.parts():
        if len(part) < min_rows:
            raise ValueError(
                f"the {name} part of the data holds {len(part)} rows in {periods[part.index].nunique()} "
                f"{period}(s), fewer than min_split_rows={min_rows} (split_period={period}, validation_periods="
                f"{validation_periods}, test_periods={test_periods}; the data has {periods.nunique()} {period}(s) "
                f"from {_day(frame[time.name].min())} to {_day(frame[time.name].max())}){_outliers(frame[time.name])}"
            )
    future = frame[time.name] > pd.Timestamp(datetime.now(UTC).date())
    if future.any():
        latest = _day(frame[time.name].max())
        logger.warning("%d rows are dated after today (latest %s): check the dates", future.sum(), latest)
    return result


def split_at_random(
    frame: pd.DataFrame, validation_fraction: float, test_fraction: float, seed: int, min_rows: int = 1
) -> Split:
    """Without a time column: a seeded random split, the same for the same data and seed."""
    order = np.random.default_rng(seed).permutation(len(frame))
    n_test, n_validation = round(len(frame) * test_fraction), round(len(frame) * validation_fraction)
    result = Split(
        train=frame.iloc[np.sort(order[n_test + n_validation :])],
        validation=frame.iloc[np.sort(order[n_test : n_test + n_validation])],
        test=frame.iloc[np.sort(order[:n_test])],
    )
    for name, part in result.parts():
        if len(part) < min_rows:
            raise ValueError(
                f"the {name} part of the data holds {len(part)} rows, fewer than min_split_rows={min_rows} "
                f"({len(frame)} rows; validation_fraction={validation_fraction}, test_fraction={test_fraction})"
            )
    return result


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


def example_records(path: Path, rows: int = 1) -> list[dict[str, Any]]:
    """The first valid rows of the data at `path` as API records: the one source of every example
    request (the API docs, the README's curl, the CI smoke test, the demo and the benchmark)."""
    first = next(read_chunks(path, max(rows * 10, 100))).frame  # not the whole file: a few rows
    return to_records(validate(first, TRAINING_COLUMNS, label=row_label(path)).head(rows))


def resample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """`rows` rows drawn with replacement from `frame`, as written: data of the same shape at any
    size, for benchmarks and load tests."""
    if frame.empty:
        raise ValueError("there are no rows to draw from")
    picks = np.random.default_rng(seed).integers(0, len(frame), rows)
    return frame.iloc[picks].reset_index(drop=True)


def shift(frame: pd.DataFrame, moves: dict[str, float]) -> pd.DataFrame:
    """`frame` with each named numeric input moved by that many of its standard deviations, within
    the schema's bounds: drifted data, for `monitor` to flag."""
    numbers = {c.name: c for c in INPUT_COLUMNS if c.numeric and c.role == "input"}
    moved = frame.copy()
    for name, deviations in moves.items():
        if name not in numbers:
            raise ValueError(f"cannot shift '{name}': not a numeric input (numeric inputs: {', '.join(numbers)})")
        column, values = numbers[name], pd.to_numeric(frame[name], errors="coerce")
        result = (values + deviations * values.std()).clip(column.minimum, column.maximum)
        moved[name] = result.round() if column.kind == "int" else result
    return moved


def fingerprint(frame: pd.DataFrame) -> str:
    """A sha256 of the rows' contents, stored with the model to tell which data trained it."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()


#: A text input lists the values seen in training up to this many; beyond, it counts them.
LISTED_VALUES = 20


def observed_inputs(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """What training saw of each input: a number's range and missing share, a text's values.

    The model card shows it: beyond these ranges a prediction is an extrapolation.
    """
    seen: dict[str, dict[str, Any]] = {}
    for column in INPUT_COLUMNS:
        values = frame[column.name]
        missing = float(values.isna().mean())
        present = values.dropna()
        if column.numeric:
            seen[column.name] = {"min": float(present.min()), "max": float(present.max()), "missing": missing}
        elif column.kind == "date":
            seen[column.name] = {"min": _day(present.min()), "max": _day(present.max()), "missing": missing}
        else:
            distinct = sorted(map(str, present.unique()))
            listed = distinct if len(distinct) <= LISTED_VALUES else distinct[:LISTED_VALUES]
            seen[column.name] = {"values": listed, "distinct": len(distinct), "missing": missing}
    return seen
