from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.data import to_records, validate
from {{ cookiecutter.module_name }}.features import (
    FEATURE_NAMES,
    PRICE_FEATURES,
    build_features,
    columns_from_frame,
    columns_from_records,
    monotonic_constraints,
    price_features,
)


def test_matrix_has_one_named_column_per_feature(sample: pd.DataFrame) -> None:
    matrix = build_features(columns_from_frame(sample))
    assert matrix.shape == (len(sample), len(FEATURE_NAMES))
    assert np.isfinite(matrix).all()


def test_frames_and_records_give_the_same_features(sample: pd.DataFrame) -> None:
    rows = sample.sample(200, random_state=0)
    from_frame = build_features(columns_from_frame(rows))
    from_records = build_features(columns_from_records(to_records(rows)))
    np.testing.assert_array_equal(from_frame, from_records)


def test_one_row_alone_equals_the_same_row_in_a_batch(sample: pd.DataFrame) -> None:
    batch = build_features(columns_from_frame(sample))
    single = build_features(columns_from_frame(sample.iloc[[123]]))
    np.testing.assert_array_equal(single[0], batch[123])


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


def test_price_features_are_exactly_those_that_move_with_price(sample: pd.DataFrame) -> None:
    frame = validate(sample.head(50))
    low = build_features(columns_from_frame(frame))
    high = build_features(columns_from_frame(frame.assign(price=frame["price"] * 1.1)))
    moved = {name for name, changed in zip(FEATURE_NAMES, (low != high).any(axis=0), strict=True) if changed}
    assert moved <= set(PRICE_FEATURES)
    assert (high >= low)[:, [FEATURE_NAMES.index(n) for n in PRICE_FEATURES]].all(), "they must rise with price"
    assert monotonic_constraints().count(-1) == len(PRICE_FEATURES)


def test_price_features_at_candidate_prices_equal_those_rebuilt_at_each_price(sample: pd.DataFrame) -> None:
    frame = validate(sample.sample(40, random_state=5))
    columns = columns_from_frame(frame)
    prices = np.column_stack([frame["price"] * 0.8, frame["price"], frame["base_price"] * 1.3])
    candidates = price_features(columns, prices)
    for j in range(prices.shape[1]):
        rebuilt = build_features(columns | {"price": prices[:, j]})[:, : len(PRICE_FEATURES)]
        np.testing.assert_array_equal(candidates[j :: prices.shape[1]], rebuilt)
