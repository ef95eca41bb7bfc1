"""Train the demand model, judge it against a naive baseline, and save/load one safe artifact.

The model is log-linear: log(1 + units) is linear in the features. Price enters only through
`features.PRICE_FEATURES`, whose coefficients are bounded above by 0 during fitting, so
predicted demand can never rise with price. That is a guarantee of the fit, not a hope.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
import skops.io
from scipy.optimize import lsq_linear
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import __version__
from .data import TARGET, Split, describe_schema, fingerprint
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

ARTIFACT_FORMAT = 1
_LOG_MAX_UNITS = float(np.log1p(TARGET.maximum or np.inf))
#: Types the artifact may contain beyond skops' defaults. Loading refuses anything else,
#: so a tampered file cannot smuggle in code to run.
TRUSTED_TYPES = [f"{__name__}.MonotonicLinearRegression"]


class MonotonicLinearRegression(RegressorMixin, BaseEstimator):
    """Ridge-regularized least squares with sign constraints on chosen coefficients.

    Follows the scikit-learn estimator API. `monotonic_cst` uses the convention of
    scikit-learn's gradient boosting: per feature, -1 forces a coefficient <= 0, 1 forces
    >= 0 and 0 leaves it free. `alpha` is the L2 penalty (the intercept is not penalized).
    """

    def __init__(self, monotonic_cst: Sequence[int] | None = None, alpha: float = 0.0) -> None:
        self.monotonic_cst = monotonic_cst
        self.alpha = alpha

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        features, targets = validate_data(self, X, y, y_numeric=True)
        n_features = features.shape[1]
        cst = np.zeros(n_features) if self.monotonic_cst is None else np.asarray(self.monotonic_cst)
        if cst.shape != (n_features,) or not np.isin(cst, (-1, 0, 1)).all():
            raise ValueError(f"monotonic_cst must hold {n_features} values from(1, 0, 1), got {cst.tolist()}")
        # Append the intercept column, and rows sqrt(alpha) * I for the ridge penalty.
        design = np.hstack([features, np.ones((len(features), 1))])
        penalty = np.hstack([np.sqrt(self.alpha) * np.eye(n_features), np.zeros((n_features, 1))])
        lower = np.append(np.where(cst == 1, 0.0, -np.inf), -np.inf)
        upper = np.append(np.where(cst == -1, 0.0, np.inf), np.inf)
        result = lsq_linear(
            np.vstack([design, penalty]), np.concatenate([targets, np.zeros(n_features)]), bounds=(lower, upper)
        )
        self.coef_: npt.NDArray[np.float64] = result.x[:-1]
        self.intercept_ = float(result.x[-1])
        return self

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        check_is_fitted(self)
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_


@dataclass(frozen=True)
class DemandModel:
    """A fitted regressor plus everything needed to trust and explain its predictions."""

    regressor: MonotonicLinearRegression
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.metadata["model_version"])

    def predict(self, columns: Columns) -> Matrix:
        """Expected units sold for each row (raw, before business rounding).

        The product with the coefficients is written out rather than calling the regressor's
        `predict`, whose per-call checks cost more than the product itself for a single row.
        """
        return _to_units(build_features(columns) @ self.regressor.coef_ + self.regressor.intercept_)

    def predict_at_prices(self, columns: Columns, prices: Matrix) -> Matrix:
        """Expected units of each row at each of its candidate prices (`prices`: rows x candidates).

        Only the price features change with price, and the model is linear: each row's other
        features are scored once, and each candidate adds just its price features' share. So
        a hypothetical price costs a few multiplications, not a whole feature row. (With a
        non-linear regressor, score the full rows instead: `build_features` at each price.)
        """
        n_price = len(PRICE_FEATURES)
        coef = self.regressor.coef_
        fixed = build_features(columns)[:, n_price:] @ coef[n_price:] + self.regressor.intercept_
        varying = price_features(columns, prices) @ coef[:n_price]
        return _to_units(fixed[:, None] + varying.reshape(prices.shape))


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


class ArtifactError(RuntimeError):
    """The artifact cannot be used: missing, tampered, or made for another schema or version."""


def save(model: DemandModel, path: Path) -> str:
    """Write the model as one zip file (metadata.json + model.skops); return its model version.

    The metadata carries a sha256 of the model bytes, and the model version is derived from it,
    so two artifacts with the same version hold the same model.
    """
    payload = skops.io.dumps(model.regressor)
    digest = hashlib.sha256(payload).hexdigest()
    metadata = model.metadata | {"model_sha256": digest, "model_version": f"{__version__}+{digest[:12]}"}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata, indent=2, default=str))
        archive.writestr("model.skops", payload)
    partial.replace(path)  # atomic: a crash never leaves a half-written artifact behind
    return str(metadata["model_version"])


def load(path: Path) -> DemandModel:
    """Read an artifact, refusing (with ArtifactError) any file that is not safe to serve."""
    if not path.exists():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
            payload = archive.read("model.skops")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{path} is not a model artifact: {error}") from error
    if hashlib.sha256(payload).hexdigest() != metadata.get("model_sha256"):
        raise ArtifactError(f"{path} failed its integrity check: the model bytes do not match their sha256")
    if metadata.get("artifact_format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"{path} has artifact format {metadata.get('artifact_format')}, expected {ARTIFACT_FORMAT}")
    trained_major = str(metadata.get("package_version", "")).split(".")[0]
    if trained_major != __version__.split(".")[0]:
        raise ArtifactError(
            f"{path} was written by version {metadata.get('package_version')}, incompatible with {__version__}"
            " (major versions differ): retrain the model"
        )
    if metadata.get("input_schema") != describe_schema() or metadata.get("feature_names") != list(FEATURE_NAMES):
        raise ArtifactError(f"{path} was trained for a different input schema or feature set: retrain the model")
    untrusted = set(skops.io.get_untrusted_types(data=payload)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ArtifactError(f"{path} holds types that are not trusted: {sorted(untrusted)}; refusing to load it")
    return DemandModel(skops.io.loads(payload, trusted=TRUSTED_TYPES), metadata)
