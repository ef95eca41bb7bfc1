"""The regressor: least squares with sign-constrained coefficients, and its ONNX form.

`MonotonicLinearRegression` follows scikit-learn's estimator API, so it works with its
tools (`clone`, `set_params`, pipelines). A fitted one computes `X @ coef_ + intercept_`,
exactly what skl2onnx's converter for `LinearRegression` writes as ONNX, so that converter
is registered for it below. An ONNX graph holds only numbers and operators: loading one
never runs code from the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import lsq_linear
from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType
from skl2onnx.operator_converters.linear_regressor import convert_sklearn_linear_regressor
from skl2onnx.shape_calculators.linear_regressor import calculate_linear_regressor_output_shapes
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

#: Names of the ONNX graph's input (the feature matrix) and output (one value per row).
ONNX_INPUT, ONNX_OUTPUT = "features", "prediction"


class MonotonicLinearRegression(RegressorMixin, BaseEstimator):
    """Ridge-regularized least squares with sign constraints on chosen coefficients.

    `monotonic_cst` uses the convention of scikit-learn's gradient boosting: per feature,
    -1 forces a coefficient <= 0, 1 forces >= 0 and 0 leaves it free. `alpha` is the L2
    penalty (the intercept is not penalized).
    """

    def __init__(self, monotonic_cst: Sequence[int] | None = None, alpha: float = 0.0) -> None:
        self.monotonic_cst = monotonic_cst
        self.alpha = alpha

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        features, targets = validate_data(self, X, y, y_numeric=True)
        n_features = features.shape[1]
        cst = np.zeros(n_features) if self.monotonic_cst is None else np.asarray(self.monotonic_cst)
        if cst.shape != (n_features,) or not np.isin(cst, (-1, 0, 1)).all():
            raise ValueError(f"monotonic_cst must hold {n_features} values from (-1, 0, 1), got {cst.tolist()}")
        # Append the intercept column, and rows sqrt(alpha) * I for the ridge penalty.
        design = np.hstack([features, np.ones((len(features), 1))])
        penalty = np.hstack([np.sqrt(self.alpha) * np.eye(n_features), np.zeros((n_features, 1))])
        lower = np.append(np.where(cst == 1, 0.0, -np.inf), -np.inf)
        upper = np.append(np.where(cst == -1, 0.0, np.inf), np.inf)
        result = lsq_linear(
            np.vstack([design, penalty]), np.concatenate([targets, np.zeros(n_features)]), bounds=(lower, upper)
        )
        self.coef_: npt.NDArray[np.float64] = result.x[:-1]
        self.intercept_: np.float64 = result.x[-1]  # a NumPy scalar, like LinearRegression's
        return self

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        check_is_fitted(self)
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_


update_registered_converter(
    MonotonicLinearRegression,
    "MonotonicLinearRegression",
    calculate_linear_regressor_output_shapes,
    convert_sklearn_linear_regressor,
)


def to_onnx(regressor: BaseEstimator) -> bytes:
    """The fitted regressor as a serialized ONNX graph, in float64 end to end.

    Float64 (not skl2onnx's default float32) keeps the graph's output within ~1e-15 of
    scikit-learn's. Raises skl2onnx's `MissingShapeCalculator` or `MissingConverter` for a
    regressor it cannot convert.
    """
    width = regressor.n_features_in_
    graph = convert_sklearn(
        regressor,
        initial_types=[(ONNX_INPUT, DoubleTensorType([None, width]))],
        final_types=[(ONNX_OUTPUT, DoubleTensorType([None, 1]))],
    )
    return bytes(graph.SerializeToString())
