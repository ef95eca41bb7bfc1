"""Turn raw model output into business outputs, and decide prices.

`score` is the one path from input columns to what a caller sees: the HTTP API and batch
scoring both call it, so an online answer and a batch answer for the same row agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .features import Columns
from .model import DemandModel

Outputs = dict[str, npt.NDArray[Any]]


def to_business(columns: Columns, expected_units: npt.NDArray[np.float64]) -> Outputs:
    """Demand as whole, non-negative units, and the revenue they bring at the row's price.

    Clipping and rounding are non-decreasing maps, so the business output keeps the model's
    guarantee: it never rises with price.
    """
    expected = np.clip(expected_units, 0.0, None)
    units = np.rint(expected).astype(np.int64)
    return {
        "product_id": columns["product_id"],
        "expected_units": np.round(expected, 4),
        "units": units,
        "revenue": np.round(units * columns["price"], 2),
    }


def score(model: DemandModel, columns: Columns) -> Outputs:
    """Predict and post-process a batch of rows (one row works the same way)."""
    return to_business(columns, model.predict(columns))


@dataclass(frozen=True)
class PriceGrid:
    """Candidate prices as multiples of each product's base price, evenly spaced."""

    min_ratio: float = 0.7
    max_ratio: float = 1.3
    points: int = 25

    def __post_init__(self) -> None:
        if not 0 < self.min_ratio < self.max_ratio:
            raise ValueError(f"price grid needs 0 < min_ratio < max_ratio, got {self.min_ratio}, {self.max_ratio}")
        if self.points < 2:
            raise ValueError(f"price grid needs at least 2 points, got {self.points}")

    def ratios(self) -> npt.NDArray[np.float64]:
        return np.linspace(self.min_ratio, self.max_ratio, self.points)


def optimize_prices(model: DemandModel, columns: Columns, grid: PriceGrid) -> Outputs:
    """For each row (a product on a day), the candidate price that maximizes expected revenue.

    The candidates are the grid around the base price plus the current price, so the advice is
    never worse than doing nothing. All candidates of all rows go to the model as one batch
    (rows * candidates predictions in one vectorized call), never one call per candidate. The
    decision uses expected (unrounded) units, so small volumes do not make it jump between prices.
    """
    n, width = len(columns["price"]), grid.points + 1
    prices = np.empty((n, width))
    prices[:, :-1] = np.round(columns["base_price"][:, None] * grid.ratios()[None, :], 2)
    prices[:, -1] = columns["price"]
    revenue = np.clip(model.predict_at_prices(columns, prices), 0.0, None) * prices
    best = revenue.argmax(axis=1)
    rows = np.arange(n)
    return {
        "product_id": columns["product_id"],
        "current_price": columns["price"],
        "optimal_price": prices[rows, best],
        "expected_units": np.round(revenue[rows, best] / prices[rows, best], 4),
        "expected_revenue": np.round(revenue[rows, best], 2),
        "current_expected_revenue": np.round(revenue[:, -1], 2),
    }
