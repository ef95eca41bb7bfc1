from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.data import (
    TRAINING_COLUMNS,
    SchemaError,
    Split,
    find_problems,
    load_training_data,
    split_by_time,
    split_valid,
    validate,
)
from {{ cookiecutter.module_name }}.synthetic import generate
from {{ cookiecutter.module_name }}.tables import TableError, read_table


@pytest.fixture(scope="module")
def raw(sample_path: Path) -> pd.DataFrame:
    """The sample as written, indexed by line (the header is line 1)."""
    return read_table(sample_path)


def test_sample_matches_the_schema(sample: pd.DataFrame) -> None:
    assert len(sample) == 3650
    assert sample["date"].dtype == "datetime64[s]"
    assert sample["competitor_price"].isna().any(), "the sample should exercise missing competitor prices"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("price", -1.0, "column 'price': 1 row out of range: allowed >= 0.01 and <= 1e+06"),
        ("price", "cheap", "column 'price': 1 row not a number"),
        ("price", None, "column 'price': 1 row missing: a value is required"),
        ("category", "toys", "column 'category': 1 row not one of ['beverages', 'dairy', 'household', 'snacks']"),
        ("promo", 2, "column 'promo': 1 row out of range: allowed >= 0 and <= 1"),
        ("units_sold", 1.5, "column 'units_sold': 1 row not a whole number"),
        ("date", "03/01/2024", "column 'date': 1 row not a date (YYYY-MM-DD, without time of day or time zone)"),
        ("competitor_price", np.inf, "column 'competitor_price': 1 row out of range"),
    ],
)
def test_each_broken_rule_is_named_with_its_column_and_row_count(
    raw: pd.DataFrame, column: str, value: Any, message: str
) -> None:
    frame = raw.head(20).astype(object)
    frame.loc[7, column] = value
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert message in str(error.value)
    assert "(first at line 7)" in str(error.value)


def test_a_missing_column_is_reported(raw: pd.DataFrame) -> None:
    problems = find_problems(raw.drop(columns="base_price"), TRAINING_COLUMNS)
    assert [p.describe() for p in problems] == [
        f"column 'base_price': {len(raw)} rows missing: the column is required (first at line 2)"
    ]


def test_every_problem_is_reported_at_once(raw: pd.DataFrame) -> None:
    frame = raw.head(10).astype(object)
    frame.loc[[3, 4, 5], "price"] = -5.0  # the index is the line in the file
    frame.loc[6, "category"] = "toys"
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert {p.column for p in error.value.problems} == {"price", "category"}
    assert "3 rows out of range" in str(error.value)


def test_split_valid_accounts_for_every_row(raw: pd.DataFrame) -> None:
    frame = raw.head(100).astype(object)  # lines 2 .. 101
    frame.loc[[3, 50], "price"] = "n/a"
    frame.loc[[50, 70], "category"] = "toys"
    valid, rejected, reasons = split_valid(frame)
    assert len(valid) + len(rejected) == 100
    assert rejected.index.tolist() == [3, 50, 70]  # the lines of the file
    assert reasons[50] == "category: not one of ['beverages', 'dairy', 'household', 'snacks']; price: not a number"


def test_booleans_are_not_numbers(raw: pd.DataFrame) -> None:
    frame = raw.head(3)
    frame["promo"] = [True, False, True]
    assert [p.column for p in find_problems(frame)] == ["promo"]


def test_duplicated_days_keep_the_last_row(raw: pd.DataFrame, tmp_path: Path) -> None:
    frame = validate(raw.head(5), TRAINING_COLUMNS)
    doubled = pd.concat([frame, frame.assign(units_sold=frame["units_sold"] + 1)])
    doubled.to_csv(tmp_path / "dup.csv", index=False)
    loaded = load_training_data(tmp_path / "dup.csv")
    assert loaded["units_sold"].tolist() == (frame["units_sold"] + 1).tolist()


