"""Features of the weekly store sales used by the template's make-it-yours test."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .columns import Columns, Matrix
from .schema import REGIONS

_REGIONS = np.array(REGIONS)

#: Rises with the price: its coefficient must be <= 0, so quantity never rises with price.
PRICE_FEATURES: tuple[str, ...] = ("log_price",)
FEATURE_NAMES: tuple[str, ...] = (
    *PRICE_FEATURES,
    "log_shelf_space",
    "holiday",
    "season_sin",
    "season_cos",
    *(f"region_{r}" for r in REGIONS[1:]),  # the first region is the reference level
)


def build_features(columns: Columns) -> Matrix:
    """The model matrix, one row per input row, columns in `FEATURE_NAMES` order."""
    days = columns["week_start"].astype("datetime64[D]")
    day_of_year = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    season = 2 * np.pi * day_of_year / 365.25
    out = np.empty((len(days), len(FEATURE_NAMES)))
    out[:, 0] = np.log(columns["unit_price"].astype(np.float64))
    out[:, 1] = np.log(columns["shelf_space_m2"].astype(np.float64))
    out[:, 2] = columns["holiday"]
    out[:, 3] = np.sin(season)
    out[:, 4] = np.cos(season)
    out[:, 5:] = _is_region(columns)[:, 1:]
    return out


def price_features(columns: Columns, prices: Matrix) -> Matrix:
    """`PRICE_FEATURES` of each row at each candidate price: row i's are rows i*k ... (i+1)*k - 1."""
    return np.log(prices.reshape(-1, 1))


def _is_region(columns: Columns) -> npt.NDArray[np.bool_]:
    return np.asarray(columns["region"].astype(np.str_)[:, None] == _REGIONS[None, :])


def monotonic_constraints() -> list[int]:
    """-1 for the price feature (quantity never rises with price), 0 (free) for the others."""
    return [-1 if name in PRICE_FEATURES else 0 for name in FEATURE_NAMES]
