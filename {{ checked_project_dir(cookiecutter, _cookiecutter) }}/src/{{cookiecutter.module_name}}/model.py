"""Train the demand model, judge it against a naive baseline, predict (the artifact: `artifact`).

The model is log-linear: log(1 + units) is linear in the features. Price enters only through
`features.PRICE_FEATURES`, whose coefficients are bounded above by 0 during fitting, so
predicted demand can never rise with price. That is a guarantee of the fit, not a hope.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import __version__
from .data import PRICE, TARGET, Split, describe_schema, fingerprint
from .estimator import ONNX_INPUT, MonotonicLinearRegression
from .features import (
    FEATURE_NAMES,
    PRICE_FEATURES,
    Columns,
    Matrix,
    build_features,
    columns_from_frame,
    monotonic_constraints,
    price_features,
)

logger = logging.getLogger(__name__)

#: Version of the artifact's layout; `artifact.load` refuses any other.
ARTIFACT_FORMAT = 1
_LOG_MAX_UNITS = float(np.log1p(TARGET.maximum or np.inf))


@dataclass(frozen=True)
class DemandModel:
    """A fitted regressor plus everything needed to trust and explain its predictions.

    `session` is the regressor's ONNX graph in onnxruntime, when that backend serves (see
    `artifact.load`); otherwise the regressor itself computes the predictions, in this process.
    """

    regressor: Any  # a fitted scikit-learn regressor: `fit_regressor` decides which
    metadata: dict[str, Any]
    session: Any = None  # an onnxruntime.InferenceSession, imported only when that backend serves

    @property
    def backend(self) -> str:
        """What computes the predictions: "onnxruntime" or "numpy" (the regressor itself)."""
        return "numpy" if self.session is None else "onnxruntime"

    @property
    def version(self) -> str:
        return str(self.metadata["model_version"])

    def predict(self, columns: Columns) -> Matrix:
        """Expected units sold for each row (raw, before business rounding)."""
        return _to_units(self.raw_predict(build_features(columns)))

    def raw_predict(self, X: Matrix) -> Matrix:
        """The regressor's output, log(1 + units), for a feature matrix from `build_features`."""
        if self.session is not None:
            return np.asarray(self.session.run(None, {ONNX_INPUT: X})[0][:, 0])
        unchecked = getattr(self.regressor, "predict_unchecked", None)  # the matrix is valid by construction
        return np.asarray(unchecked(X) if unchecked else self.regressor.predict(X), dtype=np.float64)

    def predict_at_prices(self, columns: Columns, prices: Matrix) -> Matrix:
        """Expected units of each row at each of its candidate prices (`prices`: rows x candidates).

        A regressor that offers `predict_varying` (a linear one) scores each row's fixed features
        once and each candidate by its price features alone; any other regressor scores the
        full feature rows at every candidate price. A test holds the two paths equal.
        """
        varying = getattr(self.regressor, "predict_varying", None)
        if varying is None:
            return self.predict_at_prices_generic(columns, prices)
        index = [FEATURE_NAMES.index(name) for name in PRICE_FEATURES]
        values = price_features(columns, prices).reshape(*prices.shape, len(index))
        return _to_units(varying(build_features(columns), index, values))

    def predict_at_prices_generic(self, columns: Columns, prices: Matrix) -> Matrix:
        """`predict_at_prices` for any regressor: every row repeated at each candidate price."""
        width = prices.shape[1]
        repeated = {name: np.repeat(values, width) for name, values in columns.items()}
        repeated[PRICE] = prices.ravel()
        return self.predict(repeated).reshape(prices.shape)


def _to_units(log_units: Matrix) -> Matrix:
    """Invert the log1p target, capped at the target's schema maximum so that extreme inputs
    give a large number, never infinity; the cap is non-decreasing, so it keeps the price guarantee."""
    return np.expm1(np.minimum(log_units, _LOG_MAX_UNITS))


def target(frame: pd.DataFrame) -> Matrix:
    """What the regressor fits: log(1 + units), so that the fitted model is log-linear."""
    units: Matrix = frame["units_sold"].to_numpy(dtype=np.float64)
    return np.log1p(units)


def fit_regressor(frame: pd.DataFrame, alpha: float) -> MonotonicLinearRegression:
    X = build_features(columns_from_frame(frame))
    return MonotonicLinearRegression(monotonic_constraints(), alpha).fit(X, target(frame))


def metrics(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """Errors in units: MAE, RMSE and WAPE (total absolute error over total demand)."""
    y, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    error = p - y
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "wape": float(np.abs(error).sum() / max(y.sum(), 1.0)),
        "bias": float(error.mean()),
    }


def baseline_predict(train: pd.DataFrame, rows: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The naive forecast to beat: each product's mean daily sales over the training period."""
    means = train.groupby("product_id")["units_sold"].mean()
    overall = float(train["units_sold"].mean())
    return rows["product_id"].map(means).fillna(overall).to_numpy(dtype=float)


def evaluate(model: DemandModel, split: Split) -> dict[str, dict[str, float]]:
    """Model and baseline errors on the held-out test rows; the baseline learns from all earlier days."""
    history = pd.concat([split.train, split.validation])
    actual = split.test["units_sold"].to_numpy()
    return {
        "model": metrics(actual, np.clip(model.predict(columns_from_frame(split.test)), 0, None)),
        "baseline": metrics(actual, baseline_predict(history, split.test)),
    }


def train(split: Split, alphas: Sequence[float]) -> DemandModel:
    """Pick the penalty on the validation period, refit on train + validation, report on test.

    The test period is never seen while choosing: its metrics estimate live performance.
    """

    def validation_wape(alpha: float) -> float:
        regressor = fit_regressor(split.train, alpha)
        candidate = DemandModel(regressor, {})
        predicted = np.clip(candidate.predict(columns_from_frame(split.validation)), 0, None)
        return metrics(split.validation["units_sold"], predicted)["wape"]

    scores = {alpha: validation_wape(alpha) for alpha in alphas}
    best_alpha = min(scores, key=scores.__getitem__)
    history = pd.concat([split.train, split.validation])
    regressor = fit_regressor(history, best_alpha)
    metadata: dict[str, Any] = {
        "artifact_format": ARTIFACT_FORMAT,
        "package_version": __version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "input_schema": describe_schema(),
        "feature_names": list(FEATURE_NAMES),
        "params": {"alpha": best_alpha, "validation_wape_by_alpha": {str(a): s for a, s in scores.items()}},
        "rows": {"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
        "periods": {
            name: [str(part["date"].min().date()), str(part["date"].max().date())]
            for name, part in (("train", split.train), ("validation", split.validation), ("test", split.test))
        },
        "data_fingerprint": fingerprint(pd.concat([history, split.test])),
        "library_versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in ("numpy", "pandas", "scikit-learn", "scipy", "skops")},
        },
    }
    model = DemandModel(regressor, metadata)
    metadata["metrics"] = {"test": evaluate(model, split)}
    return model
