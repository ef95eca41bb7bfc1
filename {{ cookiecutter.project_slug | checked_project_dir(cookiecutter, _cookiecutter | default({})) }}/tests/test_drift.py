"""The reference profile and the drift statistics: checked against SciPy (the dev group has it;
serving and `monitor` do not) and against the artifact training wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from {{ cookiecutter.module_name }}.artifact import read_profile
from {{ cookiecutter.module_name }}.data import Split
from {{ cookiecutter.module_name }}.drift import categorical_drift, chi_square_sf, numeric_drift, psi
from {{ cookiecutter.module_name }}.monitor import DEFAULT_THRESHOLDS, level
from {{ cookiecutter.module_name }}.profile import (
    MONITORED,
    PREDICTION,
    SAMPLE_SIZE,
    as_numbers,
    categorical_profile,
    numeric_profile,
)

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0])
def test_numeric_statistics_match_scipy(shift: float) -> None:
    reference = RNG.normal(10, 2, 50_000)
    window = RNG.normal(10 + 2 * shift, 2, 5000)
    profile = numeric_profile(reference)
    sample = np.asarray(profile["sample"])
    drift = numeric_drift(profile, window)
    assert drift["ks"] == pytest.approx(stats.ks_2samp(sample, window).statistic, abs=1e-12)
    expected = stats.wasserstein_distance(sample, window) / profile["std"]
    assert drift["wasserstein"] == pytest.approx(expected, rel=1e-9)
    assert drift["wasserstein"] == pytest.approx(shift, abs=0.06)  # a shift of `shift` standard deviations


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift() -> None:
    reference = RNG.normal(0, 1, 100_000)
    profile = numeric_profile(reference)
    same, shifted = numeric_drift(profile, RNG.normal(0, 1, 100_000)), numeric_drift(profile, RNG.normal(1, 1, 100_000))
    assert same["psi"] < 0.001
    assert shifted["psi"] > 0.25  # the usual "significant shift" mark
    assert psi(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0


def test_missing_values_are_a_bin_of_their_own() -> None:
    reference = np.where(RNG.random(10_000) < 0.1, np.nan, RNG.normal(0, 1, 10_000))
    profile = numeric_profile(reference)
    assert sum(profile["shares"]) + profile["missing"] == pytest.approx(1.0)
    all_missing = numeric_drift(profile, np.full(1000, np.nan))
    assert all_missing["psi"] > 1.0
    assert np.isnan(all_missing["ks"])


def test_categorical_statistics_match_scipy() -> None:
    reference = pd.Series(RNG.choice(["a", "b", "c"], 10_000, p=[0.5, 0.3, 0.2]))
    profile = categorical_profile(reference)
    window = pd.Series(RNG.choice(["a", "b", "c"], 2000, p=[0.4, 0.35, 0.25]))
    drift = categorical_drift(profile, window)
    observed = [int((window == value).sum()) for value in profile["frequencies"]]
    expected = [share * len(window) for share in profile["frequencies"].values()]
    exact = stats.chisquare(observed, expected)
    assert drift["chi_square"] == pytest.approx(exact.statistic, rel=1e-9)
    assert drift["p_value"] == pytest.approx(exact.pvalue, abs=0.01)
    freedom = len(observed) - 1  # the noise a window shows without drift, taken off
    assert drift["cohen_w"] == pytest.approx(np.sqrt((drift["chi_square"] - freedom) / len(window)))
    assert drift["unseen"] == 0.0


def test_values_never_seen_in_training_are_counted() -> None:
    profile = categorical_profile(pd.Series(["a", "b"] * 500))
    window = pd.Series(["a", "b", "new", None] * 250)
    drift = categorical_drift(profile, window)
    assert drift["unseen"] == pytest.approx(0.5)  # "new", and missing where training never had one
    assert drift["cohen_w"] == 0.0  # among known values, the shares are training's


def test_the_artifact_holds_a_profile_of_every_monitored_input(artifact: Path, split_parts: Split) -> None:
    profile = read_profile(artifact)
    history = split_parts.history
    assert profile["rows"] == len(history)
    assert set(profile["inputs"]) == {c.name for c in MONITORED}
    for column in MONITORED:
        entry = profile["inputs"][column.name]
        if entry["kind"] == "numeric":
            values = as_numbers(history[column.name], column)
            assert len(entry["sample"]) == min(SAMPLE_SIZE, int(np.isfinite(values).sum()))
            assert sum(entry["shares"]) + entry["missing"] == pytest.approx(1.0)
            assert entry["min"] == np.nanmin(values)
        else:
            assert sum(entry["frequencies"].values()) + entry["missing"] == pytest.approx(1.0)
    assert profile[PREDICTION]["rows"] == len(history)
    for name, segments in profile["segments"].items():
        assert sum(s["rows"] for s in segments.values()) == split_parts.test[name].notna().sum()


@pytest.mark.parametrize("freedom", [1, 2, 3, 5, 19, 50])
def test_the_chi_square_p_value_matches_scipy(freedom: int) -> None:
    for p in (0.5, 0.1, 0.01, 0.001):
        assert chi_square_sf(stats.chi2.isf(p, freedom), freedom) == pytest.approx(p, abs=0.01)


@pytest.mark.statistical
def test_many_categories_without_drift_are_not_flagged() -> None:
    """20 values and windows of 500 rows: raw Cohen's w would sit near 0.2 without any drift."""
    values = [f"v{i}" for i in range(20)]
    profile = categorical_profile(pd.Series(RNG.choice(values, 50_000)))
    flagged = 0
    for _ in range(200):
        drift = categorical_drift(profile, pd.Series(RNG.choice(values, 500)))
        flagged += level(drift, DEFAULT_THRESHOLDS) != "ok"
    assert flagged <= 6, f"{flagged} of 200 windows flagged"  # 1% expected (the p-value gate)
    moved = categorical_drift(profile, pd.Series(RNG.choice(values[:10], 500)))  # half the values gone
    assert level(moved, DEFAULT_THRESHOLDS) == "critical"
