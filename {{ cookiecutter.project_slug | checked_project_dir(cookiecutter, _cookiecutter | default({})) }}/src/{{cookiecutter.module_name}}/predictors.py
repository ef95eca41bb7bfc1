"""What serves a model's predictions besides the estimator, and the checks that let it serve.

The artifact (`artifact`) holds the estimator and, next to it, the forms that serve without
scikit-learn: a linear form (`linear.LinearForm`, NumPy) and an ONNX graph (onnxruntime). A
form serves only once it agrees with its reference and keeps the monotone promises: a linear
form's coefficient signs prove them for every input; a graph, whose numbers cannot be read, is
probed along each constrained feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .features import FEATURE_NAMES, monotonic_constraints
from .linear import Matrix
from .objective import ONNX_INPUT, ONNX_OUTPUT

#: How far a served form may stray from its reference (the estimator, or the linear form).
TOLERANCE = 1e-6
#: Candidate values of a constrained feature when a graph's monotonicity is probed.
_STEPS = np.linspace(-10.0, 10.0, 21)


class FormError(ValueError):
    """A served form that cannot run, strays from its reference, or moves against a constraint."""


def check_signs(coef: Matrix) -> None:
    """One finite coefficient per feature, each with the sign its constraint demands: the proof,
    for every input, that a linear model keeps the monotone promises."""
    cst = np.asarray(monotonic_constraints())
    if coef.shape != cst.shape:
        raise FormError(f"has {coef.size} coefficients for {cst.size} features")
    broken = ~np.isfinite(coef) | ((cst == -1) & (coef > 0)) | ((cst == 1) & (coef < 0))
    if broken.any():
        names = [FEATURE_NAMES[i] for i in np.flatnonzero(broken)]
        raise FormError(f"has coefficients that break their constraints ({names})")


def check_estimator(estimator: Any) -> None:
    """An estimator fitted under this code's monotonic constraints (`monotonic_cst`), for its
    features; for a linear one, coefficients that obey them."""
    get_params = getattr(estimator, "get_params", None)
    params = get_params() if callable(get_params) else {}
    if not hasattr(estimator, "predict") or "monotonic_cst" not in params:
        raise FormError(
            f"a {type(estimator).__name__}, not an estimator with monotonic constraints: its monotone "
            "guarantee cannot be checked"
        )
    expected = monotonic_constraints()
    if list(params["monotonic_cst"] or []) != expected or getattr(estimator, "n_features_in_", None) != len(expected):
        raise FormError("an estimator with other constraints or features than this code declares")
    linear_form = getattr(estimator, "linear_form", None)
    if callable(linear_form):
        try:
            check_signs(linear_form().coef)
        except FormError as error:
            raise FormError(f"an estimator that {error}") from error


@dataclass(frozen=True)
class OnnxPredictor:
    """The ONNX graph on onnxruntime computes the predictions."""

    session: Any  # an onnxruntime.InferenceSession, imported only when this backend serves
    backend: ClassVar[str] = "onnxruntime"

    def predict_unchecked(self, X: Matrix) -> Matrix:
        return np.asarray(self.session.run([ONNX_OUTPUT], {ONNX_INPUT: X})[0][:, 0])


def onnx_predictor(
    graph: bytes, reference: Callable[[Matrix], Matrix] | None, rows: Matrix | None = None
) -> OnnxPredictor:
    """The ONNX graph in onnxruntime, checked against `reference` (when given, on the probe rows
    and `rows`) and for monotonicity on probe rows; raises FormError.

    One thread per session: the web server and batch scoring already parallelize across
    requests and chunks, and more threads would fight over the cores.
    """
    import onnxruntime  # noqa: PLC0415 (only where it serves: the NumPy backend never loads it)

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    try:
        predictor = OnnxPredictor(onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"]))
        check_monotone(predictor.predict_unchecked)
    except FormError:
        raise
    except Exception as error:  # onnxruntime's errors share no base class but Exception
        raise FormError(f"onnxruntime cannot run ({error})") from error
    if reference is not None:
        check_agreement(predictor.predict_unchecked, reference, "the model", rows)
    return predictor


def probes() -> Matrix:
    """All-zeros and each unit vector: two linear models that agree on these agree everywhere."""
    return np.vstack([np.zeros(len(FEATURE_NAMES)), np.eye(len(FEATURE_NAMES))])


def check_agreement(
    served: Callable[[Matrix], Matrix], reference: Callable[[Matrix], Matrix], what: str, rows: Matrix | None = None
) -> None:
    """Refuse a form whose output strays from its reference's on the probe rows and on `rows`
    (real feature rows, when training: a graph of trees, converted in float32, can agree on the
    probes and not on the data)."""
    X = probes() if rows is None else np.vstack([probes(), rows])
    gap = float(np.max(np.abs(served(X) - reference(X))))
    if not gap <= TOLERANCE:
        raise FormError(f"disagrees with {what} by {gap:.3g} (more than {TOLERANCE:g})")


def check_monotone(predict: Callable[[Matrix], Matrix], rows: Matrix | None = None) -> None:
    """Each constrained feature, stepped across `_STEPS` from every probe row (and each of `rows`,
    real feature rows), moves the output only its way: a spot check for a model whose
    coefficients cannot be read."""
    start = probes() if rows is None else np.vstack([probes(), rows])
    for index, direction in enumerate(monotonic_constraints()):
        if direction == 0:
            continue
        rows = np.repeat(start, len(_STEPS), axis=0)
        rows[:, index] = np.tile(_STEPS, len(start))
        steps = np.diff(predict(rows).reshape(len(start), len(_STEPS)), axis=1) * direction
        if (steps < -TOLERANCE).any():
            raise FormError(f"moves against the monotone constraint of {FEATURE_NAMES[index]}")
