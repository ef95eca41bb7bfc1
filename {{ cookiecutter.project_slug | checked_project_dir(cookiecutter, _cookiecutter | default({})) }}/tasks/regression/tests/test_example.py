"""Tests of the example itself: the sample's generator and the example's features.

Everything else in tests/ checks contracts that hold for any data the schema declares. This
file is about the demand example alone: when your data and features replace it, delete this
file together with src/{{ cookiecutter.module_name }}/synthetic.py and data/sample/ (until then
its tests are skipped, saying so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.columns import columns_from_records
from {{ cookiecutter.module_name }}.features import FEATURE_NAMES, build_features, monotonic_constraints
from {{ cookiecutter.module_name }}.schema import SCHEMA
from {{ cookiecutter.module_name }}.tables import read_table
from {{ cookiecutter.module_name }}.validation import TRAINING_COLUMNS, validate

EXAMPLE_COLUMNS = ["date", "product_id", "category", "price", "base_price", "promo", "competitor_price", "units_sold"]
EXAMPLE_FEATURES = {"log_competitor_ratio", "competitor_missing", "weekday_fri", "category_snacks"}
pytestmark = pytest.mark.skipif(
    [c.name for c in SCHEMA.columns] != EXAMPLE_COLUMNS or not set(FEATURE_NAMES) >= EXAMPLE_FEATURES,
    reason="the example was replaced: delete tests/test_example.py and synthetic.py",
)
synthetic = pytest.importorskip("{{ cookiecutter.module_name }}.synthetic", reason="the example's generator is gone")


def test_the_sample_is_the_generator_output() -> None:
    embedded = read_table(Path(__file__).resolve().parents[1] / "data" / "sample" / "demand.csv")
    regenerated = validate(synthetic.generate(rows=len(embedded)), TRAINING_COLUMNS)
    pd.testing.assert_frame_equal(validate(embedded, TRAINING_COLUMNS).reset_index(drop=True), regenerated)


def test_generator_is_deterministic_and_scales_the_same_products() -> None:
    small, large = synthetic.generate(rows=500), synthetic.generate(rows=20_000)
    pd.testing.assert_frame_equal(synthetic.generate(rows=500), small)
    first = large[large["product_id"] == "P00000"].iloc[0]
    assert first["base_price"] == small[small["product_id"] == "P00000"].iloc[0]["base_price"]
    assert len(large) == 20_000
    validate(large, TRAINING_COLUMNS)


def test_calendar_and_missing_competitor_features() -> None:
    record = {
        "date": "2024-06-03",  # a Monday, the reference weekday
        "product_id": "P1",
        "category": "snacks",
        "price": 2.0,
        "base_price": 4.0,
        "promo": 1,
        "competitor_price": None,
    }
    row = dict(zip(FEATURE_NAMES, build_features(columns_from_records([record]))[0], strict=True))
    assert row["log_price_ratio_x_snacks"] == np.log(0.5)
    assert row["log_price_ratio_x_dairy"] == 0.0
    assert row["log_competitor_ratio"] == 0.0, "an unknown competitor price is imputed as equal to ours"
    assert row["competitor_missing"] == 1.0
    assert row["category_snacks"] == 1.0
    assert not any(row[f"weekday_{d}"] for d in ("tue", "wed", "thu", "fri", "sat", "sun"))
    friday = build_features(columns_from_records([record | {"date": "2024-06-07"}]))[0]
    assert friday[FEATURE_NAMES.index("weekday_fri")] == 1.0


def test_the_price_features_rise_with_price_and_are_the_constrained_ones() -> None:
    from {{ cookiecutter.module_name }}.features import PRICE_FEATURES

    constraints = dict(zip(FEATURE_NAMES, monotonic_constraints(), strict=True))
    assert {name for name, sign in constraints.items() if sign == -1} == set(PRICE_FEATURES)
