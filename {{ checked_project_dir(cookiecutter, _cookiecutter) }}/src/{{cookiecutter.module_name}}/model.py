"""Train the model, judge it against a naive baseline, predict (the artifact: `artifact`).

A target that cannot be negative (its schema minimum is >= 0, as units sold) is modelled on the
log scale, log(1 + y): the model is then log-linear and its predictions never negative. The
regressor is fitted under `features.monotonic_constraints()`, which turn the schema's
`monotone` promises (demand never rises with price) into a guarantee of the fit, not a hope.
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

from . import __version__, features
from .columns import Columns, Matrix, at_each, columns_from_frame
from .data import TARGET, Split, fingerprint, to_records
from .estimator import ONNX_INPUT, MonotonicLinearRegression
from .features import FEATURE_NAMES, build_features, monotonic_constraints
from .schema import SCHEMA

logger = logging.getLogger(__name__)

#: Version of the artifact's layout; `artifact.load` refuses any other.
ARTIFACT_FORMAT = 1
#: Whether the target is modelled as log(1 + y); see the module docstring.
LOG_TARGET = TARGET.minimum is not None and TARGET.minimum >= 0
_MAX_TARGET = TARGET.maximum if TARGET.maximum is not None else np.inf


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
        """The expected target for each row (raw, before business rounding)."""
        return from_model_scale(self.raw_predict(build_features(columns)))

    def raw_predict(self, X: Matrix) -> Matrix:
        """The regressor's output (the target on the model's scale) for a matrix from `build_features`."""
        if len(X) == 0:  # a chunk with no valid row: scikit-learn's checks refuse an empty matrix
            return np.empty(0)
        if self.session is not None:
            return np.asarray(self.session.run(None, {ONNX_INPUT: X})[0][:, 0])
        unchecked = getattr(self.regressor, "predict_unchecked", None)  # the matrix is valid by construction
        return np.asarray(unchecked(X) if unchecked else self.regressor.predict(X), dtype=np.float64)

    def predict_at_prices(self, columns: Columns, prices: Matrix) -> Matrix:
        """The expected target of each row at each of its candidate prices (`prices`: rows x candidates).

        When the regressor offers `predict_varying` (a linear one) and the features module offers
        `price_features`, each row's fixed features are scored once and each candidate by its
        price features alone; otherwise the full feature rows are scored at every candidate
        price. A test holds the two paths equal.
        """
        varying = getattr(self.regressor, "predict_varying", None)
        at_prices = getattr(features, "price_features", None)  # optional in a features module
        if varying is None or at_prices is None:
            return self.predict_at_prices_generic(columns, prices)
        index = [FEATURE_NAMES.index(name) for name in features.PRICE_FEATURES]
        values = at_prices(columns, prices).reshape(*prices.shape, len(index))
        return from_model_scale(varying(build_features(columns), index, values))

    def predict_at_prices_generic(self, columns: Columns, prices: Matrix) -> Matrix:
        """`predict_at_prices` for any regressor: every row repeated at each candidate price."""
        return self.predict(at_each(columns, _price_column(), prices)).reshape(prices.shape)


def _price_column() -> str:
    if SCHEMA.price is None:
        raise ValueError("the schema declares no price column (Schema(price=...)): there is no price to optimize")
    return SCHEMA.price


def to_model_scale(y: npt.ArrayLike) -> Matrix:
    """What the regressor fits: the target, as log(1 + y) when it cannot be negative."""
    values = np.asarray(y, dtype=np.float64)
    return np.log1p(values) if LOG_TARGET else values


def from_model_scale(z: Matrix) -> Matrix:
    """Back to the target's scale, clipped to the schema's bounds so that extreme inputs give a
    large number, never infinity or a negative count; clipping is non-decreasing, so it keeps
    the monotone guarantees."""
    values = np.expm1(np.minimum(z, np.log1p(_MAX_TARGET))) if LOG_TARGET else np.minimum(z, _MAX_TARGET)
    return values if TARGET.minimum is None else np.maximum(values, TARGET.minimum)


def target(frame: pd.DataFrame) -> Matrix:
    return to_model_scale(frame[TARGET.name].to_numpy(dtype=np.float64))


def fit_regressor(frame: pd.DataFrame, alpha: float) -> Any:
    """The regressor, fitted under the features' monotonic constraints. Swap it here: any
    scikit-learn regressor that takes `monotonic_cst` (e.g. HistGradientBoostingRegressor) works."""
    X = build_features(columns_from_frame(frame))
    return MonotonicLinearRegression(monotonic_constraints(), alpha).fit(X, target(frame))


def metrics(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """Errors in the target's unit: MAE, RMSE, WAPE (total absolute error over the total) and bias."""
    y, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    error = p - y
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "wape": float(np.abs(error).sum() / max(y.sum(), 1.0)),
        "bias": float(error.mean()),
    }


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


def evaluate(model: DemandModel, split: Split) -> dict[str, dict[str, float]]:
    """Model and baseline errors on the held-out test rows; the baseline learns from all the others."""
    history = pd.concat([split.train, split.validation])
    actual = split.test[TARGET.name].to_numpy()
    return {
        "model": metrics(actual, model.predict(columns_from_frame(split.test))),
        "baseline": metrics(actual, baseline_predict(history, split.test)),
    }


def train(split: Split, alphas: Sequence[float]) -> DemandModel:
    """Pick the penalty on the validation period, refit on train + validation, report on test.

    The test period is never seen while choosing: its metrics estimate live performance.
    """

    def validation_wape(alpha: float) -> float:
        regressor = fit_regressor(split.train, alpha)
        candidate = DemandModel(regressor, {})
        predicted = candidate.predict(columns_from_frame(split.validation))
        return metrics(split.validation[TARGET.name], predicted)["wape"]

    scores = {alpha: validation_wape(alpha) for alpha in alphas}
    best_alpha = min(scores, key=scores.__getitem__)
    history = pd.concat([split.train, split.validation])
    regressor = fit_regressor(history, best_alpha)
    metadata: dict[str, Any] = {
        "artifact_format": ARTIFACT_FORMAT,
        "package_version": __version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "input_schema": SCHEMA.describe(),
        "feature_names": list(FEATURE_NAMES),
        "params": {"alpha": best_alpha, "validation_wape_by_alpha": {str(a): s for a, s in scores.items()}},
        "rows": {"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
        "periods": _periods(split),
        "data_fingerprint": fingerprint(pd.concat([history, split.test])),
        "example_request": to_records(split.test.head(3)),
        "library_versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in ("numpy", "pandas", "scikit-learn", "scipy", "skops")},
        },
    }
    model = DemandModel(regressor, metadata)
    metadata["metrics"] = {"test": evaluate(model, split)}
    return model


def _periods(split: Split) -> dict[str, list[str]]:
    """First and last date of each part, when the data has a time column."""
    if SCHEMA.time is None:
        return {}
    name = SCHEMA.time.name
    return {part: [str(rows[name].min().date()), str(rows[name].max().date())] for part, rows in split.parts()}
