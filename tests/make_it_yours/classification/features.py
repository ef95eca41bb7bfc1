"""Features of a loan application: debt load, employment, size of the loan against income."""

from __future__ import annotations

import numpy as np

from .columns import Columns, Matrix
from .schema import PURPOSES

_PURPOSES = np.array(PURPOSES)
CONSTRAINED: dict[str, int] = {"debt_to_income": 1, "log_years_employed": -1}
FEATURE_NAMES: tuple[str, ...] = (
    *CONSTRAINED,
    "log_loan_to_income",
    "log_income",
    "credit_lines",
    "credit_lines_missing",
    *(f"purpose_{p}" for p in PURPOSES[1:]),
)


def build_features(columns: Columns) -> Matrix:
    """The model matrix, one row per application, in `FEATURE_NAMES` order."""
    income = columns["annual_income"].astype(np.float64, copy=False)
    lines = columns["credit_lines"].astype(np.float64, copy=False)
    out = np.empty((len(income), len(FEATURE_NAMES)))
    out[:, 0] = columns["debt_to_income"]
    out[:, 1] = np.log1p(columns["years_employed"].astype(np.float64, copy=False))
    out[:, 2] = np.log(columns["amount"].astype(np.float64, copy=False) / income)
    out[:, 3] = np.log(income)
    out[:, 4] = np.where(np.isnan(lines), 5.0, lines)
    out[:, 5] = np.isnan(lines)
    out[:, 6:] = columns["purpose"].astype(np.str_)[:, None] == _PURPOSES[None, 1:]
    return out


def monotonic_constraints() -> list[int]:
    """Default never falls with the debt load, never rises with years employed."""
    return [CONSTRAINED.get(name, 0) for name in FEATURE_NAMES]
