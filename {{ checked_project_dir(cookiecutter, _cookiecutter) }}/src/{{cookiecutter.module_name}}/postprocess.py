"""Turn raw model output into business outputs, and decide prices.

`score` is the one path from input columns to what a caller sees: the HTTP API and batch
scoring both call it, so an online answer and a batch answer for the same row agree. Every
output is named from the schema's roles: the ids are echoed, the target is `expected_<target>`
(and `<target>` in whole units for a count), and `revenue` needs a price column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .columns import Columns
from .config import Settings
from .data import TARGET
from .model import DemandModel
from .schema import SCHEMA

Outputs = dict[str, npt.NDArray[Any]]
EXPECTED = f"expected_{TARGET.name}"


def to_business(columns: Columns, expected: npt.NDArray[np.float64]) -> Outputs:
    """The ids, the expected target, whole units for a count target, and revenue at the row's price.

    Rounding is a non-decreasing map, so the business outputs keep the model's monotone guarantees.
    """
    outputs: Outputs = {c.name: columns[c.name] for c in SCHEMA.ids}
    outputs[EXPECTED] = np.round(expected, 4)
    quantity = expected
    if TARGET.kind == "int":
        quantity = np.rint(expected).astype(np.int64)
        outputs[TARGET.name] = quantity
    if SCHEMA.price is not None:
        outputs["revenue"] = np.round(quantity * columns[SCHEMA.price], 2)
    return outputs


def score(model: DemandModel, columns: Columns) -> Outputs:
    """Predict and post-process a batch of rows (one row works the same way)."""
    return to_business(columns, model.predict(columns))


@dataclass(frozen=True)
class PriceGrid:
    """Candidate prices: `points` evenly spaced multiples of each row's current price, from
    `min_ratio` to `max_ratio` (the bounds on a price change), plus the current price itself."""

    min_ratio: float = 0.7
    max_ratio: float = 1.3
    points: int = 25

    def __post_init__(self) -> None:
        if not 0 < self.min_ratio < self.max_ratio:
            raise ValueError(f"price grid needs 0 < min_ratio < max_ratio, got {self.min_ratio}, {self.max_ratio}")
        if self.points < 2:
            raise ValueError(f"price grid needs at least 2 points, got {self.points}")

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceGrid:
        """The grid the settings describe: the CLI, the API and the benchmark all build it here."""
        return cls(settings.price_min_ratio, settings.price_max_ratio, settings.price_points)

    def candidates(self, current: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Rows x (points + 1) candidate prices, rounded to cents; the last column is the current price."""
        prices = np.empty((len(current), self.points + 1))
        prices[:, :-1] = np.round(current[:, None] * np.linspace(self.min_ratio, self.max_ratio, self.points), 2)
        prices[:, -1] = current
        return prices


def optimize_prices(model: DemandModel, columns: Columns, grid: PriceGrid, unit_cost: float | None = None) -> Outputs:
    """For each row, the candidate price with the highest expected profit, or revenue without a cost.

    The unit cost comes from the schema's `unit_cost` column, else from `unit_cost`; with
    neither, the objective is revenue. The current price is a candidate, so the advice is never
    worse than doing nothing. All candidates of all rows go to the model as one batch, never one
    call per candidate; the decision uses expected (unrounded) quantities, so small volumes do not
    make it jump between prices.
    """
    if SCHEMA.price is None:
        raise ValueError("the schema declares no price column (Schema(price=...)): there is no price to optimize")
    current = np.asarray(columns[SCHEMA.price], dtype=np.float64)
    prices = grid.candidates(current)
    cost = columns[SCHEMA.unit_cost] if SCHEMA.unit_cost is not None else unit_cost
    margin = prices if cost is None else prices - np.asarray(cost, dtype=np.float64).reshape(-1, 1)
    quantity = model.predict_at_prices(columns, prices)
    value = quantity * margin
    best = value.argmax(axis=1)
    rows = np.arange(len(current))
    objective = "revenue" if cost is None else "profit"
    outputs: Outputs = {c.name: columns[c.name] for c in SCHEMA.ids}
    outputs |= {
        "current_price": current,
        "recommended_price": prices[rows, best],
        EXPECTED: np.round(quantity[rows, best], 4),
        f"expected_{objective}": np.round(value[rows, best], 2),
        f"current_expected_{objective}": np.round(value[:, -1], 2),
    }
    return outputs
