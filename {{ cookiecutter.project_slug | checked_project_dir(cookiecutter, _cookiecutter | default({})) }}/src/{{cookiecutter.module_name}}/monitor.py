"""Watch the served model once it is live: window by window of the prediction log, how far its
inputs and predictions have drifted from what training saw, and, when labels arrive, how its
errors compare with its test errors.

Each window (`monitor_window` of log time, aligned to UTC midnight for whole days) is judged
on every signal (each monitored input, the predictions, the errors) by effect sizes against two
thresholds per metric (`DEFAULT_THRESHOLDS`):
- a window with fewer than `min_rows` rows is "insufficient": it is neither ok nor an alert;
- a signal beyond its critical threshold alerts at once, from that window alone;
- a signal beyond its moderate threshold alerts only when it persists: in at least `breaches`
  of its last `windows` sufficient windows, this one included (one noisy window is not drift).
Records of other model versions are counted apart, never mixed with the served model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from . import objective
from .config import Settings
from .data import KEYS, TARGET
from .drift import categorical_drift, numeric_drift
from .predlog import LOGGED_AT, MODEL_VERSION, PREDICTION
from .profile import MONITORED, as_numbers
from .profile import PREDICTION as PREDICTION_PROFILE
from .schema import SCHEMA

LEVELS = ("ok", "moderate", "critical")
#: (moderate, critical) per metric. PSI's are the industry's usual 0.1 and 0.25; Wasserstein is
#: in reference standard deviations; Cohen's w follows Cohen's small and medium effects; unseen
#: is the share of rows in a category training never saw; performance is the relative increase
#: of the selection metric over its test value. Chi-square grows with the rows: reported only.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "psi": (0.1, 0.25),
    "wasserstein": (0.1, 0.25),
    "ks": (0.1, 0.2),
    "cohen_w": (0.1, 0.3),
    "unseen": (0.01, 0.05),
    "performance": (0.1, 0.25),
}
#: The p-value below which a category's shift counts (one window in a hundred, without drift).
SIGNIFICANCE = 0.01
#: The signal of the model's errors, beside the inputs' names and the predictions'.
PERFORMANCE = "performance"


@dataclass(frozen=True)
class Rules:
    """How windows are cut and judged (the `monitor_*` settings)."""

    window: timedelta = timedelta(days=1)
    min_rows: int = 1000
    thresholds: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    breaches: int = 2
    windows: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        thresholds = DEFAULT_THRESHOLDS | dict(settings.monitor_thresholds)
        return cls(
            settings.monitor_window,
            settings.monitor_min_rows,
            thresholds,
            settings.monitor_breaches,
            settings.monitor_windows,
        )


def needed_columns(*, with_labels: bool) -> list[str]:
    """The log's columns `watch` reads: not the request ids or sources, and the ids and time
    only to match labels."""
    keys = [c.name for c in KEYS] if with_labels else []
    return [LOGGED_AT, MODEL_VERSION, PREDICTION, *(c.name for c in MONITORED), *keys]


def level(values: dict[str, float], thresholds: dict[str, tuple[float, float]]) -> str:
    """The worst level any thresholded metric in `values` reaches. Cohen's w counts only when its
    chi-square is significant (p < `SIGNIFICANCE`): with few rows per category, w is mostly noise."""
    worst = 0
    for name, value in values.items():
        if name == "cohen_w" and values.get("p_value", 0.0) >= SIGNIFICANCE:
            continue
        if name in thresholds and np.isfinite(value):
            moderate, critical = thresholds[name]
            worst = max(worst, 2 if value >= critical else 1 if value >= moderate else 0)
    return LEVELS[worst]


def window_signals(rows: pd.DataFrame, profile: dict[str, Any], rules: Rules) -> dict[str, dict[str, Any]]:
    """Each monitored input's and the predictions' drift statistics in one window, with its level."""
    signals: dict[str, dict[str, Any]] = {}
    for column in MONITORED:
        reference = profile["inputs"][column.name]
        values = rows[column.name]
        if reference["kind"] == "numeric":
            statistics = numeric_drift(reference, as_numbers(values, column))
        else:
            statistics = categorical_drift(reference, values)
        signals[column.name] = {"level": level(statistics, rules.thresholds), **statistics}
    statistics = numeric_drift(profile[PREDICTION_PROFILE], rows[PREDICTION].to_numpy(dtype=np.float64))
    signals[PREDICTION] = {"level": level(statistics, rules.thresholds), **statistics}
    return signals


def performance(rows: pd.DataFrame, reference: float, rules: Rules) -> dict[str, Any]:
    """The selection metric on the window's labelled rows against its test value."""
    keys = [c.name for c in KEYS]
    labelled = rows.dropna(subset=[TARGET.name]).drop_duplicates(subset=keys, keep="last")  # scored twice: once
    if len(labelled) < rules.min_rows:
        return {"level": "insufficient", "rows": len(labelled)}
    score = objective.selection_score(labelled[TARGET.name].to_numpy(), labelled[PREDICTION].to_numpy())
    change = score / reference - 1.0 if reference > 0 else float("inf") if score > 0 else 0.0
    return {
        "level": level({"performance": change}, rules.thresholds),
        "rows": len(labelled),
        "metric": objective.SELECTION_METRIC,
        "value": score,
        "test_value": reference,
        "performance": change,
    }


