"""How far live values have moved from the reference profile: NumPy only, effect sizes first.

The reference (`profile`) is what training saw: per input and for the predictions, quantile
bin edges and shares, category frequencies, a bounded sample and moments. Each statistic here
compares one window of logged values with it:
- numbers: PSI over the reference's quantile bins (missing values are a bin of their own), the
  Wasserstein distance over the reference's standard deviation, and the Kolmogorov-Smirnov
  statistic (both against the reference sample);
- categories: Cohen's w (the chi-square statistic over the rows, an effect size, corrected for
  sampling noise) with the chi-square statistic and its p-value, and the share of rows holding
  a value training never saw.
A p-value says only that a window differs, and with a million rows every window does (a
chi-square p of 0.0002 on an unshifted window was measured): alerts use these effect sizes.
SciPy computes the same, but the serving image does not hold it, and `monitor` runs there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Values = npt.NDArray[Any]
#: Added to empty bins so that PSI stays finite (the usual smoothing).
_EPSILON = 1e-4


def numeric_drift(reference: dict[str, Any], values: Values) -> dict[str, float]:
    """PSI, normalised Wasserstein and KS of `values` (floats, NaN for missing) against a
    numeric reference profile."""
    values = np.asarray(values, dtype=np.float64)
    present = values[~np.isnan(values)]
    edges = np.asarray(reference["edges"], dtype=np.float64)
    expected = np.append(np.asarray(reference["shares"], dtype=np.float64), reference["missing"])
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    observed = np.append(counts, len(values) - len(present)) / max(len(values), 1)
    sample = np.asarray(reference["sample"], dtype=np.float64)
    scale = float(reference["std"]) or 1.0
    if len(present) == 0:
        return {"psi": psi(expected, observed), "wasserstein": float("nan"), "ks": float("nan")}
    distance, ks = _distances(sample, np.sort(present))
    return {"psi": psi(expected, observed), "wasserstein": distance / scale, "ks": ks}


def categorical_drift(reference: dict[str, Any], values: pd.Series) -> dict[str, float]:
    """Cohen's w over the categories training saw, with the chi-square statistic and its p-value,
    and the share of rows in a category training never saw (a missing value, when training had
    none, is one): chi-square has no expectation for those, so they are counted apart.

    w is corrected for sampling noise (the statistic's expectation without drift, its degrees
    of freedom, is taken off): otherwise a text input with 20 values would show w = 0.2 in every
    window of 500 rows, drift or not."""
    rows = max(len(values), 1)
    counts = values.value_counts(dropna=True)  # per category, without a string per row (the log's are categorical)
    seen = pd.Series(counts.to_numpy(), index=counts.index.astype(str)).groupby(level=0).sum()
    expected = np.array([*reference["frequencies"].values(), reference["missing"]], dtype=np.float64)
    observed = np.array(
        [*(int(seen.get(name, 0)) for name in reference["frequencies"]), int(values.isna().sum())], dtype=np.float64
    )
    known = expected > 0
    in_known = float(observed[known].sum())
    shares = observed[known] / max(in_known, 1.0)
    chi_square = float(in_known * np.sum((shares - expected[known]) ** 2 / expected[known]))
    freedom = max(int(known.sum()) - 1, 1)
    cohen_w = float(np.sqrt(max(chi_square - freedom, 0.0) / in_known)) if in_known else 0.0
    return {
        "cohen_w": cohen_w,
        "chi_square": chi_square,
        "p_value": chi_square_sf(chi_square, freedom),
        "unseen": 1.0 - in_known / rows,
    }


def chi_square_sf(statistic: float, freedom: int) -> float:
    """P(X >= statistic) for X ~ chi-square(freedom), by the Wilson-Hilferty approximation
    (within 0.005 of the exact value, 0.008 for 1 degree of freedom): SciPy is not in the
    image, and the value only gates alerts."""
    k = float(freedom)
    z = ((max(statistic, 0.0) / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return 0.5 * math.erfc(z / math.sqrt(2))


def psi(expected: Values, observed: Values) -> float:
    """Population stability index of two distributions over the same bins (shares summing to 1)."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), _EPSILON)
    o = np.maximum(np.asarray(observed, dtype=np.float64), _EPSILON)
    return float(np.sum((o - e) * np.log(o / e)))


def _distances(reference: Values, window: Values) -> tuple[float, float]:
    """Wasserstein-1 distance and KS statistic of two sorted samples, from their empirical CDFs
    on the merged support: W1 integrates |F - G|, KS is its maximum."""
    support = np.concatenate([reference, window])
    support.sort(kind="mergesort")
    f = np.searchsorted(reference, support[:-1], side="right") / len(reference)
    g = np.searchsorted(window, support[:-1], side="right") / len(window)
    gaps = np.abs(f - g)
    ks = float(gaps.max()) if len(gaps) else 0.0
    return float(np.sum(gaps * np.diff(support))), ks
