"""Probabilities to retention decisions (the classification task's policy), checked against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings, describe_invalid
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.postprocess import OFFER, PROBABILITY, Policy
from {{ cookiecutter.module_name }}.schema import SCHEMA, VALUE

IDS = [c.name for c in SCHEMA.ids]


@pytest.mark.parametrize(("cost", "rate", "horizon"), [(25.0, 0.3, 12.0), (0.0, 0.5, 6.0), (500.0, 1.0, 24.0)])
def test_each_decision_is_the_better_of_offering_and_not(
    model: TrainedModel, sample: pd.DataFrame, cost: float, rate: float, horizon: float
) -> None:
    rows = sample.sample(min(40, len(sample)), random_state=3)
    columns = columns_from_frame(rows)
    policy = Policy(cost, rate, horizon)
    decided = policy.decide(model, columns)
    for i in range(len(rows)):  # brute force: the value of each action, one row at a time
        one = {name: values[i : i + 1] for name, values in columns.items()}
        p = model.predict(one)[0]
        value = {"offer": p * rows[VALUE].iloc[i] * horizon * rate - cost, "no offer": 0.0}
        best = max(value, key=value.__getitem__)
        assert decided[OFFER][i] == (best == "offer" and value["offer"] > 0)
        assert decided["expected_gain"][i] == pytest.approx(value["offer"], abs=0.005)
        assert decided[PROBABILITY][i] == pytest.approx(p, abs=5e-5)
    assert list(decided)[: len(IDS)] == IDS


def test_score_keeps_row_order_and_agrees_with_decide(
    model: TrainedModel, sample: pd.DataFrame, project_settings: Settings
) -> None:
    rows = sample.sample(min(30, len(sample)), random_state=2)
    policy = Policy.from_settings(project_settings)
    scored = policy.score(model, columns_from_frame(rows))
    decided = policy.decide(model, columns_from_frame(rows))
    for name in IDS:
        assert scored[name].tolist() == rows[name].tolist()
    assert scored[OFFER].tolist() == decided[OFFER].tolist()
    np.testing.assert_allclose(scored[PROBABILITY], np.round(model.predict(columns_from_frame(rows)), 4))


def test_a_free_certain_offer_is_always_made_and_a_useless_one_never(model: TrainedModel, sample: pd.DataFrame) -> None:
    columns = columns_from_frame(sample.head(20))
    assert Policy(incentive_cost=0.0, acceptance_rate=1.0).score(model, columns)[OFFER].all()
    assert not Policy(incentive_cost=1.0, acceptance_rate=0.0).score(model, columns)[OFFER].any()


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("incentive_cost", -1.0, "incentive_cost must be >= 0"),
        ("acceptance_rate", 1.5, "acceptance_rate must be between 0 and 1"),
        ("value_horizon_months", 0.0, "value_horizon_months must be > 0"),
    ],
)
def test_decision_settings_out_of_range_are_refused_naming_them(setting: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**{setting: value})


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("INCENTIVE_COST", "-1", "greater than or equal to 0"),
        ("ACCEPTANCE_RATE", "1.5", "less than or equal to 1"),
        ("VALUE_HORIZON_MONTHS", "0", "greater than 0"),
    ],
)
def test_decision_settings_from_the_environment_are_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}{variable}", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    line = describe_invalid(caught.value)
    assert f"setting {variable.lower()} = {value!r} ({ENV_PREFIX}{variable} or config.toml)" in line
    assert allowed in line
    assert "\n" not in line
