"""Business outputs and price decisions (the regression task's policy), named and computed from the
schema's roles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import features
from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.features import FEATURE_NAMES, build_features
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.postprocess import (
    EXPECTED,
    Policy,
    PriceGrid,
    optimize_prices,
    predict_at_prices,
    predict_at_prices_generic,
    to_business,
)
from {{ cookiecutter.module_name }}.schema import SCHEMA

TARGET = SCHEMA.target
IDS = [c.name for c in SCHEMA.ids]
needs_price = pytest.mark.skipif(SCHEMA.price is None, reason="the schema declares no price")


def test_business_outputs_round_a_count_and_price_it(sample: pd.DataFrame) -> None:
    columns = columns_from_frame(sample.head(3))
    out = to_business(columns, np.array([0.4, 2.5001, 10.2]))
    assert out[EXPECTED].tolist() == [0.4, 2.5001, 10.2]
    for name in IDS:
        assert out[name].tolist() == columns[name].tolist()
    if TARGET.kind == "int":
        assert out[TARGET.name].tolist() == [0, 3, 10]
        assert out[TARGET.name].dtype == np.int64
    if SCHEMA.price is not None:
        quantity = out[TARGET.name] if TARGET.kind == "int" else out[EXPECTED]
        np.testing.assert_allclose(out["revenue"], np.round(quantity * columns[SCHEMA.price], 2))


def test_score_keeps_row_order(model: TrainedModel, sample: pd.DataFrame, project_settings: Settings) -> None:
    rows = sample.sample(min(30, len(sample)), random_state=2)
    out = Policy.from_settings(project_settings).score(model, columns_from_frame(rows))
    for name in IDS:
        assert out[name].tolist() == rows[name].tolist()
    np.testing.assert_allclose(out[EXPECTED], np.round(model.predict(columns_from_frame(rows)), 4))


@needs_price
@pytest.mark.parametrize("unit_cost", [None, 0.5])
def test_optimizer_finds_the_best_candidate(model: TrainedModel, sample: pd.DataFrame, unit_cost: float | None) -> None:
    assert SCHEMA.price is not None
    n = min(25, len(sample))
    rows = columns_from_frame(sample.sample(n, random_state=3))
    grid = PriceGrid(0.8, 1.2, 9)
    decisions = optimize_prices(model, rows, grid, None if SCHEMA.unit_cost else unit_cost)
    goal = "revenue" if unit_cost is None and SCHEMA.unit_cost is None else "profit"
    candidates = grid.candidates(rows[SCHEMA.price])
    for i in range(n):  # brute force, one candidate at a time: the slow way the optimizer avoids
        one = {name: values[i : i + 1] for name, values in rows.items()}
        cost = rows[SCHEMA.unit_cost][i] if SCHEMA.unit_cost else (unit_cost or 0.0)
        values = [(p - cost) * model.predict(one | {SCHEMA.price: np.array([p])})[0] for p in candidates[i]]
        assert decisions["recommended_price"][i] == candidates[i][int(np.argmax(values))]
        assert decisions[f"expected_{goal}"][i] == pytest.approx(max(values), abs=0.01)
    assert (decisions[f"expected_{goal}"] >= decisions[f"current_expected_{goal}"]).all()


def test_the_grid_holds_the_current_price_and_stays_within_its_bounds() -> None:
    current = np.array([1.0, 9.99, 250.0])
    prices = PriceGrid(0.9, 1.1, 5).candidates(current)
    assert prices.shape == (3, 6)
    assert prices[:, -1].tolist() == current.tolist()
    assert (prices[:, :-1] >= np.round(current[:, None] * 0.9, 2) - 1e-9).all()
    assert (prices[:, :-1] <= np.round(current[:, None] * 1.1, 2) + 1e-9).all()


@pytest.mark.parametrize(("low", "high", "points"), [(0.0, 1.2, 5), (1.3, 1.2, 5), (0.8, 1.2, 1)])
def test_bad_price_grids_are_refused(low: float, high: float, points: int) -> None:
    with pytest.raises(ValueError, match="price grid needs"):
        PriceGrid(low, high, points)


@needs_price
def test_scoring_at_candidate_prices_equals_scoring_each_price(model: TrainedModel, sample: pd.DataFrame) -> None:
    assert SCHEMA.price is not None
    rows = sample.sample(min(100, len(sample)), random_state=6)
    columns = columns_from_frame(rows)
    prices = np.outer(rows[SCHEMA.price].to_numpy(), np.linspace(0.2, 5.0, 7))
    at_prices = predict_at_prices(model, columns, prices)
    np.testing.assert_allclose(at_prices, predict_at_prices_generic(model, columns, prices), rtol=1e-12)
    for j in range(prices.shape[1]):
        np.testing.assert_allclose(
            at_prices[:, j], model.predict(dict(columns) | {SCHEMA.price: prices[:, j]}), rtol=1e-12
        )


@pytest.mark.skipif(not hasattr(features, "price_features"), reason="the features offer no price shortcut")
def test_price_features_are_exactly_those_that_move_with_price(sample: pd.DataFrame) -> None:
    assert SCHEMA.price is not None
    rows = sample.head(50)
    low = build_features(columns_from_frame(rows))
    high = build_features(columns_from_frame(rows.assign(**{SCHEMA.price: rows[SCHEMA.price] * 1.1})))
    moved = {name for name, changed in zip(FEATURE_NAMES, (low != high).any(axis=0), strict=True) if changed}
    assert moved <= set(features.PRICE_FEATURES)


@pytest.mark.skipif(not hasattr(features, "price_features"), reason="the features offer no price shortcut")
def test_price_features_at_candidate_prices_equal_those_rebuilt_at_each_price(sample: pd.DataFrame) -> None:
    assert SCHEMA.price is not None
    rows = sample.sample(min(40, len(sample)), random_state=5)
    columns = columns_from_frame(rows)
    prices = np.column_stack([rows[SCHEMA.price] * factor for factor in (0.8, 1.0, 1.3)])
    candidates = features.price_features(columns, prices)
    index = [FEATURE_NAMES.index(name) for name in features.PRICE_FEATURES]
    for j in range(prices.shape[1]):
        rebuilt = build_features(dict(columns) | {SCHEMA.price: prices[:, j]})[:, index]
        np.testing.assert_array_equal(candidates[j :: prices.shape[1]], rebuilt)
