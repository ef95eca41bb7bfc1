"""The classification task's learning problem: the constrained classifier, the labels, the
metrics, the calibration error and the baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from {{ cookiecutter.module_name }}.data import TARGET, Split, load_training_data
from {{ cookiecutter.module_name }}.estimator import MonotonicLogisticRegression
from {{ cookiecutter.module_name }}.model import TrainedModel, train
from {{ cookiecutter.module_name }}.objective import (
    NEGATIVE,
    POSITIVE,
    baseline_predict,
    calibration_error,
    from_model_scale,
    is_positive,
    metrics,
)
from {{ cookiecutter.module_name }}.validation import SchemaError


def test_constraints_hold_even_when_the_data_disagrees() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2])))).astype(int)
    free = MonotonicLogisticRegression().fit(X, y)
    bounded = MonotonicLogisticRegression(monotonic_cst=[-1, 1, 0]).fit(X, y)
    assert free.coef_[0, 0] > 1.5
    assert free.coef_[0, 1] < -0.5
    assert bounded.coef_[0, 0] <= 0.0
    assert bounded.coef_[0, 1] >= 0.0
    assert bounded.predict_proba(X).shape == (2000, 2)


def test_without_constraints_it_agrees_with_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 4))
    y = (rng.random(1000) < 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.2, 0.0] + 0.3)))).astype(int)
    ours = MonotonicLogisticRegression(alpha=1.0).fit(X, y)
    reference = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_constraint_shape_and_classes_are_checked() -> None:
    with pytest.raises(ValueError, match="monotonic_cst must hold 2 values"):
        MonotonicLogisticRegression(monotonic_cst=[-1]).fit(np.ones((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Only binary classification"):
        MonotonicLogisticRegression().fit(np.ones((3, 2)), [0, 1, 2])


def test_the_linear_form_computes_what_predict_proba_does(fitted: TrainedModel) -> None:
    """What serves (`linear_form`, NumPy alone) is the positive class's log-odds: back on the
    probability scale it is `predict_proba`, far out too."""
    classifier = fitted.estimator
    X = np.random.default_rng(3).normal(scale=5.0, size=(50, classifier.n_features_in_))
    probability = from_model_scale(classifier.linear_form().predict_unchecked(X))
    np.testing.assert_allclose(probability, classifier.predict_proba(X)[:, 1], rtol=1e-12, atol=1e-300)


def test_the_probability_scale_never_overflows() -> None:
    z = np.array([-800.0, -2.0, 0.0, 2.0, 800.0])
    with np.errstate(over="raise", invalid="raise"):  # exp(800) overflows in the textbook formula
        p = from_model_scale(z)
    np.testing.assert_allclose(p[1:4], 1.0 / (1.0 + np.exp(-z[1:4])), rtol=1e-15)
    assert (p[0], p[-1]) == (0.0, 1.0)


def test_metrics_match_scikit_learn_and_the_calibration_error_is_exact() -> None:
    rng = np.random.default_rng(4)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    labels = np.where(y == 1, POSITIVE, NEGATIVE)
    scores = metrics(labels, p)
    assert scores["log_loss"] == pytest.approx(log_loss(y, p))
    assert scores["brier"] == pytest.approx(brier_score_loss(y, p))
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert scores["positive_rate"] == pytest.approx(y.mean())
    # Two bins, half the rows each: 0.1 predicted where 0.5 happened, 0.9 where 1.0 did.
    assert calibration_error(np.array([0, 1, 1, 1]), np.array([0.1, 0.1, 0.9, 0.9]), bins=10) == pytest.approx(0.25)


def test_the_baseline_is_the_training_rate(split_parts: Split) -> None:
    predicted = baseline_predict(split_parts.train, split_parts.test)
    assert predicted.shape == (len(split_parts.test),)
    assert predicted[0] == pytest.approx(is_positive(split_parts.train[TARGET.name]).mean())


def test_a_part_with_one_class_is_refused_naming_it(split_parts: Split) -> None:
    only_negative = split_parts.test.assign(**{TARGET.name: NEGATIVE})
    with pytest.raises(ValueError, match=f"the test part holds only {TARGET.name}={NEGATIVE} rows"):
        train(Split(split_parts.train, split_parts.validation, only_negative), alphas=(0.0,))


def test_labels_other_than_the_two_declared_are_refused(sample: pd.DataFrame, tmp_path: Path) -> None:
    bad = sample.head(50).copy()
    bad[TARGET.name] = bad[TARGET.name].astype(object)
    bad.loc[bad.index[3], TARGET.name] = 2 if TARGET.kind == "int" else "maybe"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(SchemaError, match=f"column '{TARGET.name}'"):
        load_training_data(tmp_path / "bad.csv")
