"""What the task's estimators share: sign constraints on chosen coefficients and an L2 penalty.

`monotonic_cst` uses the convention of scikit-learn's gradient boosting: per feature, -1 forces
a coefficient <= 0, 1 forces >= 0 and 0 leaves it free. `alpha` (>= 0) is the L2 penalty; the
intercept is never penalized nor bounded. An estimator that mixes this in takes both as its
parameters, validated the way scikit-learn validates its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import Interval


class SignConstrained:
    """Parameters and bounds of a linear model whose chosen coefficients keep a sign."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "monotonic_cst": ["array-like", None],
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, monotonic_cst: Sequence[int] | None = None, alpha: float = 0.0) -> None:
        self.monotonic_cst = monotonic_cst
        self.alpha = alpha

    def coefficient_bounds(self, n_features: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Lower and upper bounds of the coefficients, then of the intercept (unbounded), for the fit."""
        cst = np.zeros(n_features) if self.monotonic_cst is None else np.asarray(self.monotonic_cst)
        if cst.shape != (n_features,) or not np.isin(cst, (-1, 0, 1)).all():
            raise ValueError(f"monotonic_cst must hold {n_features} values from (-1, 0, 1), got {cst.tolist()}")
        lower = np.append(np.where(cst == 1, 0.0, -np.inf), -np.inf)
        upper = np.append(np.where(cst == -1, 0.0, np.inf), np.inf)
        return lower, upper
