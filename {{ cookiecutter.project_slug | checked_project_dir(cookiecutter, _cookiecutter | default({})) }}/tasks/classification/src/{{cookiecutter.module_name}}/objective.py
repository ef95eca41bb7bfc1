"""What the model learns and how it is judged: the binary classification task.

`model` trains and predicts through this module alone, so a task swaps it whole: the labels,
the estimator (`fit_estimator`, the swap point), the metrics, which one chooses the penalty,
and the naive baseline the model must beat.

The model's answer is the probability of the positive label (the second of the target's two
declared labels). The estimator works on the log-odds of it (its model scale: a linear score,
the same for the estimator, its ONNX graph and its linear form), and `from_model_scale` turns
that into the probability. It is judged as a probability, not a yes/no: log loss (what the penalty
minimizes on the validation part), Brier score, ROC AUC, PR AUC and the expected calibration
error; the decision that turns it into an action is `postprocess`'s. The estimator is fitted
under `features.monotonic_constraints()`, which turn the schema's `monotone` promises (churn
never rises with tenure) into a guarantee of the fit, not a hope.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .columns import Matrix, columns_from_frame
from .contract import DeclarationError
from .data import TARGET
from .features import build_features, monotonic_constraints

#: The metric that chooses the penalty on the validation part (lower is better), and the one
#: the command line reports first.
SELECTION_METRIC = "log_loss"
#: Probability bins of the expected calibration error.
CALIBRATION_BINS = 10
_EPSILON = 1e-15
#: The ONNX graph's interface, as `onnx_export` writes it and `artifact` serves it: the names of
#: its input (the feature matrix) and output (rows x 1: the positive label's log-odds).
ONNX_INPUT, ONNX_OUTPUT = "features", "log_odds"


def _labels() -> tuple[Any, Any]:
    """The target's (negative, positive) labels: its two `allowed` values, else 0 and 1."""
    if TARGET.allowed is not None and len(TARGET.allowed) == 2:
        return TARGET.allowed[0], TARGET.allowed[1]
    if TARGET.kind == "int" and TARGET.minimum == 0 and TARGET.maximum == 1:
        return 0, 1
    raise DeclarationError(
        f"column '{TARGET.name}' is the target of a classifier: declare it kind='int' with minimum=0 and "
        f"maximum=1, or kind='string' with allowed=(negative_label, positive_label)"
    )


NEGATIVE, POSITIVE = _labels()


def is_positive(values: pd.Series | npt.ArrayLike) -> Matrix:
    """1.0 where the target holds the positive label, else 0.0."""
    return np.asarray(np.asarray(values) == POSITIVE, dtype=np.float64)


def from_model_scale(z: Matrix) -> Matrix:
    """The probability from the log-odds: the logistic function 1 / (1 + e^-z), written so that
    no z overflows. It is increasing, so it keeps the monotone guarantees."""
    return np.asarray(np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64))))


def estimate(estimator: Any, X: Matrix) -> Matrix:
    """The positive label's log-odds, for any scikit-learn classifier: its `decision_function`
    when it has one (binary classifiers' is the log-odds), else from its probabilities."""
    decision = getattr(estimator, "decision_function", None)
    if callable(decision):
        return np.asarray(decision(X), dtype=np.float64).ravel()
    column = int(np.flatnonzero(estimator.classes_ == 1)[0])
    p = np.clip(np.asarray(estimator.predict_proba(X)[:, column], dtype=np.float64), _EPSILON, 1 - _EPSILON)
    return np.asarray(np.log(p) - np.log1p(-p))


def check_target(part: str, rows: pd.DataFrame) -> None:
    """Refuse a part that holds one class only: a classifier cannot learn, and AUC is undefined."""
    positives = int(is_positive(rows[TARGET.name]).sum())
    if positives in {0, len(rows)}:
        only = POSITIVE if positives else NEGATIVE
        raise ValueError(
            f"the {part} part holds only {TARGET.name}={only} rows ({len(rows):,}): every part needs both "
            f"{NEGATIVE} and {POSITIVE}; use more data or change the split settings"
        )


def fit_estimator(frame: pd.DataFrame, alpha: float) -> Any:
    """The estimator, fitted under the features' monotonic constraints on labels 0 / 1. Swap it
    here: any scikit-learn classifier with `predict_proba` that takes `monotonic_cst` (e.g.
    HistGradientBoostingClassifier) works. Imported here, not above: serving uses this module but
    never fits, and has no scikit-learn."""
    from .estimator import MonotonicLogisticRegression  # noqa: PLC0415

    X = build_features(columns_from_frame(frame))
    return MonotonicLogisticRegression(monotonic_constraints(), alpha).fit(X, is_positive(frame[TARGET.name]))


def calibration_error(y: Matrix, p: Matrix, bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: over equal-width probability bins, the gap between the mean
    predicted probability and the observed rate, weighted by the bin's share of rows."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, p, bins) - np.bincount(which, y, bins))
    return float(gap.sum() / max(count.sum(), 1))


def metrics(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """How good the probabilities are: log loss, Brier score, ROC AUC, PR AUC (average precision),
    expected calibration error, and the observed and predicted positive rates. (scikit-learn's
    AUCs are imported here: serving never scores, and has no scikit-learn.)"""
    from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: PLC0415

    y, p = is_positive(actual), np.asarray(predicted, dtype=float)
    both = 0 < y.sum() < len(y)
    return {
        "log_loss": selection_score(actual, predicted),
        "brier": float(np.mean((p - y) ** 2)),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "ece": calibration_error(y, p),
        "positive_rate": float(y.mean()),
        "mean_probability": float(p.mean()),
    }


def selection_score(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """The selection metric alone (log loss), with NumPy only: what `monitor` tracks once labels
    arrive (the serving image, where it may run, has no scikit-learn for the AUCs)."""
    return float(np.mean(row_loss(actual, predicted)))


def row_loss(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> Matrix:
    """Each row's share of the selection metric (its log loss): their total ranks two models on
    the same rows as the metric does, row by row, which the promotion gate's bootstrap needs."""
    y = is_positive(actual)
    clipped = np.clip(np.asarray(predicted, dtype=float), _EPSILON, 1 - _EPSILON)
    return np.asarray(-(y * np.log(clipped) + (1 - y) * np.log1p(-clipped)))


def baseline_predict(train: pd.DataFrame, rows: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The naive forecast to beat: the training rows' positive rate, for every row."""
    return np.full(len(rows), is_positive(train[TARGET.name]).mean())
