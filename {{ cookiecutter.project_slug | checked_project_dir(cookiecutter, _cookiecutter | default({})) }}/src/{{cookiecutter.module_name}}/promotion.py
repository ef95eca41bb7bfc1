"""The promotion gate: the model `train` writes is a candidate, and serves only if it earns it.

A candidate replaces the served model (the champion) when, on the latest holdout (the test
part of the data it was trained on, which neither model was fitted on):
- it beats the naive baseline: its selection metric is at least `min_gain` below the baseline's;
- it is not worse than the champion by more than `tolerance`: the upper 95% bound of the
  relative change in total error, from a paired bootstrap over the holdout rows, is below it
  (with a tolerance of 0 or less, only a candidate significantly better is promoted);
- it keeps the guarantees: finite outputs on every holdout row, and monotone responses along
  each constrained feature from the probe rows and from holdout rows.
Absolute thresholds (r2 >= 0.5) and "latest >= current" without a margin both promote noise;
comparing each row's error under both models removes what the rows share (a hard day, a
rare customer), which makes the comparison sharp with a few thousand rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from . import objective
from .columns import Matrix, columns_from_frame
from .data import TARGET
from .features import build_features
from .model import TrainedModel
from .predictors import FormError, check_monotone

#: The bound's level: one-sided, so a candidate no better than the champion passes a tolerance
#: of 0 in about 5% of holdouts.
LEVEL = 0.95
_Z = NormalDist().inv_cdf(LEVEL)
#: Holdout rows the monotone check steps along each constrained feature from (besides the probes).
MONOTONE_ROWS = 200
#: Bootstrap draws held in memory at once (replicates x rows), to bound memory on large holdouts.
_DRAWS_AT_ONCE = 4_000_000


@dataclass(frozen=True)
class Rules:
    """The gate's thresholds (the `promotion_*` settings)."""

    min_gain: float
    tolerance: float
    replicates: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class Check:
    """One rule's verdict, with the numbers behind it (they go to reports/promotion.json)."""

    rule: str
    passed: bool
    detail: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    candidate: str
    champion: str | None
    checks: tuple[Check, ...]

    @property
    def promoted(self) -> bool:
        return all(check.passed for check in self.checks)

    def summary(self) -> str:
        """One line: the verdict, then each rule's detail, the first failure first."""
        verdict = "promoted" if self.promoted else "rejected"
        ordered = sorted(self.checks, key=lambda check: check.passed)
        return f"candidate {self.candidate} {verdict}: " + "; ".join(check.detail for check in ordered)

    def to_json(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "candidate": self.candidate,
            "champion": self.champion,
            "checks": [asdict(check) for check in self.checks],
        }


def judge(
    candidate: TrainedModel,
    champion: TrainedModel | None,
    history: pd.DataFrame,
    holdout: pd.DataFrame,
    rules: Rules,
) -> Decision:
    """The gate's decision for `candidate` against the served `champion` (None: nothing serves
    yet) on the `holdout` rows; the baseline learns from the `history` rows, as in training."""
    actual = holdout[TARGET.name].to_numpy()
    X = build_features(columns_from_frame(holdout))
    raw = candidate.raw_predict(X)
    predicted = objective.from_model_scale(raw)
    loss = objective.row_loss(actual, predicted)
    baseline = objective.row_loss(actual, objective.baseline_predict(history, holdout))
    checks = [
        _guarantees(candidate, X, raw, predicted),
        _against_baseline(loss, baseline, rules.min_gain),
    ]
    if champion is not None:
        champion_loss = objective.row_loss(actual, champion.predict(columns_from_frame(holdout)))
        checks.append(_against_champion(loss, champion_loss, champion.version, rules))
    return Decision(candidate.version, champion.version if champion else None, tuple(checks))


def _guarantees(candidate: TrainedModel, X: Matrix, raw: Matrix, predicted: Matrix) -> Check:
    finite = bool(np.isfinite(raw).all() and np.isfinite(predicted).all())
    if not finite:
        rows = int((~np.isfinite(raw) | ~np.isfinite(predicted)).sum())
        return Check("guarantees", False, f"{rows:,} holdout rows have a non-finite prediction", {"non_finite": rows})
    try:
        check_monotone(candidate.raw_predict, X[:MONOTONE_ROWS])
    except FormError as error:
        return Check("guarantees", False, f"the candidate {error}", {"monotone": False})
    return Check("guarantees", True, "outputs finite and monotone", {"non_finite": 0, "monotone": True})


def _against_baseline(loss: Matrix, baseline: Matrix, min_gain: float) -> Check:
    gain = 1.0 - float(loss.sum()) / max(float(baseline.sum()), np.finfo(float).tiny)
    metric = objective.SELECTION_METRIC
    passed = gain >= min_gain
    relation = ">=" if passed else "<"
    return Check(
        "baseline",
        passed,
        f"{metric} {gain:.1%} below the baseline's ({relation} {min_gain:.1%} required)",
        {"metric": metric, "gain": gain, "min_gain": min_gain},
    )


def _against_champion(loss: Matrix, champion_loss: Matrix, champion: str, rules: Rules) -> Check:
    change, upper = paired_bootstrap(loss, champion_loss, rules.replicates, rules.seed)
    passed = upper < rules.tolerance
    relation = "<" if passed else ">="
    return Check(
        "champion",
        passed,
        f"error {change:+.2%} vs champion {champion} (upper {LEVEL:.0%} bound {upper:+.2%} {relation} "
        f"tolerance {rules.tolerance:+.2%})",
        {
            "champion": champion,
            "relative_change": change,
            "upper_bound": upper,
            "level": LEVEL,
            "tolerance": rules.tolerance,
            "rows": len(loss),
            "rows_differing": int((loss != champion_loss).sum()),
            "replicates": rules.replicates,
        },
    )


def paired_bootstrap(loss: Matrix, champion_loss: Matrix, replicates: int = 2000, seed: int = 0) -> tuple[float, float]:
    """The change in total error, candidate vs champion on the same rows, as a fraction of the
    champion's total, and its upper `LEVEL` bound: the change plus the normal quantile times its
    bootstrap standard error, rows drawn with replacement and both errors of a row together (what
    the rows share cancels out). Percentiles of the draws would set the bound too low when row
    errors are skewed, as log losses are: 5.7% of equal candidates passed instead of 5%."""
    difference = np.asarray(loss, dtype=float) - np.asarray(champion_loss, dtype=float)
    scale = max(float(np.sum(champion_loss)), np.finfo(float).tiny)
    rng = np.random.default_rng(seed)
    at_once = max(1, _DRAWS_AT_ONCE // max(len(difference), 1))
    totals = [
        difference[rng.integers(0, len(difference), size=(min(at_once, replicates - start), len(difference)))].sum(1)
        for start in range(0, replicates, at_once)
    ]
    change = float(difference.sum()) / scale
    return change, change + _Z * float(np.std(np.concatenate(totals))) / scale
