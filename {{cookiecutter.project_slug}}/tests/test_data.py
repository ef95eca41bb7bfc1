from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import SAMPLE
from {{ cookiecutter.module_name }}.data import (
    TRAINING_COLUMNS,
    SchemaError,
    Split,
    find_problems,
    load_training_data,
    read_table,
    split_by_time,
    split_valid,
    validate,
)
from {{ cookiecutter.module_name }}.synthetic import generate


def raw_sample() -> pd.DataFrame:
    return read_table(SAMPLE)


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
        ("date", "03/01/2024", "column 'date': 1 row not an ISO date (YYYY-MM-DD)"),
        ("competitor_price", np.inf, "column 'competitor_price': 1 row out of range"),
    ],
)
def test_each_broken_rule_is_named_with_its_column_and_row_count(column: str, value: Any, message: str) -> None:
    frame = raw_sample().head(20).astype(object)
    frame.loc[7, column] = value
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert message in str(error.value)
    assert "(first at row 7)" in str(error.value)


def test_a_missing_column_is_reported() -> None:
    problems = find_problems(raw_sample().drop(columns="base_price"), TRAINING_COLUMNS)
    assert [p.describe() for p in problems] == [
        "column 'base_price': 3650 rows missing: the column is required (first at row 0)"
    ]


def test_every_problem_is_reported_at_once() -> None:
    frame = raw_sample().head(10).astype(object)
    frame.loc[[1, 2, 3], "price"] = -5.0
    frame.loc[4, "category"] = "toys"
    with pytest.raises(SchemaError) as error:
        validate(frame, TRAINING_COLUMNS)
    assert {p.column for p in error.value.problems} == {"price", "category"}
    assert "3 rows out of range" in str(error.value)


def test_split_valid_accounts_for_every_row() -> None:
    frame = raw_sample().head(100).astype(object)
    frame.loc[[3, 50], "price"] = "n/a"
    frame.loc[[50, 70], "category"] = "toys"
    valid, rejected = split_valid(frame)
    assert len(valid) + len(rejected) == 100
    assert rejected.index.tolist() == [3, 50, 70]
    assert (
        rejected.loc[50, "reason"] == "category: not one of ['beverages', 'dairy', 'household', 'snacks']; "
        "price: not a number"
    )


def test_booleans_are_not_numbers() -> None:
    frame = raw_sample().head(3)
    frame["promo"] = [True, False, True]
    assert [p.column for p in find_problems(frame)] == ["promo"]


def test_duplicated_days_keep_the_last_row(tmp_path: Path) -> None:
    frame = raw_sample().head(5)
    doubled = pd.concat([frame, frame.assign(units_sold=frame["units_sold"] + 1)])
    doubled.to_csv(tmp_path / "dup.csv", index=False)
    loaded = load_training_data(tmp_path / "dup.csv")
    assert loaded["units_sold"].tolist() == (frame["units_sold"] + 1).tolist()


def test_missing_training_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="set data_path"):
        load_training_data(tmp_path / "nope.csv")


def test_unsupported_file_type(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "data.xlsx")


def test_time_split_is_ordered_and_complete(split: Split, sample: pd.DataFrame) -> None:
    assert split.train["date"].max() < split.validation["date"].min()
    assert split.validation["date"].max() < split.test["date"].min()
    assert split.test["date"].nunique() == 56
    assert split.validation["date"].nunique() == 56
    assert len(split.train) + len(split.validation) + len(split.test) == len(sample)


def test_split_refuses_too_little_history(sample: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not enough history"):
        split_by_time(sample, validation_days=200, test_days=200)


def test_the_sample_is_the_generator_output() -> None:
    regenerated = generate(rows=3650)
    pd.testing.assert_frame_equal(raw_sample(), regenerated, check_dtype=False)


def test_generator_is_deterministic_and_scales_the_same_products() -> None:
    small, large = generate(rows=500), generate(rows=20_000)
    pd.testing.assert_frame_equal(generate(rows=500), small)
    first = large[large["product_id"] == "P00000"].iloc[0]
    assert first["base_price"] == small[small["product_id"] == "P00000"].iloc[0]["base_price"]
    assert len(large) == 20_000
    validate(large, TRAINING_COLUMNS)
