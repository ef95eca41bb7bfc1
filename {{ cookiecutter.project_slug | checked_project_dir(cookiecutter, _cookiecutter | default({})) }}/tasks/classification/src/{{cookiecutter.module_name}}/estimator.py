"""The classifier: logistic regression with sign-constrained coefficients, a scikit-learn estimator.

`MonotonicLogisticRegression` passes scikit-learn's estimator checks (`parametrize_with_checks`)
for a binary classifier, so it works with its tools (`clone`, `set_params`, pipelines, model
selection, calibration). Its probabilities move in one direction with a constrained feature
because the sigmoid is increasing: a coefficient >= 0 can only raise them. One method beyond
the estimator API, `linear_form`, hands its coefficients to `linear.LinearForm`: what the
artifact serves with NumPy alone, the positive class's log-odds (`decision_function`).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .constraints import SignConstrained
from .linear import LinearForm, Matrix


class MonotonicLogisticRegression(SignConstrained, ClassifierMixin, BaseEstimator):
    """Binary logistic regression, L2-penalized, with sign constraints on chosen coefficients.

    The parameters are `SignConstrained`'s: `monotonic_cst` (per feature, -1 forces a
    coefficient <= 0, 1 forces >= 0, 0 leaves it free) and `alpha`, the L2 penalty on the
    summed log loss (the intercept is not penalized). The fit is L-BFGS-B, which takes the
    constraints as bounds.
    """

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        assert tags.classifier_tags is not None
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> Self:
        self._validate_params()  # `alpha` against `_parameter_constraints`, as scikit-learn's own do
        features, labels = validate_data(self, X, y)
        check_classification_targets(labels)
        classes = np.unique(labels)
        if len(classes) != 2:
            kind = "multiclass" if len(classes) > 2 else "one class"
            raise ValueError(
                f"Only binary classification is supported: this classifier needs samples of exactly 2 classes, "
                f"got {kind}: {classes.tolist()[:5]}"
            )
        self.classes_ = classes
        n_features = features.shape[1]
        lower, upper = self.coefficient_bounds(n_features)
        design = np.hstack([features, np.ones((len(features), 1))])
        positive = (labels == self.classes_[1]).astype(np.float64)
        penalty = np.append(np.full(n_features, float(self.alpha)), 0.0)

        def loss(w: Matrix) -> tuple[float, Matrix]:
            z = design @ w
            value = np.logaddexp(0.0, z).sum() - positive @ z + 0.5 * penalty @ w**2
            return float(value), design.T @ (expit(z) - positive) + penalty * w

        result = minimize(
            loss,
            np.zeros(n_features + 1),
            jac=True,
            method="L-BFGS-B",
            bounds=Bounds(lower, upper),
            options={"maxiter": 2000, "gtol": 1e-8},
        )
        self.coef_: Matrix = result.x[None, :-1]  # (1, n_features), like LogisticRegression's
        self.intercept_: Matrix = result.x[-1:]
        self.n_iter_ = np.array([result.nit])
        return self

    def decision_function(self, X: npt.ArrayLike) -> Matrix:
        """The log-odds of the positive class (`classes_[1]`)."""
        check_is_fitted(self)
        return self.linear_form().predict_unchecked(validate_data(self, X, reset=False))

    def predict_proba(self, X: npt.ArrayLike) -> Matrix:
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[Any]:
        positive = self.decision_function(X) > 0
        return np.asarray(self.classes_[positive.astype(int)])

    def linear_form(self) -> LinearForm:
        """The positive class's log-odds, X @ coef + intercept, as NumPy alone serves it."""
        check_is_fitted(self)
        return LinearForm(np.asarray(self.coef_[0], dtype=np.float64), float(self.intercept_[0]))


#: The estimator the task fits; the artifact trusts it when loading.
ESTIMATOR = MonotonicLogisticRegression
