"""The example's feature engineering: the one implementation behind training, batch and online scoring.

Replace it with your own features (see "Make it yours" in the README). What the rest of the
code needs from this module:

- `FEATURE_NAMES` and `build_features(columns)`: the model matrix, one row per input row;
- `monotonic_constraints()`: per feature, -1 / 1 when its coefficient must be <= 0 / >= 0 for
  the schema's `monotone` promises to hold, else 0 (the tests check the promises themselves).

Everything works on `Columns` (see `columns`), so one row and a million rows take the same
vectorized path, and a single request never pays for building a DataFrame.
"""

from __future__ import annotations

import numpy as np

from .columns import Columns, Matrix
from .schema import PLANS

_PLAN_ARRAY = np.array(PLANS)

#: Features that rise with a monotone input when all else is fixed, and the sign their
#: coefficient must keep: churn never rises with tenure, and never falls with support calls.
CONSTRAINED: dict[str, int] = {"log_tenure": -1, "log_support_calls": 1}
FEATURE_NAMES: tuple[str, ...] = (
    *CONSTRAINED,
    "log_monthly_charge",
    "usage_change",
    "autopay",
    "satisfaction",
    "satisfaction_missing",
    *(f"plan_{p}" for p in PLANS[1:]),  # the first plan is the reference level
)


def build_features(columns: Columns) -> Matrix:
    """Return the model matrix, one row per input row, columns in `FEATURE_NAMES` order."""
    satisfaction = columns["satisfaction"].astype(np.float64, copy=False)
    missing = np.isnan(satisfaction)
    out = np.empty((len(satisfaction), len(FEATURE_NAMES)))
    out[:, 0] = np.log1p(columns["tenure_months"].astype(np.float64, copy=False))
    out[:, 1] = np.log1p(columns["support_calls_90d"].astype(np.float64, copy=False))
    out[:, 2] = np.log(columns["monthly_charge"].astype(np.float64, copy=False))
    # Usage can jump by a large factor (a customer back from a break): clipped, one jump does
    # not dominate the linear score.
    out[:, 3] = np.clip(columns["usage_change"].astype(np.float64, copy=False), -1.0, 3.0)
    out[:, 4] = columns["autopay"]
    # Imputation: an unknown satisfaction counts as neutral (3, centred to 0); the
    # `satisfaction_missing` feature tells the model it was unknown.
    out[:, 5] = np.where(missing, 0.0, satisfaction - 3.0)
    out[:, 6] = missing
    out[:, 7:] = columns["plan"].astype(np.str_)[:, None] == _PLAN_ARRAY[None, 1:]
    return out


def monotonic_constraints() -> list[int]:
    """Per feature: the sign its coefficient must keep (see `CONSTRAINED`), 0 when free."""
    return [CONSTRAINED.get(name, 0) for name in FEATURE_NAMES]
