"""The regressor: least squares with sign-constrained coefficients, a scikit-learn estimator.

`MonotonicLinearRegression` passes scikit-learn's estimator checks (`parametrize_with_checks`),
so it works with its tools (`clone`, `set_params`, pipelines, model selection). Two methods
beyond the estimator API let the rest of the code profit from linearity without knowing about
it: `predict_unchecked` (the product alone, for matrices built by `features`) and
`predict_varying` (many candidate values of a few features, each costing a few multiplications).
Code that uses them falls back to `predict` for a regressor without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import lsq_linear
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .constraints import SignConstrained

Matrix = npt.NDArray[np.float64]
#: Names of an ONNX graph's input (the feature matrix) and output (rows x 1), and the output's
#: column that holds the prediction.
ONNX_INPUT, ONNX_OUTPUT, ONNX_COLUMN = "features", "prediction", 0


class MonotonicLinearRegression(SignConstrained, RegressorMixin, BaseEstimator):
    """Ridge-regularized least squares with sign constraints on chosen coefficients.

    The parameters are `SignConstrained`'s: `monotonic_cst` (per feature, -1 forces a
    coefficient <= 0, 1 forces >= 0, 0 leaves it free) and `alpha`, the L2 penalty (the
    intercept is not penalized). The fit is bounded least squares (`scipy.optimize.lsq_linear`).
    """

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        self._validate_params()  # `alpha` against `_parameter_constraints`, as scikit-learn's own do
        features, targets = validate_data(self, X, y, y_numeric=True)
        n_features = features.shape[1]
        lower, upper = self.coefficient_bounds(n_features)
        # Append the intercept column, and rows sqrt(alpha) * I for the ridge penalty.
        design = np.hstack([features, np.ones((len(features), 1))])
        penalty = np.hstack([np.sqrt(self.alpha) * np.eye(n_features), np.zeros((n_features, 1))])
        result = lsq_linear(
            np.vstack([design, penalty]), np.concatenate([targets, np.zeros(n_features)]), bounds=(lower, upper)
        )
        self.coef_: Matrix = result.x[:-1]
        self.intercept_: np.float64 = result.x[-1]  # a NumPy scalar, like LinearRegression's
        return self

    def predict(self, X: npt.ArrayLike) -> Matrix:
        check_is_fitted(self)
        return self.predict_unchecked(validate_data(self, X, reset=False))

    def predict_unchecked(self, X: Matrix) -> Matrix:
        """`predict` without scikit-learn's input checks, for a matrix known to be valid (finite
        float64 of the fitted width, as `features.build_features` makes): for one row the checks
        cost more than the product."""
        return X @ self.coef_ + self.intercept_

    def predict_varying(self, X: Matrix, index: Sequence[int], values: Matrix) -> Matrix:
        """Predictions when the features `index` of each row take each of `k` candidate values.

        `values` is (rows, k, len(index)); the result is (rows, k). The other features are
        scored once per row, and each candidate adds only its varying features' share.
        """
        columns = list(index)
        coef = self.coef_[columns]
        fixed = self.predict_unchecked(X) - X[:, columns] @ coef
        return fixed[:, None] + values @ coef


#: The estimator the task fits; the artifact trusts it when loading.
ESTIMATOR = MonotonicLinearRegression
