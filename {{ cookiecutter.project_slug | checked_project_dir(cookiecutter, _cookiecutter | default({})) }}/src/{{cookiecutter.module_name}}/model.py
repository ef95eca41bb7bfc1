"""Train the model, judge it against a naive baseline, predict (the artifact: `artifact`).

What is learned and how it is judged (the target's scale, the estimator, the metrics, the
baseline) is the task's, in `objective`; this module is the same for every task: choose the
penalty on the validation part, refit, report on the held-out test part, and predict with
whichever backend serves.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, ClassVar, Protocol

import numpy as np

from . import __version__, objective
from .columns import Columns, Matrix, columns_from_frame
from .data import TARGET, Split, observed_inputs, to_records
from .features import FEATURE_NAMES, build_features
from .profile import reference_profile, segment_columns
from .schema import SCHEMA

logger = logging.getLogger(__name__)

#: Version of the artifact's layout; `artifact.load` refuses any other. 2: the linear form
#: (`model.linear.json`) beside the estimator, and every form on the model scale.
ARTIFACT_FORMAT = 2


class Predictor(Protocol):
    """What computes the model's output (on its model scale) from a matrix of `build_features`:
    a `linear.LinearForm` (NumPy), the ONNX graph (onnxruntime) or the estimator itself."""

    backend: ClassVar[str]

    def predict_unchecked(self, X: Matrix) -> Matrix: ...


@dataclass(frozen=True)
class EstimatorPredictor:
    """The fitted scikit-learn estimator computes the predictions: the reference, and the only
    way to serve an estimator that has neither a linear form nor an ONNX graph."""

    estimator: Any
    backend: ClassVar[str] = "scikit-learn"

    def predict_unchecked(self, X: Matrix) -> Matrix:
        return objective.estimate(self.estimator, X)


def predictor_of(estimator: Any) -> Predictor:
    """The fastest predictor of a fitted estimator: its linear form when it has one."""
    linear_form = getattr(estimator, "linear_form", None)
    return linear_form() if callable(linear_form) else EstimatorPredictor(estimator)


@dataclass(frozen=True)
class TrainedModel:
    """A model that predicts, plus everything needed to trust and explain its predictions.

    `estimator` is the fitted scikit-learn estimator when the model was trained or loaded in
    full; a served model has only its `predictor` (see `artifact.load`), and no scikit-learn.
    """

    predictor: Predictor
    metadata: dict[str, Any]
    estimator: Any = None
    #: What training saw (`profile.reference_profile`), for `monitor`; only a trained model has it.
    profile: dict[str, Any] | None = None

    @classmethod
    def fitted(cls, estimator: Any, metadata: dict[str, Any]) -> TrainedModel:
        return cls(predictor_of(estimator), metadata, estimator)

    @property
    def backend(self) -> str:
        """What computes the predictions: "numpy", "onnxruntime" or "scikit-learn"."""
        return self.predictor.backend

    @property
    def version(self) -> str:
        return str(self.metadata["model_version"])

    def predict(self, columns: Columns) -> Matrix:
        """The model's answer for each row on the target's scale (raw, before business rules)."""
        return objective.from_model_scale(self.raw_predict(build_features(columns)))

    def raw_predict(self, X: Matrix) -> Matrix:
        """The model's output (on its model scale) for a matrix from `build_features`."""
        if len(X) == 0:  # a chunk with no valid row: scikit-learn and ONNX graphs may refuse an empty matrix
            return np.empty(0)
        return self.predictor.predict_unchecked(X)


def test_predictions(model: TrainedModel, split: Split) -> tuple[Matrix, Matrix]:
    """The model's and the baseline's predictions for the held-out test rows; the baseline learns
    from all the others."""
    predicted = model.predict(columns_from_frame(split.test))
    return predicted, objective.baseline_predict(split.history, split.test)


def scores(split: Split, predicted: Matrix, baseline: Matrix) -> dict[str, dict[str, float]]:
    """Model and baseline metrics on the held-out test rows, from their predictions."""
    actual = split.test[TARGET.name]
    return {"model": objective.metrics(actual, predicted), "baseline": objective.metrics(actual, baseline)}


def evaluate(model: TrainedModel, split: Split) -> dict[str, dict[str, float]]:
    """Model and baseline metrics on the held-out test rows."""
    return scores(split, *test_predictions(model, split))


def train(split: Split, alphas: Sequence[float]) -> TrainedModel:
    """Pick the penalty on the validation period, refit on train + validation, report on test.

    The test period is never seen while choosing: its metrics estimate live performance.
    """
    for part, rows in split.parts():
        objective.check_target(part, rows)
    selection = objective.SELECTION_METRIC

    def validation_score(alpha: float) -> float:
        candidate = TrainedModel.fitted(objective.fit_estimator(split.train, alpha), {})
        predicted = candidate.predict(columns_from_frame(split.validation))
        return objective.metrics(split.validation[TARGET.name], predicted)[selection]

    by_alpha = {alpha: validation_score(alpha) for alpha in alphas}
    best_alpha = min(by_alpha, key=by_alpha.__getitem__)
    history = split.history
    estimator = objective.fit_estimator(history, best_alpha)
    metadata: dict[str, Any] = {
        "artifact_format": ARTIFACT_FORMAT,
        "package_version": __version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "input_schema": SCHEMA.describe(),
        "feature_names": list(FEATURE_NAMES),
        "params": {"alpha": best_alpha, f"validation_{selection}_by_alpha": {str(a): s for a, s in by_alpha.items()}},
        "rows": {"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
        "periods": _periods(split),
        "data_fingerprint": split.fingerprint(),
        "inputs_seen": observed_inputs(history),
        "example_request": to_records(split.test.head(3)),
        "library_versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in ("numpy", "pandas", "scikit-learn", "scipy", "skops")},
        },
    }
    model = TrainedModel.fitted(estimator, metadata)
    predicted, baseline = test_predictions(model, split)  # once, for the metrics and the segments
    metadata["metrics"] = {"test": scores(split, predicted, baseline)}
    segments = segment_metrics(split, predicted, baseline)
    return replace(model, profile=reference_profile(history, model.predict(columns_from_frame(history)), segments))


def segment_metrics(split: Split, predicted: Matrix, baseline: Matrix) -> dict[str, dict[str, dict[str, Any]]]:
    """Test metrics per value of each segment input (`profile.segment_columns`), model (`predicted`)
    against baseline, both on `split.test`: where the model is weak, which one overall number hides."""
    test, actual = split.test, split.test[TARGET.name].to_numpy()
    segments: dict[str, dict[str, dict[str, Any]]] = {}
    for name in segment_columns(split.history):
        segments[name] = {
            str(value): {
                "rows": len(rows),
                "model": objective.metrics(actual[rows], predicted[rows]),
                "baseline": objective.metrics(actual[rows], baseline[rows]),
            }
            for value, rows in test.groupby(name, dropna=True, observed=True).indices.items()
        }
    return segments


def _periods(split: Split) -> dict[str, list[str]]:
    """First and last date of each part, when the data has a time column."""
    if SCHEMA.time is None:
        return {}
    name = SCHEMA.time.name
    return {part: [str(rows[name].min().date()), str(rows[name].max().date())] for part, rows in split.parts()}
