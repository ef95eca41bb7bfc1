"""The data contract: every rule of the schema, the split and the file checks, on the data at
`data_path`. Nothing here knows the sample: the cases come from the schema's declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.contract import Column
from {{ cookiecutter.module_name }}.data import (
    Split,
    load_training_data,
    split,
    split_at_random,
    split_by_time,
)
from {{ cookiecutter.module_name }}.schema import SCHEMA
from {{ cookiecutter.module_name }}.tables import TableError, read_table
from {{ cookiecutter.module_name }}.validation import (
    TRAINING_COLUMNS,
    SchemaError,
    find_problems,
    split_valid,
    validate,
)

TIME = SCHEMA.time
NUMBERS = [c for c in TRAINING_COLUMNS if c.numeric and c.role != "id"]
needs_time = pytest.mark.skipif(TIME is None, reason="the schema has no time column")


def broken_values(column: Column) -> list[tuple[object, str]]:
    """Values that break one rule of `column`, each with the start of the message it must get."""
    cases: list[tuple[object, str]] = []
    if not column.nullable:
        cases.append((None, "missing: a value is required"))
    if column.kind == "date":
        cases.append(("03/01/2024", "not a date (YYYY-MM-DD"))
    if column.numeric:
        cases.append(("not-a-number", "not a number" if column.kind == "float" else "not a whole number"))
        if column.minimum is not None:
            cases.append((str(column.minimum - max(1.0, abs(column.minimum))), "out of range: allowed"))
        if column.maximum is not None:
            cases.append((str(column.maximum * 10 + 10), "out of range: allowed"))
    if column.kind == "int":
        cases.append((f"{(column.minimum or 0) + 0.5}", "not a whole number"))
    if column.allowed is not None:
        cases.append(("__not_allowed__", f"not one of {list(column.allowed)}"))
    if column.max_length is not None:
        cases.append(("x" * (column.max_length + 1), f"longer than {column.max_length} characters"))
    return cases


CASES = [(column.name, value, message) for column in TRAINING_COLUMNS for value, message in broken_values(column)]


def test_the_data_matches_the_schema(sample: pd.DataFrame) -> None:
    assert {c.name for c in TRAINING_COLUMNS} <= set(sample.columns)
    kinds = {"date": "M", "float": "f", "int": "i"}
    for column in TRAINING_COLUMNS:
        if column.kind in kinds:
            assert sample[column.name].dtype.kind == kinds[column.kind], column.name
        if not column.nullable:
            assert sample[column.name].notna().all(), column.name


@pytest.mark.parametrize(("name", "value", "message"), CASES, ids=[f"{n}={v!r}" for n, v, _ in CASES])
def test_each_broken_rule_is_named_with_its_column_and_line(
    raw: pd.DataFrame, name: str, value: Any, message: str
) -> None:
    frame = raw.head(20).astype(object)
    line = frame.index[7]
    frame.loc[line, name] = value
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert f"column '{name}': 1 row {message}" in str(error.value)
    assert f"(first at line {line})" in str(error.value)


def test_a_missing_column_is_reported(raw: pd.DataFrame) -> None:
    dropped = TRAINING_COLUMNS[-1].name
    problems = find_problems(raw.drop(columns=dropped), TRAINING_COLUMNS)
    assert [p.describe() for p in problems] == [
        f"column '{dropped}': {len(raw)} rows missing: the column is required (first at line 2)"
    ]


def test_every_problem_is_reported_at_once(raw: pd.DataFrame) -> None:
    first, second = NUMBERS[0], TRAINING_COLUMNS[0]
    frame = raw.head(10).astype(object)
    frame.loc[frame.index[[1, 2, 3]], first.name] = "not-a-number"
    frame.loc[frame.index[4], second.name] = None if not second.nullable else "03/01/2024"
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert {p.column for p in error.value.problems} == {first.name, second.name}
    assert f"column '{first.name}': 3 rows" in str(error.value)


def test_split_valid_accounts_for_every_row(raw: pd.DataFrame) -> None:
    number = NUMBERS[0]
    frame = raw.head(100).astype(object)
    bad = frame.index[[3, 50, 70]]
    frame.loc[bad, number.name] = "n/a"
    valid, rejected, reasons = split_valid(frame, TRAINING_COLUMNS)
    assert len(valid) + len(rejected) == 100
    assert rejected.index.tolist() == bad.tolist()  # the lines of the file
    assert set(reasons) == {f"{number.name}: not a {'number' if number.kind == 'float' else 'whole number'}"}


@pytest.mark.parametrize("column", NUMBERS, ids=[c.name for c in NUMBERS])
def test_booleans_are_not_numbers(raw: pd.DataFrame, column: Column) -> None:
    frame = raw.head(3).assign(**{column.name: [True, False, True]})
    assert column.name in [p.column for p in find_problems(frame, TRAINING_COLUMNS)]


@pytest.mark.skipif(not SCHEMA.ids and TIME is None, reason="rows have no key: every row counts")
def test_a_repeated_key_keeps_the_last_row(raw: pd.DataFrame, tmp_path: Path) -> None:
    frame = validate(raw.head(5), TRAINING_COLUMNS)
    target = SCHEMA.target
    low: object = target.allowed[0] if target.allowed else (target.minimum or 0)
    high: object = target.allowed[1] if target.allowed else (target.minimum or 0) + 1
    changed = frame[target.name].map(lambda value: high if value == low else low)  # another valid value
    pd.concat([frame, frame.assign(**{target.name: changed})]).to_csv(tmp_path / "dup.csv", index=False)
    loaded = load_training_data(tmp_path / "dup.csv")
    assert sorted(loaded[target.name].tolist()) == sorted(changed.tolist())


def test_missing_training_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="set data_path"):
        load_training_data(tmp_path / "nope.csv")


def test_training_data_without_a_column_is_one_line_naming_it(raw: pd.DataFrame, tmp_path: Path) -> None:
    """Whatever the source: the columns it lacks and those it has, not one problem per row."""
    dropped = TRAINING_COLUMNS[-1].name
    raw.drop(columns=dropped).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(ValueError, match="lacks the required column") as error:
        load_training_data(tmp_path / "data.csv")
    assert str(error.value).splitlines() == [
        f"{tmp_path / 'data.csv'} lacks the required column(s) ['{dropped}']; it has {list(raw.columns.drop(dropped))}"
    ]


def test_unsupported_file_type(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "data.xlsx")


def test_the_configured_split_is_complete_and_sized(
    split_parts: Split, sample: pd.DataFrame, project_settings: Settings
) -> None:
    assert sum(len(part) for _, part in split_parts.parts()) == len(sample)
    assert min(len(part) for _, part in split_parts.parts()) >= project_settings.min_split_rows
    if TIME is not None:
        assert split_parts.train[TIME.name].max() < split_parts.validation[TIME.name].min()
        assert split_parts.validation[TIME.name].max() < split_parts.test[TIME.name].min()


@needs_time
@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", "year"])
def test_the_last_periods_are_held_out(sample: pd.DataFrame, period: Any) -> None:
    assert TIME is not None
    frequency = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}[period]
    periods = sample[TIME.name].dt.to_period(frequency)
    if periods.nunique() < 3:
        pytest.skip(f"the data spans fewer than 3 {period}s")
    if not (periods == periods.max() - 1).any():  # e.g. days of weekly data: calendar periods can be empty
        with pytest.raises(ValueError, match="the validation part of the data holds 0 rows"):
            split_by_time(sample, period, 1, 1)
        return
    parts = split_by_time(sample, period, 1, 1)
    assert set(parts.test[TIME.name].dt.to_period(frequency)) == {periods.max()}
    assert parts.validation[TIME.name].dt.to_period(frequency).iloc[0] == periods.max() - 1


@needs_time
def test_a_split_that_leaves_a_part_too_small_names_the_settings(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"the train part of the data holds 0 rows.*validation_periods=100000"):
        split_by_time(sample, "day", 100_000, 1)


@needs_time
def test_a_stray_date_is_named_instead_of_a_one_row_test_period(sample: pd.DataFrame) -> None:
    assert TIME is not None
    stray = sample.tail(1).assign(**{TIME.name: sample[TIME.name].max() + pd.Timedelta(days=3000)})
    with pytest.raises(ValueError, match=r"part of the data holds [01] rows.*fewer than min_split_rows=30") as error:
        split_by_time(pd.concat([sample, stray]), "day", 14, 14, min_rows=30)
    assert f"are {stray[TIME.name].iloc[0].date()} outliers?" in str(error.value)


@needs_time
def test_future_dates_are_warned_about(
    sample: pd.DataFrame, project_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert TIME is not None
    dates = sample[TIME.name]
    shifted = sample.assign(**{TIME.name: dates + (pd.Timestamp.now() - dates.min()) + pd.Timedelta(days=30)})
    split_by_time(shifted, project_settings.split_period, 1, 1)
    assert "dated after today" in caplog.text


def test_a_random_split_is_seeded_and_complete(sample: pd.DataFrame) -> None:
    first, again = split_at_random(sample, 0.2, 0.1, seed=3), split_at_random(sample, 0.2, 0.1, seed=3)
    for (_, a), (_, b) in zip(first.parts(), again.parts(), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert sum(len(part) for _, part in first.parts()) == len(sample)
    assert len(first.test) == round(len(sample) * 0.1)
    indexes = np.concatenate([part.index.to_numpy() for _, part in first.parts()])
    assert len(np.unique(indexes)) == len(sample)


def test_a_random_split_too_small_names_the_settings(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"test part .* fewer than min_split_rows=.*test_fraction=0.0001"):
        split_at_random(sample.head(100), 0.2, 0.0001, seed=0, min_rows=5)


def test_split_follows_the_schema(sample: pd.DataFrame, project_settings: Settings) -> None:
    parts = split(sample, project_settings)
    if TIME is None:
        assert len(parts.test) == round(len(sample) * project_settings.test_fraction)
    else:
        assert parts.test[TIME.name].min() > parts.train[TIME.name].max()


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "is empty"),
        (b"\x1f\x8b\x08\x00rest", "is gzip-compressed"),
        (b"date;product_id;price\n2024-01-01;P1;2.0\n", "seems to use ';' as its delimiter"),
        ("date,product_id\n2024-01-01,caf\u00e9\n".encode("latin-1"), "is not UTF-8 text"),
        ("date,product_id\n".encode("utf-16"), "is UTF-16 text"),
        (b"date,product_id\x00\x01\x02", "holds binary data"),
        (b"date,price,price\n2024-01-01,1,2\n", "column 'price' appears more than once"),
        (b"PAR1\x00\x00", "is a Parquet file"),
    ],
)
def test_unreadable_files_name_the_file_and_the_likely_cause(tmp_path: Path, content: bytes, cause: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match=f"data.csv {cause}|data.csv: {cause}"):
        load_training_data(path)


def test_non_utf8_bytes_deep_in_a_file_are_named(raw: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    raw.to_csv(path, index=False)
    line = ",".join(["caf\u00e9", *[""] * (len(raw.columns) - 1)])  # well-formed, but Latin-1
    path.write_bytes(path.read_bytes() + f"{line}\n".encode("latin-1"))
    with pytest.raises(TableError, match="is not UTF-8 text"):
        load_training_data(path)


def test_a_directory_is_not_a_data_file(tmp_path: Path) -> None:
    (tmp_path / "data.csv").mkdir()
    with pytest.raises(TableError, match="is not a file"):
        load_training_data(tmp_path / "data.csv")


def test_malformed_training_lines_are_an_error_naming_them(raw: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    raw.head(10).to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[4] += ",1,2"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TableError, match=r"1 malformed line.*line 5: malformed line: expected"):
        load_training_data(path)


DATE_EDGES: list[tuple[object, bool]] = [
    ("2024-06-03", True),
    ("20240603", False),
    ("2024-W23-1", False),
    ("2024-6-3", False),
    ("2024-02-30", False),
    ("2024-06-03T10:00", False),
    ("", False),
    (pd.Timestamp("2024-06-03"), True),
    (pd.Timestamp("2024-06-03 10:30"), False),
    (pd.Timestamp("2024-06-03", tz="UTC"), False),
]
DATES = [c for c in TRAINING_COLUMNS if c.kind == "date"]


@pytest.mark.skipif(not DATES, reason="the schema has no date column")
@pytest.mark.parametrize(("value", "valid"), DATE_EDGES)
def test_one_rule_for_dates_in_every_source(raw: pd.DataFrame, value: object, valid: bool, tmp_path: Path) -> None:
    name = DATES[0].name
    frame = read_table_typed(raw.head(1), name, value, tmp_path)
    problems = [p.column for p in find_problems(frame, TRAINING_COLUMNS)]
    assert (name not in problems) is valid


@pytest.mark.parametrize("values", [[True, False], [True, None]])
def test_booleans_are_never_numbers_in_parquet(raw: pd.DataFrame, values: list[bool | None], tmp_path: Path) -> None:
    name = NUMBERS[0].name
    frame = raw.head(2).assign(**{name: pd.Series(values, index=raw.index[:2], dtype=object)})
    frame.to_parquet(tmp_path / "b.parquet")
    assert name in [p.column for p in find_problems(read_table(tmp_path / "b.parquet"), TRAINING_COLUMNS)]


def read_table_typed(frame: pd.DataFrame, column: str, value: object, tmp_path: Path) -> pd.DataFrame:
    """`frame` with `column` set to `value`, through the file format that can hold it."""
    changed = frame.assign(**{column: pd.Series([value] * len(frame), index=frame.index, dtype=object)})
    if isinstance(value, str):
        changed.to_csv(tmp_path / "t.csv", index=False)
        return read_table(tmp_path / "t.csv")
    changed.to_parquet(tmp_path / "t.parquet")
    return read_table(tmp_path / "t.parquet")


def test_a_nullable_int_column_keeps_whole_numbers_and_missing_values() -> None:
    counts = Column("count", "int", "A count, if known.", nullable=True, minimum=0)
    typed = validate(pd.DataFrame({"count": ["3", "", "0"]}, index=[2, 3, 4]), (counts,))
    assert str(typed["count"].dtype) == "Int64"
    assert typed["count"].tolist()[0::2] == [3, 0]
    assert typed["count"].isna().tolist() == [False, True, False]
