from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.features import columns_from_frame
from {{ cookiecutter.module_name }}.model import DemandModel
from {{ cookiecutter.module_name }}.postprocess import PriceGrid, optimize_prices, score, to_business


def test_business_outputs_are_whole_non_negative_units() -> None:
    columns = {"product_id": np.array(["a", "b", "c"], dtype=object), "price": np.array([2.0, 3.0, 1.5])}
    out = to_business(columns, np.array([-0.4, 2.5001, 10.2]))
    assert out["units"].tolist() == [0, 3, 10]
    assert out["units"].dtype == np.int64
    assert out["expected_units"].tolist() == [0.0, 2.5001, 10.2]
    assert out["revenue"].tolist() == [0.0, 9.0, 15.0]


def test_score_keeps_row_order(model: DemandModel, sample: pd.DataFrame) -> None:
    rows = sample.sample(30, random_state=2)
    out = score(model, columns_from_frame(rows))
    assert out["product_id"].tolist() == rows["product_id"].tolist()
    np.testing.assert_allclose(out["revenue"], np.round(out["units"] * rows["price"].to_numpy(), 2))


def test_optimizer_finds_the_best_candidate(model: DemandModel, sample: pd.DataFrame) -> None:
    rows = columns_from_frame(sample.sample(25, random_state=3))
    grid = PriceGrid(0.8, 1.2, 9)
    decisions = optimize_prices(model, rows, grid)
    for i in range(25):  # brute force, one candidate at a time: the slow way the optimizer avoids
        one = {name: values[i : i + 1] for name, values in rows.items()}
        prices = [*np.round(one["base_price"][0] * grid.ratios(), 2), one["price"][0]]
        revenues = [p * max(model.predict(one | {"price": np.array([p])})[0], 0.0) for p in prices]
        assert decisions["optimal_price"][i] == prices[int(np.argmax(revenues))]
        assert decisions["expected_revenue"][i] == pytest.approx(max(revenues), abs=0.01)
    assert (decisions["expected_revenue"] >= decisions["current_expected_revenue"]).all()


@pytest.mark.parametrize(("low", "high", "points"), [(0.0, 1.2, 5), (1.3, 1.2, 5), (0.8, 1.2, 1)])
def test_bad_price_grids_are_refused(low: float, high: float, points: int) -> None:
    with pytest.raises(ValueError, match="price grid needs"):
        PriceGrid(low, high, points)
