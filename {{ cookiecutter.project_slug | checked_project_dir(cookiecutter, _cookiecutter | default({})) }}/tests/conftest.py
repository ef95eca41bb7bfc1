"""Shared fixtures, all derived from the schema, the settings and the data at `data_path`:
nothing here, or in the tests that use it, knows the sample's rows, names or counts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.artifact import load, save
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import Split, example_records, load_training_data, split
from {{ cookiecutter.module_name }}.model import TrainedModel, train
from {{ cookiecutter.module_name }}.postprocess import Policy
from {{ cookiecutter.module_name }}.tables import read_table, source_of
from {{ cookiecutter.module_name }}.task_config import SAMPLE

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The project's settings as `make` targets see them (config.toml and variables included)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT_ROOT)
        return Settings()


@pytest.fixture(scope="session")
def sample_path(project_settings: Settings) -> Path:
    """The training data file the settings point to (the embedded sample, until you replace it);
    when they name another source (a database query), the sample file that source holds."""
    data = project_settings.data_path
    return PROJECT_ROOT / (SAMPLE.data_path if source_of(data) else data)


@pytest.fixture(scope="session")
def sample(sample_path: Path) -> pd.DataFrame:
    """The training data, validated and typed."""
    return load_training_data(sample_path)


@pytest.fixture(scope="session")
def raw(sample_path: Path) -> pd.DataFrame:
    """The training data exactly as written, indexed by line (the header is line 1)."""
    return read_table(sample_path)


@pytest.fixture(scope="session")
def split_parts(sample: pd.DataFrame, project_settings: Settings) -> Split:
    return split(sample, project_settings)


@pytest.fixture(scope="session")
def artifact(split_parts: Split, project_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("artifacts") / "model.zip"
    save(train(split_parts, alphas=project_settings.alphas[:2]), path)
    return path


@pytest.fixture(scope="session")
def model(artifact: Path) -> TrainedModel:
    """The model as it serves: without scikit-learn, its `estimator` is None."""
    return load(artifact)


@pytest.fixture(scope="session")
def fitted(artifact: Path) -> TrainedModel:
    """The model loaded in full: its `estimator` is the fitted scikit-learn estimator."""
    return load(artifact, backend="scikit-learn")


@pytest.fixture(scope="session")
def policy(project_settings: Settings) -> Policy:
    """The task's business rules, as the project's settings configure them."""
    return Policy.from_settings(project_settings)


@pytest.fixture(scope="session")
def record(sample_path: Path) -> dict[str, Any]:
    """One valid API record: the example request, from the data."""
    return example_records(sample_path, 1)[0]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifact: Path, sample_path: Path) -> Settings:
    """Settings whose every path is inside this test's temporary folder (the sample is read-only)."""
    config = PROJECT_ROOT / "config.toml"
    if config.is_file():  # the project's own choices (split, prices, ...) hold in tests too
        shutil.copy(config, tmp_path / "config.toml")
    monkeypatch.chdir(tmp_path)
    shutil.copy(artifact, tmp_path / "model.zip")
    monkeypatch.setenv(f"{ENV_PREFIX}DATA_PATH", str(sample_path))
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACT_PATH", str(tmp_path / "model.zip"))
    monkeypatch.setenv(f"{ENV_PREFIX}REPORTS_DIR", str(tmp_path / "reports"))
    return Settings()
