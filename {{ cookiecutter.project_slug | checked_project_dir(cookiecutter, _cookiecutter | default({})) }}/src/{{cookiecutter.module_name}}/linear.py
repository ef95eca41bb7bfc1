"""A linear model's served form: its coefficients, computed with NumPy alone.

A fitted linear estimator reduces, on its model scale (see `objective`), to
`X @ coef + intercept`. Training writes that form into the artifact next to the estimator, and
serving computes it here, without importing scikit-learn, SciPy or skops: a smaller image and a
faster start, for the same numbers (the artifact checks them against the estimator when it is
written). The form is JSON (exact: Python writes and reads floats losslessly), so a reviewer can
read the coefficients; a coefficient's sign is the direction its feature moves the prediction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeGuard

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LinearForm:
    """`X @ coef + intercept` for a feature matrix `X` from `features.build_features`."""

    coef: Matrix
    intercept: float
    #: What computes the predictions, as `/metadata` and the benchmark report it.
    backend: ClassVar[str] = "numpy"

    def predict_unchecked(self, X: Matrix) -> Matrix:
        """The model-scale output for a matrix known to be valid (finite float64 of the fitted
        width, as `features.build_features` makes): no checks, for one row they cost more than
        the product."""
        return X @ self.coef + self.intercept

    def predict_varying(self, X: Matrix, index: Sequence[int], values: Matrix) -> Matrix:
        """The output when the features `index` of each row take each of `k` candidate values.

        `values` is (rows, k, len(index)); the result is (rows, k). The other features are
        scored once per row, and each candidate adds only its varying features' share: what
        lets a price optimizer ask about many hypothetical prices for the cost of a few.
        """
        columns = list(index)
        coef = self.coef[columns]
        fixed = self.predict_unchecked(X) - X[:, columns] @ coef
        return fixed[:, None] + values @ coef

    def to_json(self) -> bytes:
        return json.dumps({"coef": self.coef.tolist(), "intercept": self.intercept}, indent=2).encode()

    @classmethod
    def from_json(cls, data: bytes) -> LinearForm:
        """Parse the form, refusing (ValueError, naming the field) anything but finite numbers."""
        document: Any = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("it is not a JSON object")
        coef, intercept = document.get("coef"), document.get("intercept")
        if not isinstance(coef, list) or not all(_is_number(value) for value in coef):
            raise ValueError("its coef is not a list of numbers")
        if not _is_number(intercept):
            raise ValueError("its intercept is not a number")
        form = cls(np.asarray(coef, dtype=np.float64), float(intercept))
        if not (np.isfinite(form.coef).all() and np.isfinite(form.intercept)):
            raise ValueError("it holds a coefficient that is not finite")
        return form


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
