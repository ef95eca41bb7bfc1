"""Business outputs and price decisions, named and computed from the schema's roles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.model import DemandModel
from {{ cookiecutter.module_name }}.postprocess import EXPECTED, PriceGrid, optimize_prices, score, to_business
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


def test_score_keeps_row_order(model: DemandModel, sample: pd.DataFrame) -> None:
    rows = sample.sample(min(30, len(sample)), random_state=2)
    out = score(model, columns_from_frame(rows))
    for name in IDS:
        assert out[name].tolist() == rows[name].tolist()
    np.testing.assert_allclose(out[EXPECTED], np.round(model.predict(columns_from_frame(rows)), 4))


@needs_price
@pytest.mark.parametrize("unit_cost", [None, 0.5])
def test_optimizer_finds_the_best_candidate(model: DemandModel, sample: pd.DataFrame, unit_cost: float | None) -> None:
    assert SCHEMA.price is not None
    n = min(25, len(sample))
    rows = columns_from_frame(sample.sample(n, random_state=3))
    grid = PriceGrid(0.8, 1.2, 9)
    decisions = optimize_prices(model, rows, grid, None if SCHEMA.unit_cost else unit_cost)
    objective = "revenue" if unit_cost is None and SCHEMA.unit_cost is None else "profit"
    candidates = grid.candidates(rows[SCHEMA.price])
    for i in range(n):  # brute force, one candidate at a time: the slow way the optimizer avoids
        one = {name: values[i : i + 1] for name, values in rows.items()}
        cost = rows[SCHEMA.unit_cost][i] if SCHEMA.unit_cost else (unit_cost or 0.0)
        values = [(p - cost) * model.predict(one | {SCHEMA.price: np.array([p])})[0] for p in candidates[i]]
        assert decisions["recommended_price"][i] == candidates[i][int(np.argmax(values))]
        assert decisions[f"expected_{objective}"][i] == pytest.approx(max(values), abs=0.01)
    assert (decisions[f"expected_{objective}"] >= decisions[f"current_expected_{objective}"]).all()


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