def cut_windows(rows: pd.DataFrame, window: timedelta) -> list[tuple[pd.Timestamp, pd.DataFrame]]:
    """Rows grouped by window of log time, in order: windows start at multiples of `window`
    since the Unix epoch (UTC midnight, for whole days)."""
    step = int(window.total_seconds() * 1000)
    starts = rows[LOGGED_AT].to_numpy(dtype="datetime64[ms]").astype(np.int64) // step * step
    return [
        (pd.Timestamp(start, unit="ms", tz="UTC"), part)
        for start, part in rows.groupby(pd.Series(starts, index=rows.index, dtype="int64"), sort=True)
    ]


def judge(windows: list[dict[str, Any]], rules: Rules) -> None:
    """Set each window's `status` and `alerts` in order, debouncing moderate drift per signal."""
    history: dict[str, list[bool]] = {}
    for entry in windows:
        if entry["rows"] < rules.min_rows:
            entry["status"], entry["alerts"] = "insufficient", []
            continue
        alerts, watch = [], []
        for name, signal in entry["signals"].items():
            if signal["level"] == "insufficient":
                continue
            recent = history.setdefault(name, [])
            recent.append(signal["level"] != "ok")
            persists = sum(recent[-rules.windows :]) >= rules.breaches
            if signal["level"] == "critical" or (signal["level"] == "moderate" and persists):
                alerts.append(name)
            elif signal["level"] == "moderate":
                watch.append(name)
        entry["alerts"], entry["watch"] = alerts, watch
        entry["status"] = "alert" if alerts else "watch" if watch else "ok"


def join_labels(rows: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The served model's records, each with its label where one matches on the ids and time,
    and how many labels match no record (counted and reported, never dropped in silence)."""
    keys = [c.name for c in KEYS]
    if not keys:
        raise ValueError("the schema has no id or time column: labels cannot be matched to logged records")
    truth = _keyed(labels[[*keys, TARGET.name]].drop_duplicates(subset=keys, keep="last"))
    records = _keyed(rows.drop(columns=[TARGET.name], errors="ignore"))
    matched = truth.merge(records[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    return records.merge(truth, on=keys, how="left"), int((matched["_merge"] == "left_only").sum())


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """The keys in one form whatever their source: ids as text (the log's are categorical), the
    time at one resolution, so that a log's dates and a file's dates match."""
    keys = {c.name: frame[c.name].astype(object) for c in SCHEMA.ids}
    if SCHEMA.time is not None:
        keys[SCHEMA.time.name] = frame[SCHEMA.time.name].astype("datetime64[ns]")
    return frame.assign(**keys)


def watch(
    log: pd.DataFrame,
    profile: dict[str, Any],
    metadata: dict[str, Any],
    rules: Rules,
    labels: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The monitoring report of the served model (`metadata`, `profile`) over the records `log`."""
    version = str(metadata["model_version"])
    served = log[log[MODEL_VERSION] == version]
    others = log.loc[log[MODEL_VERSION] != version, MODEL_VERSION].value_counts()
    unmatched = None
    if labels is not None:
        served, unmatched = join_labels(served, labels)
    reference = float(metadata["metrics"]["test"]["model"][objective.SELECTION_METRIC])
    windows = []
    for start, rows in cut_windows(served, rules.window):
        entry: dict[str, Any] = {"start": start.isoformat(), "end": (start + rules.window).isoformat()}
        entry["rows"] = len(rows)
        if len(rows) >= rules.min_rows:
            entry["signals"] = window_signals(rows, profile, rules)
            if labels is not None:
                entry["signals"][PERFORMANCE] = performance(rows, reference, rules)
        windows.append(entry)
    judge(windows, rules)
    return {
        "model_version": version,
        "rows": len(served),
        "other_versions": {str(k): int(n) for k, n in others.items()},
        "labels": None if labels is None else {"rows": len(labels), "unmatched": unmatched},
        "windows": windows,
        "status": overall(windows),
    }


def overall(windows: list[dict[str, Any]]) -> str:
    """The latest sufficient window's status, or "insufficient" when no window has enough rows:
    the model's state now; earlier alerts stay in the report."""
    judged = [w for w in windows if w["status"] != "insufficient"]
    return judged[-1]["status"] if judged else "insufficient"
