"""Cleaning and feature engineering: the one implementation behind training, batch and online scoring.

Everything works on `Columns`, a mapping of column name to a 1-D NumPy array. A validated
DataFrame and a list of API records both become `Columns` cheaply, so one row and a million
rows take the same vectorized path, and a single request never pays for building a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .data import CATEGORIES, INPUT_COLUMNS

Columns = Mapping[str, npt.NDArray[Any]]

_CATEGORY_ARRAY = np.array(CATEGORIES)
_WEEKDAYS = ("tue", "wed", "thu", "fri", "sat", "sun")  # Monday is the reference day
_DTYPES = {"date": "datetime64[D]", "string": "object", "float": "float64", "int": "float64"}

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


def columns_from_frame(frame: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """View a validated frame (see `data.validate`) as `Columns`."""
    return {c.name: frame[c.name].to_numpy(dtype=_DTYPES[c.kind]) for c in INPUT_COLUMNS}


def columns_from_records(records: Sequence[Mapping[str, Any]]) -> dict[str, npt.NDArray[Any]]:
    """Turn validated records (dicts) into `Columns`; a missing optional value becomes NaN."""
    return {
        c.name: np.array(
            [np.nan if r[c.name] is None else r[c.name] for r in records]
            if c.nullable
            else [r[c.name] for r in records],
            dtype=_DTYPES[c.kind],
        )
        for c in INPUT_COLUMNS
    }


def build_features(columns: Columns) -> npt.NDArray[np.float64]:
    """Return the model matrix, one row per input row, columns in `FEATURE_NAMES` order."""
    price = columns["price"].astype(np.float64, copy=False)
    base_price = columns["base_price"].astype(np.float64, copy=False)
    competitor = columns["competitor_price"].astype(np.float64, copy=False)
    days = columns["date"].astype("datetime64[D]").astype(np.int64)
    year_start = columns["date"].astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    season = 2 * np.pi * (days - year_start) / 365.25
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    is_category = columns["category"][:, None] == _CATEGORY_ARRAY[None, :]
    competitor_missing = np.isnan(competitor)

    log_price_ratio = np.log(price / base_price)
    out = np.empty((len(price), len(FEATURE_NAMES)))
    k = len(CATEGORIES)
    out[:, :k] = log_price_ratio[:, None] * is_category
    # Imputation: an unknown competitor price counts as "same as ours", flagged by its own feature.
    out[:, k] = np.log(price / np.where(competitor_missing, price, competitor))
    out[:, k + 1] = np.log(base_price)
    out[:, k + 2] = competitor_missing
    out[:, k + 3] = columns["promo"]
    out[:, k + 4] = np.sin(season)
    out[:, k + 5] = np.cos(season)
    out[:, k + 6 : k + 12] = weekday[:, None] == np.arange(1, 7)[None, :]
    out[:, k + 12 :] = is_category[:, 1:]
    return out


def monotonic_constraints() -> list[int]:
    """Per feature: -1 where the coefficient must be <= 0 (price features), else 0 (free)."""
    return [-1 if name in PRICE_FEATURES else 0 for name in FEATURE_NAMES]
