"""What the model learns and how it is judged: the regression task.

`model` trains and predicts through this module alone, so a task swaps it whole: the scale
the estimator fits the target on, the estimator itself (`fit_estimator`, the swap point), the
metrics, which one chooses the penalty, and the naive baseline the model must beat.

A target that cannot be negative (its schema minimum is >= 0, as units sold) is modelled on
the log scale, log(1 + y): the model is then log-linear and its predictions never negative.
The estimator is fitted under `features.monotonic_constraints()`, which turn the schema's
`monotone` promises (demand never rises with price) into a guarantee of the fit, not a hope.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .columns import Matrix, columns_from_frame
from .data import TARGET
from .features import build_features, monotonic_constraints
from .schema import SCHEMA

#: The metric that chooses the penalty on the validation part (lower is better), and the one
#: the command line reports first.
SELECTION_METRIC = "wape"
#: Whether the target is modelled as log(1 + y); see the module docstring.
LOG_TARGET = TARGET.minimum is not None and TARGET.minimum >= 0
_MAX_TARGET = TARGET.maximum if TARGET.maximum is not None else np.inf
#: The ONNX graph's interface, as `onnx_export` writes it and `artifact` serves it: the names of
#: its input (the feature matrix) and output (rows x 1: the prediction on the model scale).
ONNX_INPUT, ONNX_OUTPUT = "features", "prediction"


def to_model_scale(y: npt.ArrayLike) -> Matrix:
    """What the estimator fits: the target, as log(1 + y) when it cannot be negative."""
    values = np.asarray(y, dtype=np.float64)
    return np.log1p(values) if LOG_TARGET else values


def from_model_scale(z: Matrix) -> Matrix:
    """Back to the target's scale, clipped to the schema's bounds so that extreme inputs give a
    large number, never infinity or a negative count; clipping is non-decreasing, so it keeps
    the monotone guarantees."""
    values = np.expm1(np.minimum(z, np.log1p(_MAX_TARGET))) if LOG_TARGET else np.minimum(z, _MAX_TARGET)
    return values if TARGET.minimum is None else np.maximum(values, TARGET.minimum)


def estimate(estimator: Any, X: Matrix) -> Matrix:
    """The estimator's output on the model scale, for any scikit-learn regressor."""
    return np.asarray(estimator.predict(X), dtype=np.float64)


def check_target(part: str, rows: pd.DataFrame) -> None:
    """Refuse a part whose target never varies: there is nothing to learn from it."""
    values = rows[TARGET.name]
    if part == "train" and values.nunique() < 2:
        raise ValueError(
            f"the train part's target '{TARGET.name}' is {values.iloc[0]} in all {len(values):,} rows: nothing to learn"
        )


def fit_estimator(frame: pd.DataFrame, alpha: float) -> Any:
    """The estimator, fitted under the features' monotonic constraints. Swap it here: any
    scikit-learn regressor that takes `monotonic_cst` (e.g. HistGradientBoostingRegressor) works.
    Imported here, not above: serving uses this module but never fits, and has no scikit-learn."""
    from .estimator import MonotonicLinearRegression  # noqa: PLC0415

    X = build_features(columns_from_frame(frame))
    y = to_model_scale(frame[TARGET.name].to_numpy(dtype=np.float64))
    return MonotonicLinearRegression(monotonic_constraints(), alpha).fit(X, y)


def metrics(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """Errors in the target's unit: MAE, RMSE, WAPE (total absolute error over the total) and bias."""
    y, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    error = p - y
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "wape": selection_score(y, p),
        "bias": float(error.mean()),
    }


def selection_score(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """The selection metric alone (WAPE), with NumPy only: what `monitor` tracks once labels arrive."""
    return float(row_loss(actual, predicted).sum() / max(float(np.asarray(actual, dtype=float).sum()), 1.0))


def row_loss(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> Matrix:
    """Each row's share of the selection metric (its absolute error: WAPE is their total over the
    total target): their total ranks two models on the same rows as the metric does, row by row,
    which the promotion gate's bootstrap needs."""
    return np.asarray(np.abs(np.asarray(predicted, dtype=float) - np.asarray(actual, dtype=float)))


def baseline_predict(train: pd.DataFrame, rows: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The naive forecast to beat: each entity's (ids') mean target over the training rows; the
    overall mean for an entity never seen, and for data without ids."""
    overall = float(train[TARGET.name].mean())
    ids = [c.name for c in SCHEMA.ids]
    if not ids:
        return np.full(len(rows), overall)
    means = train.groupby(ids)[TARGET.name].mean().rename("baseline")
    joined = rows[ids].join(means, on=ids)["baseline"]
    return joined.fillna(overall).to_numpy(dtype=float)
