"""The reference profile: what training saw, kept in the artifact so that `monitor` can tell how
far live traffic has moved from it (see `drift`) without the training data.

Per monitored input (every column with role "input") and for the predictions: a number's
quantile bin edges and the share of rows in each bin, its missing share, moments and a bounded
sorted sample; a text's category frequencies and missing share. Plus the test metrics per
segment (each value of a text input with few values), model against baseline. It is plain
JSON of bounded size (`SAMPLE_SIZE` values per number), whatever the size of the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .contract import Column
from .schema import SCHEMA

#: The inputs whose drift is watched: ids and the time column always change, by design.
MONITORED: tuple[Column, ...] = tuple(c for c in SCHEMA.columns if c.role == "input")
#: Quantile bins per number (PSI's bins).
BINS = 10
#: Values kept per number, drawn at random and sorted (the KS and Wasserstein reference).
SAMPLE_SIZE = 2000
#: A text input with more distinct values than this is listed up to it (most frequent first).
MAX_CATEGORIES = 1000
#: Text inputs with at most this many values are segments: test metrics are kept per value.
MAX_SEGMENTS = 20
#: The key of the predictions' profile, beside the inputs'.
PREDICTION = "prediction"


def as_numbers(values: pd.Series | np.ndarray, column: Column | None = None) -> np.ndarray:
    """A number, date or prediction column as floats, NaN where missing (dates: days since 1970)."""
    if column is not None and column.kind == "date":
        days = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
        return np.where(np.isnat(days), np.nan, days.astype(np.int64)).astype(np.float64)
    return np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=np.float64)


def numeric_profile(values: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """Quantile bins and their shares (of all rows: with `missing`, they sum to 1), moments and
    a sorted sample of a number's values."""
    present = values[~np.isnan(values)]
    if len(present) == 0:
        raise ValueError("a monitored number has no value in the training data")
    edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(present, size=min(SAMPLE_SIZE, len(present)), replace=False))
    return {
        "kind": "numeric",
        "rows": len(values),
        "edges": edges.tolist(),
        "shares": (counts / len(values)).tolist(),
        "missing": 1.0 - len(present) / len(values),
        "mean": float(present.mean()),
        "std": float(present.std()),
        "min": float(present.min()),
        "max": float(present.max()),
        "sample": sample.tolist(),
    }


def categorical_profile(values: pd.Series) -> dict[str, Any]:
    """Each value's share of all rows (the most frequent `MAX_CATEGORIES`) and the missing share."""
    counts = values.dropna().astype(str).value_counts().head(MAX_CATEGORIES)
    return {
        "kind": "categorical",
        "rows": len(values),
        "frequencies": {str(k): int(n) / len(values) for k, n in counts.items()},
        "missing": float(values.isna().mean()),
    }


def reference_profile(
    history: pd.DataFrame, predictions: np.ndarray, segments: dict[str, Any], seed: int = 0
) -> dict[str, Any]:
    """The profile of the rows the model learned from, its predictions on them and the test
    metrics per segment (`model.segment_metrics`)."""
    inputs = {
        c.name: numeric_profile(as_numbers(history[c.name], c), seed)
        if c.numeric or c.kind == "date"
        else categorical_profile(history[c.name])
        for c in MONITORED
    }
    return {
        "rows": len(history),
        "inputs": inputs,
        PREDICTION: numeric_profile(np.asarray(predictions, dtype=np.float64), seed),
        "segments": segments,
    }


def segment_columns(history: pd.DataFrame) -> list[str]:
    """The text inputs with few enough values to report metrics per value."""
    return [
        c.name
        for c in MONITORED
        if not c.numeric and c.kind != "date" and history[c.name].nunique(dropna=True) <= MAX_SEGMENTS
    ]
