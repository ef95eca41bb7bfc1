"""The linear form, what serves a linear model with NumPy alone: its arithmetic and its file."""

from __future__ import annotations

import numpy as np

from {{ cookiecutter.module_name }}.linear import LinearForm


def test_the_file_round_trips_every_bit() -> None:
    rng = np.random.default_rng(0)
    form = LinearForm(rng.normal(size=7) / 3, float(rng.normal() / 7))
    again = LinearForm.from_json(form.to_json())
    assert again.intercept == form.intercept
    np.testing.assert_array_equal(again.coef, form.coef)
    X = rng.normal(size=(5, 7))
    np.testing.assert_array_equal(again.predict_unchecked(X), X @ form.coef + form.intercept)


def test_varying_a_few_features_equals_scoring_each_candidate() -> None:
    rng = np.random.default_rng(1)
    form = LinearForm(rng.normal(size=5), 0.3)
    X, values = rng.normal(size=(20, 5)), rng.normal(size=(20, 3, 2))
    varied = form.predict_varying(X, [0, 3], values)
    assert varied.shape == (20, 3)
    for k in range(3):
        changed = X.copy()
        changed[:, [0, 3]] = values[:, k]
        np.testing.assert_allclose(varied[:, k], form.predict_unchecked(changed), rtol=1e-12)
