"""The promotion gate: who serves after `train`, decided on the project's own holdout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from {{ cookiecutter.module_name }} import objective
from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.columns import Matrix, columns_from_frame
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import TARGET, Split
from {{ cookiecutter.module_name }}.features import build_features, monotonic_constraints
from {{ cookiecutter.module_name }}.linear import LinearForm
from {{ cookiecutter.module_name }}.model import Predictor, TrainedModel
from {{ cookiecutter.module_name }}.promotion import Rules, judge, paired_bootstrap
from {{ cookiecutter.module_name }}.serve import create_app

runner = CliRunner()
RULES = Rules(min_gain=0.0, tolerance=0.01)
STRICT = Rules(min_gain=0.0, tolerance=0.0)  # improvement required


@dataclass(frozen=True)
class Shifted:
    """Another predictor's output plus a constant on the model scale: monotone and finite like
    it, and worse by construction (the trained model's errors are centred)."""

    inner: Predictor
    offset: float
    backend: ClassVar[str] = "test"

    def predict_unchecked(self, X: Matrix) -> Matrix:
        return self.inner.predict_unchecked(X) + self.offset


@dataclass(frozen=True)
class Broken:
    """A predictor whose output is infinite for every other row."""

    backend: ClassVar[str] = "test"

    def predict_unchecked(self, X: Matrix) -> Matrix:
        return np.where(np.arange(len(X)) % 2 == 0, np.inf, 0.0)


def worse_than(model: TrainedModel, holdout: pd.DataFrame) -> TrainedModel:
    """The model shifted by the spread of its output on the holdout: clearly worse, whatever the data."""
    return variant(model, Shifted(model.predictor, output_spread(model, holdout)), "worse")


def variant(model: TrainedModel, predictor: Predictor, name: str) -> TrainedModel:
    return TrainedModel(predictor, model.metadata | {"model_version": name})


def check(decision_json: dict[str, object], rule: str) -> dict[str, object]:
    checks = decision_json["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["rule"] == rule)


def test_a_better_candidate_replaces_a_worse_champion(model: TrainedModel, split_parts: Split) -> None:
    worse = worse_than(model, split_parts.test)
    decision = judge(model, worse, split_parts.history, split_parts.test, RULES)
    assert decision.promoted, decision.summary()
    numbers = check(decision.to_json(), "champion")["numbers"]
    assert isinstance(numbers, dict)
    assert numbers["rows_differing"] == len(split_parts.test), "champion and candidate must really differ"
    assert numbers["upper_bound"] < 0


def test_a_worse_candidate_is_rejected(model: TrainedModel, split_parts: Split) -> None:
    worse = worse_than(model, split_parts.test)
    decision = judge(worse, model, split_parts.history, split_parts.test, RULES)
    assert not decision.promoted
    champion = check(decision.to_json(), "champion")
    assert champion["passed"] is False
    assert "candidate worse rejected: " in decision.summary()


def test_an_identical_candidate_passes_only_when_no_improvement_is_required(
    model: TrainedModel, split_parts: Split
) -> None:
    assert judge(model, model, split_parts.history, split_parts.test, RULES).promoted
    decision = judge(model, model, split_parts.history, split_parts.test, STRICT)
    assert not decision.promoted
    assert "upper 95% bound +0.00% >= tolerance +0.00%" in decision.summary()


def holdout_losses(model: TrainedModel, holdout: pd.DataFrame, noise: Matrix) -> Matrix:
    """Each holdout row's error when the model's output (model scale) is moved by `noise`."""
    raw = model.raw_predict(build_features(columns_from_frame(holdout)))
    return objective.row_loss(holdout[TARGET.name].to_numpy(), objective.from_model_scale(raw + noise))


def output_spread(model: TrainedModel, holdout: pd.DataFrame) -> float:
    return float(np.std(model.raw_predict(build_features(columns_from_frame(holdout))))) or 1.0


@pytest.mark.statistical
def test_a_noisy_equal_candidate_is_rarely_promoted_when_improvement_is_required(
    model: TrainedModel, split_parts: Split
) -> None:
    """The champion's own output plus zero-mean noise: a candidate no better, whose errors differ
    row by row. Required to improve, it must pass in at most 5% of 50 holdouts' noise."""
    holdout = split_parts.test
    champion = holdout_losses(model, holdout, np.zeros(len(holdout)))
    scale = 0.5 * output_spread(model, holdout)
    promoted = 0
    for seed in range(50):
        candidate = holdout_losses(model, holdout, np.random.default_rng(seed).normal(0.0, scale, len(holdout)))
        assert not np.array_equal(candidate, champion)
        promoted += paired_bootstrap(candidate, champion, STRICT.replicates, STRICT.seed)[1] < STRICT.tolerance
    assert promoted <= 2, f"{promoted} of 50 noisy copies of the champion promoted"


@pytest.mark.statistical
def test_the_bound_holds_its_level_between_two_equally_good_models(model: TrainedModel, split_parts: Split) -> None:
    """Two noisy copies of one model are equally good: the upper 95% bound of the first's change in
    error falls below 0 in about 5% of holdouts' noise (between 1% and 10% of 200: a bound that
    is far too wide or too narrow fails; the chance of failing by bad luck is below 0.1%)."""
    holdout = split_parts.test
    scale = 0.5 * output_spread(model, holdout)
    passed = 0
    for seed in range(200):
        first, second = np.random.default_rng(seed).normal(0.0, scale, (2, len(holdout)))
        change = paired_bootstrap(holdout_losses(model, holdout, first), holdout_losses(model, holdout, second))
        passed += change[1] < 0
    assert 2 <= passed <= 20, f"{passed} of 200"


def test_a_candidate_that_breaks_a_guarantee_is_rejected(model: TrainedModel, split_parts: Split) -> None:
    directions = np.asarray(monotonic_constraints())
    if not directions.any():
        pytest.skip("the schema promises no monotone response")
    form = model.predictor
    assert isinstance(form, LinearForm), "the example's model serves its linear form"
    flipped = variant(model, LinearForm(np.where(directions != 0, -form.coef - directions, form.coef), 0.0), "flip")
    decision = judge(flipped, None, split_parts.history, split_parts.test, RULES)
    assert not decision.promoted
    assert "moves against the monotone constraint" in check(decision.to_json(), "guarantees")["detail"]  # type: ignore[operator]


def test_a_candidate_with_infinite_outputs_is_rejected(model: TrainedModel, split_parts: Split) -> None:
    decision = judge(variant(model, Broken(), "broken"), model, split_parts.history, split_parts.test, RULES)
    assert not decision.promoted
    assert check(decision.to_json(), "guarantees")["numbers"] == {"non_finite": (len(split_parts.test) + 1) // 2}


def test_a_candidate_must_beat_the_baseline_by_the_margin(model: TrainedModel, split_parts: Split) -> None:
    gain = check(judge(model, None, split_parts.history, split_parts.test, RULES).to_json(), "baseline")["numbers"]
    assert isinstance(gain, dict)
    assert gain["gain"] > 0
    demanding = Rules(min_gain=min(gain["gain"] + 0.01, 0.99), tolerance=0.01)
    assert not judge(model, None, split_parts.history, split_parts.test, demanding).promoted


def metadata_version(settings: Settings) -> str:
    with TestClient(create_app(settings)) as client:
        return str(client.get("/metadata").json()["model_version"])


def test_promote_serves_a_passing_candidate_and_keeps_the_champion_otherwise(
    settings: Settings, project_settings: Settings
) -> None:
    served = settings.artifact_path
    served.unlink()  # the first model of a project: nothing serves yet
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    promoted = runner.invoke(app, ["promote"])
    assert promoted.exit_code == 0, promoted.output
    assert promoted.stdout.startswith("promote: candidate ")
    assert " promoted: " in promoted.stdout
    assert served.read_bytes() == settings.candidate_path.read_bytes()
    assert (served.parent / "MODEL_CARD.md").is_file()
    champion, champion_bytes = metadata_version(settings), served.read_bytes()

    heavy = json.dumps([max(project_settings.alphas) * 1000 + 1000])  # another, worse model
    assert runner.invoke(app, ["train"], env={f"{ENV_PREFIX}ALPHAS": heavy}).exit_code == 0
    rejected = runner.invoke(app, ["promote"], env={f"{ENV_PREFIX}PROMOTION_TOLERANCE": "-0.5"})
    assert rejected.exit_code == 1, rejected.output
    assert " rejected: " in rejected.stdout
    assert f"{served} unchanged" in rejected.stdout
    report = json.loads((settings.reports_dir / "promotion.json").read_text())
    assert report["promoted"] is False
    assert report["champion"] == champion != report["candidate"]
    assert served.read_bytes() == champion_bytes
    assert metadata_version(settings) == champion


def test_promote_refuses_a_candidate_trained_on_other_data(settings: Settings, tmp_path: Path) -> None:
    assert runner.invoke(app, ["train"]).exit_code == 0
    before = settings.artifact_path.read_bytes()
    other = tmp_path / "other.csv"
    lines = settings.data_path.read_text().splitlines(keepends=True)
    other.write_text("".join(lines[:1] + lines[2:]))  # one row fewer
    result = runner.invoke(app, ["promote"], env={f"{ENV_PREFIX}DATA_PATH": str(other)})
    assert result.exit_code == 1
    assert "was trained on other data than" in result.stderr
    assert settings.artifact_path.read_bytes() == before


def test_promote_without_a_candidate_is_one_line(settings: Settings) -> None:
    result = runner.invoke(app, ["promote"])
    assert result.exit_code == 1
    assert f"error: no candidate at {settings.candidate_path}: run the `train` command first" in result.stderr
