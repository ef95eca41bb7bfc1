"""The example's feature engineering: the one implementation behind training, batch and online scoring.

Replace it with your own features (see "Make it yours" in the README). What the rest of the
code needs from this module:

- `FEATURE_NAMES` and `build_features(columns)`: the model matrix, one row per input row;
- `monotonic_constraints()`: per feature, -1 / 1 when its coefficient must be <= 0 / >= 0 for
  the schema's `monotone` promises to hold, else 0 (the tests check the promises themselves);
- optionally `PRICE_FEATURES` and `price_features(columns, prices)`: the features that change
  with the price, at many candidate prices; with them a linear model scores the optimizer's
  candidates in a few multiplications each (a test holds this equal to the full rebuild).

Everything works on `Columns` (see `columns`), so one row and a million rows take the same
vectorized path, and a single request never pays for building a DataFrame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .columns import Columns, Matrix
from .schema import CATEGORIES

_CATEGORY_ARRAY = np.array(CATEGORIES)
_WEEKDAYS = ("tue", "wed", "thu", "fri", "sat", "sun")  # Monday is the reference day

#: Features that rise with `price` when all else is fixed. The model constrains their
#: coefficients to be <= 0, which makes predicted demand non-increasing in price.
PRICE_FEATURES: tuple[str, ...] = (
    *(f"log_price_ratio_x_{c}" for c in CATEGORIES),
    "log_competitor_ratio",
)
FEATURE_NAMES: tuple[str, ...] = (
    *PRICE_FEATURES,
    "log_base_price",
    "competitor_missing",
    "promo",
    "season_sin",
    "season_cos",
    *(f"weekday_{d}" for d in _WEEKDAYS),
    *(f"category_{c}" for c in CATEGORIES[1:]),  # the first category is the reference level
)


def build_features(columns: Columns) -> Matrix:
    """Return the model matrix, one row per input row, columns in `FEATURE_NAMES` order."""
    log_base_price = np.log(columns["base_price"].astype(np.float64, copy=False))
    competitor = columns["competitor_price"].astype(np.float64, copy=False)
    days = columns["date"].astype("datetime64[D]").astype(np.int64)
    year_start = columns["date"].astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    season = 2 * np.pi * (days - year_start) / 365.25
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    is_category = _is_category(columns)

    out = np.empty((len(log_base_price), len(FEATURE_NAMES)))
    p = len(PRICE_FEATURES)
    log_price = np.log(columns["price"].astype(np.float64, copy=False))
    _price_features(log_price, log_base_price, np.log(competitor), is_category, out=out[:, :p])
    out[:, p] = log_base_price
    out[:, p + 1] = np.isnan(competitor)
    out[:, p + 2] = columns["promo"]
    out[:, p + 3] = np.sin(season)
    out[:, p + 4] = np.cos(season)
    out[:, p + 5 : p + 11] = weekday[:, None] == np.arange(1, 7)[None, :]
    out[:, p + 11 :] = is_category[:, 1:]
    return out


def price_features(columns: Columns, prices: Matrix) -> Matrix:
    """The `PRICE_FEATURES` of each row at each of its candidate prices (`prices`: rows x candidates).

    Row i's candidates are rows i * candidates ... (i + 1) * candidates - 1 of the result. The
    other features do not depend on price, so a price optimizer builds them once per row, and
    the per-row logarithms here are taken once, not once per candidate.
    """
    width = prices.shape[1]
    out = np.empty((prices.size, len(PRICE_FEATURES)))
    _price_features(
        np.log(prices.ravel()),
        np.repeat(np.log(columns["base_price"].astype(np.float64, copy=False)), width),
        np.repeat(np.log(columns["competitor_price"].astype(np.float64, copy=False)), width),
        np.repeat(_is_category(columns), width, axis=0),
        out=out,
    )
    return out


def _is_category(columns: Columns) -> npt.NDArray[np.bool_]:
    """One-hot of the category, rows x CATEGORIES; an unknown category is all False.

    Fixed-width text compares in C; Python string objects would compare one by one (3x slower).
    """
    return np.asarray(columns["category"].astype(np.str_)[:, None] == _CATEGORY_ARRAY[None, :])


def _price_features(
    log_price: Matrix, log_base_price: Matrix, log_competitor: Matrix, is_category: npt.NDArray[np.bool_], out: Matrix
) -> None:
    """Write the `PRICE_FEATURES` columns into `out`: discount depth per category, competitor ratio."""
    np.multiply((log_price - log_base_price)[:, None], is_category, out=out[:, :-1])
    # Imputation: an unknown competitor price (NaN) counts as "same as ours", a log ratio of 0;
    # the `competitor_missing` feature tells the model it was unknown.
    out[:, -1] = np.where(np.isnan(log_competitor), 0.0, log_price - log_competitor)


def monotonic_constraints() -> list[int]:
    """Per feature: -1 where the coefficient must be <= 0 (price features), else 0 (free)."""
    return [-1 if name in PRICE_FEATURES else 0 for name in FEATURE_NAMES]
