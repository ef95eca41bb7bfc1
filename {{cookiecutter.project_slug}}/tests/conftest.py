"""Shared fixtures: the embedded sample, a model trained on it once, isolated settings."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import INPUT_COLUMNS, Split, load_training_data, split_by_time
from {{ cookiecutter.module_name }}.model import DemandModel, load, save, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "data" / "sample" / "demand.csv"


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    return load_training_data(SAMPLE)


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
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifact: Path) -> Settings:
    """Settings whose every path is inside this test's temporary folder (the sample is read-only)."""
    monkeypatch.chdir(tmp_path)  # so a config.toml in the project root cannot leak in
    shutil.copy(artifact, tmp_path / "model.zip")
    monkeypatch.setenv(f"{ENV_PREFIX}DATA_PATH", str(SAMPLE))
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACT_PATH", str(tmp_path / "model.zip"))
    monkeypatch.setenv(f"{ENV_PREFIX}REPORTS_DIR", str(tmp_path / "reports"))
    return Settings()


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the JSON records the API takes: ISO dates, None for a missing value."""
    records = []
    for row in frame[[c.name for c in INPUT_COLUMNS]].to_dict(orient="records"):
        row["date"] = pd.Timestamp(row["date"]).date().isoformat()
        records.append({str(k): None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()})
    return records
