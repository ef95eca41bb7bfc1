"""The regressor: least squares with sign-constrained coefficients, a scikit-learn estimator.

`MonotonicLinearRegression` passes scikit-learn's estimator checks (`parametrize_with_checks`),
so it works with its tools (`clone`, `set_params`, pipelines, model selection). One method
beyond the estimator API, `linear_form`, hands its coefficients to `linear.LinearForm`: what the
artifact serves with NumPy alone, and what scores many candidate prices for the cost of a few.
Code that uses it falls back to `predict` for a regressor without it.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import lsq_linear
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .constraints import SignConstrained
from .linear import LinearForm, Matrix


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
        return self.linear_form().predict_unchecked(validate_data(self, X, reset=False))

    def linear_form(self) -> LinearForm:
        """What the fitted regressor computes, `X @ coef_ + intercept_`, as NumPy alone serves it."""
        check_is_fitted(self)
        return LinearForm(np.asarray(self.coef_, dtype=np.float64), float(self.intercept_))


#: The estimator the task fits; the artifact trusts it when loading.
ESTIMATOR = MonotonicLinearRegression
