"""Turn raw model output into business outputs, and decide prices: the regression task's policy.

`Policy.score` is the one path from input columns to what a caller sees: the HTTP API and batch
scoring both call it, so an online answer and a batch answer for the same row agree.
`Policy.decide` is the task's decision (here: the price with the highest expected profit),
behind the `optimize` command and `POST /optimize`. Every output is named from the schema's
roles: the ids are echoed, the target is `expected_<target>` (and `<target>` in whole units
for a count), and `revenue` needs a price column. The API's response models are built from
`prediction_fields` and `Policy.decision_fields`, so they always match what is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import features, objective
from .columns import Columns, Matrix, OutputFields, Outputs, at_each
from .config import Settings
from .data import TARGET
from .features import FEATURE_NAMES, build_features
from .model import TrainedModel
from .schema import SCHEMA

EXPECTED = f"expected_{TARGET.name}"
#: The output of `score` that is the model's prediction: the prediction log records it.
PREDICTION_OUTPUT = EXPECTED
#: Why this schema allows no decision, or None when it does.
UNAVAILABLE = (
    None
    if SCHEMA.price is not None
    else "the schema declares no price column (Schema(price=...)): there is no price to optimize"
)


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


def prediction_fields() -> OutputFields:
    """The outputs of `to_business` beyond the ids, for the API's prediction model."""
    fields: OutputFields = {EXPECTED: (float, f"Expected {TARGET.name} (model output).")}
    if TARGET.kind == "int":
        fields[TARGET.name] = (int, f"{EXPECTED}, rounded to a whole number.")
    if SCHEMA.price is not None:
        quantity = TARGET.name if TARGET.kind == "int" else EXPECTED
        fields["revenue"] = (float, f"{quantity} * {SCHEMA.price}.")
    return fields


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


def optimize_prices(model: TrainedModel, columns: Columns, grid: PriceGrid, unit_cost: float | None = None) -> Outputs:
    """For each row, the candidate price with the highest expected profit, or revenue without a cost.

    The unit cost comes from the schema's `unit_cost` column, else from `unit_cost`; with
    neither, the objective is revenue. The current price is a candidate, so the advice is never
    worse than doing nothing. All candidates of all rows go to the model as one batch, never one
    call per candidate; the decision uses expected (unrounded) quantities, so small volumes do not
    make it jump between prices.
    """
    if UNAVAILABLE is not None or SCHEMA.price is None:
        raise ValueError(UNAVAILABLE)
    current = np.asarray(columns[SCHEMA.price], dtype=np.float64)
    prices = grid.candidates(current)
    cost = columns[SCHEMA.unit_cost] if SCHEMA.unit_cost is not None else unit_cost
    margin = prices if cost is None else prices - np.asarray(cost, dtype=np.float64).reshape(-1, 1)
    quantity = predict_at_prices(model, columns, prices)
    value = quantity * margin
    best = value.argmax(axis=1)
    rows = np.arange(len(current))
    goal = "revenue" if cost is None else "profit"
    outputs: Outputs = {c.name: columns[c.name] for c in SCHEMA.ids}
    outputs |= {
        "current_price": current,
        "recommended_price": prices[rows, best],
        EXPECTED: np.round(quantity[rows, best], 4),
        f"expected_{goal}": np.round(value[rows, best], 2),
        f"current_expected_{goal}": np.round(value[:, -1], 2),
    }
    return outputs


def predict_at_prices(model: TrainedModel, columns: Columns, prices: Matrix) -> Matrix:
    """The expected target of each row at each of its candidate prices (`prices`: rows x candidates).

    When the model's predictor offers `predict_varying` (a linear one) and the features module offers
    `price_features`, each row's fixed features are scored once and each candidate by its
    price features alone; otherwise the full feature rows are scored at every candidate
    price. A test holds the two paths equal.
    """
    varying = getattr(model.predictor, "predict_varying", None)
    at_prices = getattr(features, "price_features", None)  # optional in a features module
    if varying is None or at_prices is None:
        return predict_at_prices_generic(model, columns, prices)
    index = [FEATURE_NAMES.index(name) for name in features.PRICE_FEATURES]
    values = at_prices(columns, prices).reshape(*prices.shape, len(index))
    return objective.from_model_scale(varying(build_features(columns), index, values))


def predict_at_prices_generic(model: TrainedModel, columns: Columns, prices: Matrix) -> Matrix:
    """`predict_at_prices` for any model: every row repeated at each candidate price."""
    if SCHEMA.price is None:
        raise ValueError(UNAVAILABLE)
    return model.predict(at_each(columns, SCHEMA.price, prices)).reshape(prices.shape)


@dataclass(frozen=True)
class Policy:
    """The task's business rules, built once from the settings: what `/predict` and the
    `predict` command return per row, and the decision behind `optimize`."""

    grid: PriceGrid
    unit_cost: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy the settings describe: the CLI, the API and the benchmark all build it here."""
        return cls(PriceGrid.from_settings(settings), settings.unit_cost)

    @property
    def goal(self) -> str:
        """What the decision maximizes: profit with a unit cost (column or setting), else revenue."""
        return "revenue" if SCHEMA.unit_cost is None and self.unit_cost is None else "profit"

    @property
    def evaluations_per_row(self) -> int:
        """Model evaluations one decision takes: the benchmark's measure of work."""
        return self.grid.points + 1

    def score(self, model: TrainedModel, columns: Columns) -> Outputs:
        """Predict and post-process a batch of rows (one row works the same way)."""
        return to_business(columns, model.predict(columns))

    def decide(self, model: TrainedModel, columns: Columns) -> Outputs:
        """The recommended price of each row (see `optimize_prices`)."""
        return optimize_prices(model, columns, self.grid, self.unit_cost)

    def decision_fields(self) -> OutputFields:
        """The outputs of `decide` beyond the ids, for the API's decision model."""
        goal = self.goal
        return {
            "current_price": (float, f"The record's {SCHEMA.price}."),
            "recommended_price": (float, f"The candidate with the highest expected {goal}."),
            EXPECTED: (float, f"Expected {TARGET.name} at the recommended price."),
            f"expected_{goal}": (float, f"Expected {goal} at the recommended price."),
            f"current_expected_{goal}": (float, f"Expected {goal} at the current price."),
        }

    def summary(self, decisions: Outputs) -> str:
        """One line on what the decisions are worth, for the command line."""
        goal = self.goal
        best, now = decisions[f"expected_{goal}"].sum(), decisions[f"current_expected_{goal}"].sum()
        return (
            f"{self.evaluations_per_row} candidate prices per row; expected {goal} "
            f"{best / max(now, 1e-9) - 1:+.1%} vs current prices"
        )
