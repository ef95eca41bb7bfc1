"""Shared fixtures: the embedded sample, a model trained on it once, isolated settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.artifact import load, save
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import Split, load_training_data, split_by_time
from {{ cookiecutter.module_name }}.model import DemandModel, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The training data the settings point to by default (the embedded sample)."""
    default: Path = Settings.model_fields["data_path"].default
    return PROJECT_ROOT / default


@pytest.fixture(scope="session")
def sample(sample_path: Path) -> pd.DataFrame:
    return load_training_data(sample_path)


@pytest.fixture(scope="session")
def split(sample: pd.DataFrame) -> Split:
    return split_by_time(sample, validation_days=56, test_days=56)


@pytest.fixture(scope="session")
def artifact(split: Split, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("artifacts") / "model.zip"
    save(train(split, alphas=(0.0, 1.0)), path)
    return path


@pytest.fixture(scope="session")
def model(artifact: Path) -> DemandModel:
    return load(artifact)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifact: Path, sample_path: Path) -> Settings:
    """Settings whose every path is inside this test's temporary folder (the sample is read-only)."""
    monkeypatch.chdir(tmp_path)  # so a config.toml in the project root cannot leak in
    shutil.copy(artifact, tmp_path / "model.zip")
    monkeypatch.setenv(f"{ENV_PREFIX}DATA_PATH", str(sample_path))
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACT_PATH", str(tmp_path / "model.zip"))
    monkeypatch.setenv(f"{ENV_PREFIX}REPORTS_DIR", str(tmp_path / "reports"))
    return Settings()
