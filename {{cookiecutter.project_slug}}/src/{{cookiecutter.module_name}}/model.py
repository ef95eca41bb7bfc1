"""Train the demand model, judge it against a naive baseline, save/load one safe artifact, predict.

The model is log-linear: log(1 + units) is linear in the features. Price enters only through
`features.PRICE_FEATURES`, whose coefficients are bounded above by 0 during fitting, so
predicted demand can never rise with price. That is a guarantee of the fit, not a hope.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime
import pandas as pd
import skops.io
from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator

from . import __version__
from .data import TARGET, Split, describe_schema, fingerprint
from .estimator import ONNX_INPUT, MonotonicLinearRegression, to_onnx
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

ARTIFACT_FORMAT = 1
_LOG_MAX_UNITS = float(np.log1p(TARGET.maximum or np.inf))
#: Types the artifact may contain beyond skops' defaults. Loading refuses anything else,
#: so a tampered file cannot smuggle in code to run.
TRUSTED_TYPES = [f"{MonotonicLinearRegression.__module__}.{MonotonicLinearRegression.__qualname__}"]
#: How far the ONNX graph's output may stray from the scikit-learn reference.
ONNX_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DemandModel:
    """A fitted regressor plus everything needed to trust and explain its predictions.

    `session` is the regressor's ONNX graph loaded into onnxruntime; without it, NumPy
    computes the same numbers from the regressor's coefficients.
    """

    regressor: MonotonicLinearRegression
    metadata: dict[str, Any]
    session: onnxruntime.InferenceSession | None = None

    @property
    def backend(self) -> str:
        """What computes the predictions: "onnxruntime" or "scikit-learn"."""
        return "scikit-learn" if self.session is None else "onnxruntime"

    @property
    def version(self) -> str:
        return str(self.metadata["model_version"])

    def predict(self, columns: Columns) -> Matrix:
        """Expected units sold for each row (raw, before business rounding)."""
        return _to_units(self.raw_predict(build_features(columns)))

    def raw_predict(self, X: Matrix) -> Matrix:
        """The regressor's output, log(1 + units), for a feature matrix.

        The scikit-learn path writes the product with the coefficients out rather than calling
        the regressor's `predict`, whose per-call checks cost more than the product for one row.
        """
        if self.session is not None:
            return np.asarray(self.session.run(None, {ONNX_INPUT: X})[0][:, 0])
        return X @ self.regressor.coef_ + self.regressor.intercept_

    def predict_at_prices(self, columns: Columns, prices: Matrix) -> Matrix:
        """Expected units of each row at each of its candidate prices (`prices`: rows x candidates).

        Only the price features change with price, and the model is linear: each row's other
        features are scored once, and each candidate adds just its price features' share. So
        a hypothetical price costs a few multiplications, not a whole feature row. (With a
        non-linear regressor, score the full rows instead: `build_features` at each price.)
        This shortcut uses the coefficients whichever backend serves `predict`; a test holds
        the two to the same numbers.
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
    """Write the model as one zip file; return its model version.

    The zip holds metadata.json, the regressor as skops (the reference, loadable without
    running code) and, when skl2onnx can convert it, the same regressor as ONNX for
    onnxruntime. The metadata carries a sha256 of each file, and the model version is derived
    from the regressor's, so two artifacts with the same version hold the same model.
    """
    files = {"model.skops": skops.io.dumps(model.regressor)}
    try:
        graph = to_onnx(model.regressor)
        _onnx_session(graph, model.regressor)  # only a graph that agrees with the model is shipped
        files["model.onnx"] = graph
    except (MissingConverter, MissingShapeCalculator, OnnxError) as error:
        logger.warning("no ONNX graph in the artifact, predictions will use scikit-learn: %s", error)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    model_version = f"{__version__}+{digests['model.skops'][:12]}"
    metadata = model.metadata | {"sha256": digests, "model_version": model_version}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata, indent=2, default=str))
        for name, data in files.items():
            archive.writestr(name, data)
    partial.replace(path)  # atomic: a crash never leaves a half-written artifact behind
    return model_version


def load(path: Path, *, use_onnx: bool = True) -> DemandModel:
    """Read an artifact, refusing (with ArtifactError) any file that is not safe to serve.

    With `use_onnx` (and an ONNX graph in the artifact) predictions run on onnxruntime, once
    the graph is shown to agree with the scikit-learn regressor; otherwise on NumPy.
    """
    if not path.exists():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
            digests: dict[str, str] = metadata.get("sha256") or {"model.skops": ""}
            files = {name: archive.read(name) for name in digests}
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{path} is not a model artifact: {error}") from error
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != digests[name]:
            raise ArtifactError(f"{path} failed its integrity check: the bytes of {name} do not match their sha256")
    _check_compatible(path, metadata)
    untrusted = set(skops.io.get_untrusted_types(data=files["model.skops"])) - set(TRUSTED_TYPES)
    if untrusted:
        raise ArtifactError(f"{path} holds types that are not trusted: {sorted(untrusted)}; refusing to load it")
    regressor = skops.io.loads(files["model.skops"], trusted=TRUSTED_TYPES)
    if not use_onnx:
        return DemandModel(regressor, metadata)
    if "model.onnx" not in files:
        logger.warning("%s has no ONNX graph: predictions will use scikit-learn", path)
        return DemandModel(regressor, metadata)
    try:
        session = _onnx_session(files["model.onnx"], regressor)
    except OnnxError as error:
        raise ArtifactError(f"{path} holds an ONNX graph that {error}: retrain the model") from error
    return DemandModel(regressor, metadata, session)


def _check_compatible(path: Path, metadata: dict[str, Any]) -> None:
    """Refuse an artifact from another format, major version, input schema or feature set."""
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


class OnnxError(ValueError):
    """An ONNX graph that onnxruntime cannot run, or whose output strays from the regressor's."""


def _onnx_session(graph: bytes, regressor: MonotonicLinearRegression) -> onnxruntime.InferenceSession:
    """Load the ONNX graph into onnxruntime, checked against the regressor on probe rows.

    The probes are all-zeros and each unit vector: for a linear model, agreeing on them means
    agreeing everywhere. One thread per session: the web server and batch scoring already
    parallelize across requests and chunks, and more threads would fight over the cores.
    """
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    probes = np.vstack([np.zeros(len(FEATURE_NAMES)), np.eye(len(FEATURE_NAMES))])
    try:
        session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        onnx_output = session.run(None, {ONNX_INPUT: probes})[0][:, 0]
    except Exception as error:  # onnxruntime's errors share no base class but Exception
        raise OnnxError(f"onnxruntime cannot run ({error})") from error
    gap = float(np.max(np.abs(onnx_output - regressor.predict(probes))))
    if not gap <= ONNX_TOLERANCE:
        raise OnnxError(f"disagrees with the scikit-learn model by {gap:.3g} (more than {ONNX_TOLERANCE:g})")
    return session