def test_missing_training_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="set data_path"):
        load_training_data(tmp_path / "nope.csv")


def test_unsupported_file_type(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "data.xlsx")


def test_time_split_is_ordered_and_complete(split: Split, sample: pd.DataFrame) -> None:
    assert split.train["date"].max() < split.validation["date"].min()
    assert split.validation["date"].max() < split.test["date"].min()
    assert split.test["date"].nunique() == 56
    assert split.validation["date"].nunique() == 56
    assert len(split.train) + len(split.validation) + len(split.test) == len(sample)


def test_split_refuses_too_little_history(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="the train part of the data holds 0 rows"):
        split_by_time(sample, validation_days=200, test_days=200)


def test_a_stray_date_is_named_instead_of_a_one_row_test_period(sample: pd.DataFrame) -> None:
    stray = sample.tail(1).assign(date=sample["date"].max() + pd.Timedelta(days=3000))
    with pytest.raises(ValueError, match=r"part of the data holds [01] rows.*fewer than min_split_rows=30") as error:
        split_by_time(pd.concat([sample, stray]), validation_days=14, test_days=14, min_rows=30)
    assert f"are {stray['date'].iloc[0].date()} outliers?" in str(error.value)


def test_future_dates_are_warned_about(sample: pd.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    shifted = sample.assign(date=sample["date"] + (pd.Timestamp.now() - sample["date"].min()) + pd.Timedelta(days=30))
    split_by_time(shifted, validation_days=14, test_days=14)
    assert "dated after today" in caplog.text


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
    path.write_bytes(path.read_bytes() + "2024-12-31,caf\u00e9,x,1,1,0,,1\n".encode("latin-1"))
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


@pytest.mark.parametrize(("value", "valid"), DATE_EDGES)
def test_one_rule_for_dates_in_every_source(raw: pd.DataFrame, value: object, valid: bool, tmp_path: Path) -> None:
    frame = read_table_typed(raw.head(1), "date", value, tmp_path)
    problems = [p.column for p in find_problems(frame)]
    assert ("date" not in problems) is valid


@pytest.mark.parametrize("promo", [[True, False], [True, None]])
def test_booleans_are_never_numbers_in_parquet(raw: pd.DataFrame, promo: list[bool | None], tmp_path: Path) -> None:
    frame = raw.head(2).assign(promo=pd.Series(promo, index=raw.index[:2], dtype=object))
    frame.to_parquet(tmp_path / "b.parquet")
    assert "promo" in [p.column for p in find_problems(read_table(tmp_path / "b.parquet"))]


def read_table_typed(frame: pd.DataFrame, column: str, value: object, tmp_path: Path) -> pd.DataFrame:
    """`frame` with `column` set to `value`, through the file format that can hold it."""
    changed = frame.assign(**{column: pd.Series([value] * len(frame), index=frame.index, dtype=object)})
    if isinstance(value, str):
        changed.to_csv(tmp_path / "t.csv", index=False)
        return read_table(tmp_path / "t.csv")
    changed.to_parquet(tmp_path / "t.parquet")
    return read_table(tmp_path / "t.parquet")


def test_the_sample_is_the_generator_output(raw: pd.DataFrame) -> None:
    regenerated = validate(generate(rows=len(raw)), TRAINING_COLUMNS)
    pd.testing.assert_frame_equal(validate(raw, TRAINING_COLUMNS).reset_index(drop=True), regenerated)


def test_generator_is_deterministic_and_scales_the_same_products() -> None:
    small, large = generate(rows=500), generate(rows=20_000)
    pd.testing.assert_frame_equal(generate(rows=500), small)
    first = large[large["product_id"] == "P00000"].iloc[0]
    assert first["base_price"] == small[small["product_id"] == "P00000"].iloc[0]["base_price"]
    assert len(large) == 20_000
    validate(large, TRAINING_COLUMNS)
