"""Tests of the example itself: the sample's generator, the example's features and its quality.

Everything else in tests/ checks contracts that hold for any data the schema declares. This
file is about the churn example alone: when your data and features replace it, delete this
file together with src/{{ cookiecutter.module_name }}/synthetic.py and data/sample/ (until then
its tests are skipped, saying so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.columns import columns_from_frame, columns_from_records
from {{ cookiecutter.module_name }}.data import Split
from {{ cookiecutter.module_name }}.features import FEATURE_NAMES, build_features, monotonic_constraints
from {{ cookiecutter.module_name }}.model import TrainedModel, evaluate
from {{ cookiecutter.module_name }}.schema import SCHEMA
from {{ cookiecutter.module_name }}.tables import read_table
from {{ cookiecutter.module_name }}.validation import TRAINING_COLUMNS, validate

EXAMPLE_COLUMNS = [
    "snapshot_month",
    "customer_id",
    "plan",
    "tenure_months",
    "monthly_charge",
    "support_calls_90d",
    "usage_change",
    "autopay",
    "satisfaction",
    "churned",
]
EXAMPLE_FEATURES = {"log_tenure", "log_support_calls", "satisfaction_missing", "plan_premium"}
pytestmark = pytest.mark.skipif(
    [c.name for c in SCHEMA.columns] != EXAMPLE_COLUMNS or not set(FEATURE_NAMES) >= EXAMPLE_FEATURES,
    reason="the example was replaced: delete tests/test_example.py and synthetic.py",
)
synthetic = pytest.importorskip("{{ cookiecutter.module_name }}.synthetic", reason="the example's generator is gone")
#: The expected calibration error the example's held-out months must stay under.
ECE_BOUND = 0.05


def test_the_sample_is_the_generator_output() -> None:
    embedded = read_table(Path(__file__).resolve().parents[1] / "data" / "sample" / "churn.csv")
    regenerated = validate(synthetic.generate(rows=len(embedded)), TRAINING_COLUMNS)
    pd.testing.assert_frame_equal(validate(embedded, TRAINING_COLUMNS).reset_index(drop=True), regenerated)


def test_generator_is_deterministic_and_scales_the_same_customers() -> None:
    small, large = synthetic.generate(rows=500), synthetic.generate(rows=20_000)
    pd.testing.assert_frame_equal(synthetic.generate(rows=500), small)
    first = small[small["customer_id"] == "C00000"].reset_index(drop=True)
    pd.testing.assert_frame_equal(large[large["customer_id"] == "C00000"].reset_index(drop=True), first)
    assert len(large) == 20_000
    validate(large, TRAINING_COLUMNS)


def test_a_churned_customer_has_no_later_snapshot() -> None:
    rows = synthetic.generate(rows=3_000)
    last = rows.groupby("customer_id")["snapshot_month"].transform("max")
    assert (rows.loc[rows["churned"] == 1, "snapshot_month"] == last[rows["churned"] == 1]).all()


def test_churn_rises_with_calls_and_falls_with_tenure_by_construction() -> None:
    neutral = {
        "charge": np.full(3, 50.0),
        "usage": np.zeros(3),
        "autopay": np.zeros(3),
        "satisfaction": np.full(3, 3.0),
    }
    calls = synthetic.churn_log_odds(tenure=np.full(3, 24), calls=np.array([0, 2, 8]), **neutral)
    tenure = synthetic.churn_log_odds(tenure=np.array([0, 12, 60]), calls=np.ones(3), **neutral)
    assert (np.diff(calls) > 0).all()
    assert (np.diff(tenure) < 0).all()


def test_missing_satisfaction_is_imputed_as_neutral_and_flagged() -> None:
    record = {
        "snapshot_month": "2025-06-01",
        "customer_id": "C1",
        "plan": "premium",
        "tenure_months": 0,
        "monthly_charge": 50.0,
        "support_calls_90d": 0,
        "usage_change": 5.0,
        "autopay": 1,
        "satisfaction": None,
    }
    row = dict(zip(FEATURE_NAMES, build_features(columns_from_records([record]))[0], strict=True))
    assert row["satisfaction"] == 0.0
    assert row["satisfaction_missing"] == 1.0
    assert row["plan_premium"] == 1.0
    assert row["plan_standard"] == 0.0
    assert row["log_tenure"] == 0.0
    assert row["usage_change"] == 3.0, "a usage jump is clipped"


def test_the_constrained_features_are_those_of_the_monotone_inputs() -> None:
    constraints = dict(zip(FEATURE_NAMES, monotonic_constraints(), strict=True))
    assert {name: sign for name, sign in constraints.items() if sign} == {"log_tenure": -1, "log_support_calls": 1}


def test_the_example_model_ranks_and_is_calibrated_on_the_held_out_months(
    model: TrainedModel, split_parts: Split
) -> None:
    scores = evaluate(model, split_parts)
    assert scores["model"]["roc_auc"] > 0.7
    assert scores["model"]["pr_auc"] > 2 * scores["model"]["positive_rate"]
    assert scores["model"]["ece"] < ECE_BOUND
    assert scores["model"]["brier"] < scores["baseline"]["brier"]
    probability = model.predict(columns_from_frame(split_parts.test))
    assert abs(probability.mean() - scores["model"]["positive_rate"]) < 0.03
