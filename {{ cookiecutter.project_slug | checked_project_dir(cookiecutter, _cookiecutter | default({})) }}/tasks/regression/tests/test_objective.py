"""The regression task's learning problem: the constrained estimator, the target's scale, the
metrics and the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.data import TARGET, Split
from {{ cookiecutter.module_name }}.estimator import MonotonicLinearRegression
from {{ cookiecutter.module_name }}.model import TrainedModel, train
from {{ cookiecutter.module_name }}.objective import (
    LOG_TARGET,
    baseline_predict,
    from_model_scale,
    metrics,
    to_model_scale,
)


def test_constraints_hold_even_when_the_data_disagrees() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] + rng.normal(0, 0.1, 500)
    free = MonotonicLinearRegression().fit(X, y)
    bounded = MonotonicLinearRegression(monotonic_cst=[-1, 1, 0]).fit(X, y)
    assert free.coef_[0] > 1.5
    assert free.coef_[1] < -0.5
    assert bounded.coef_[0] <= 0.0
    assert bounded.coef_[1] >= 0.0
    assert bounded.predict(X).shape == (500,)


def test_constraint_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="monotonic_cst must hold 2 values"):
        MonotonicLinearRegression(monotonic_cst=[-1]).fit(np.ones((4, 2)), np.ones(4))


def test_the_linear_form_computes_what_predict_does(fitted: TrainedModel) -> None:
    """What serves (`linear_form`, NumPy alone) equals the estimator's `predict`, also for many
    candidate values of a few features at once (`predict_varying`, the price optimizer's path)."""
    rng = np.random.default_rng(3)
    regressor = fitted.estimator
    X = rng.normal(size=(50, regressor.n_features_in_))
    form = regressor.linear_form()
    np.testing.assert_allclose(form.predict_unchecked(X), regressor.predict(X), rtol=1e-12)
    values = rng.normal(size=(50, 4, 2))
    varied = form.predict_varying(X, [1, 5], values)
    for k in range(4):
        changed = X.copy()
        changed[:, [1, 5]] = values[:, k]
        np.testing.assert_allclose(varied[:, k], regressor.predict(changed), rtol=1e-12)


def test_metrics_are_in_the_target_unit() -> None:
    scores = metrics([10.0, 0.0, 5.0], [12.0, 1.0, 5.0])
    assert scores == pytest.approx({"mae": 1.0, "rmse": np.sqrt(5 / 3), "wape": 0.2, "bias": 1.0})


def test_the_target_scale_round_trips_within_the_schema_bounds() -> None:
    values = np.array([0.0, 1.0, 25.0, 1e4])
    np.testing.assert_allclose(from_model_scale(to_model_scale(values)), values, rtol=1e-12)
    if LOG_TARGET:
        extreme = from_model_scale(np.array([-50.0, 1e6]))
        assert np.isfinite(extreme).all()
        assert extreme[0] >= (TARGET.minimum or 0.0)


def test_the_baseline_is_each_entity_mean_and_the_overall_mean_for_strangers(split_parts: Split) -> None:
    train_rows = split_parts.train
    stranger = split_parts.test.head(1).copy()
    for column in (c for c in stranger.columns if c != TARGET.name and stranger[c].dtype == object):
        stranger[column] = "never-seen-before"
    predicted = baseline_predict(train_rows, pd.concat([split_parts.test.head(5), stranger]))
    assert len(predicted) == 6
    assert np.isfinite(predicted).all()
    if [c for c in stranger.columns if stranger[c].iloc[0] == "never-seen-before"]:
        assert predicted[-1] == pytest.approx(train_rows[TARGET.name].mean())


def test_a_constant_target_is_refused_naming_it(split_parts: Split) -> None:
    constant = split_parts.train.assign(**{TARGET.name: split_parts.train[TARGET.name].iloc[0]})
    with pytest.raises(ValueError, match=f"the train part's target '{TARGET.name}' is .* nothing to learn"):
        train(Split(constant, split_parts.validation, split_parts.test), alphas=(0.0,))
