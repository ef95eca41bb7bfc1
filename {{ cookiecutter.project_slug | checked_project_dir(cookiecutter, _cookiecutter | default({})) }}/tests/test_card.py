"""The model card `promote` writes for the served model: read as a model registry reads it, and true to the artifact."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest
from huggingface_hub import ModelCard
from typer.testing import CliRunner

from {{ cookiecutter.module_name }}.artifact import read_metadata
from {{ cookiecutter.module_name }}.card import CARD_NAME
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.data import Split
from {{ cookiecutter.module_name }}.schema import SCHEMA
from {{ cookiecutter.module_name }}.task_config import TASK_TAGS

runner = CliRunner()
#: What a template's unfinished card says; a generated card never does.
PLACEHOLDERS = re.compile(r"TODO|More Information Needed|\{\{|\bNone\b|\bnan\b", re.IGNORECASE)


@pytest.fixture
def card(settings: Settings) -> ModelCard:
    from {{ cookiecutter.module_name }}.cli import app

    settings.artifact_path.unlink()  # the project's first model: the gate compares it with no champion
    for command in ("train", "promote"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 0, result.output
    loaded: ModelCard = ModelCard.load(settings.artifact_path.with_name(CARD_NAME))
    return loaded


def test_a_registry_reads_the_card(card: ModelCard) -> None:
    data = card.data.to_dict()  # type: ignore[no-untyped-call]  # untyped in huggingface_hub
    assert set(TASK_TAGS) <= set(data["tags"])
    assert data["license"]
    assert data["library_name"] == "sklearn"
    for section in ("Intended use", "Training data", "Inputs", "Metrics", "Guarantees", "Limitations", "Artifact"):
        assert f"\n## {section}\n" in card.text
    assert PLACEHOLDERS.search(card.content) is None, PLACEHOLDERS.search(card.content)


def test_the_card_describes_the_artifact_beside_it(card: ModelCard, settings: Settings) -> None:
    artifact = settings.artifact_path
    meta = read_metadata(artifact)
    assert f"sha256: `{hashlib.sha256(artifact.read_bytes()).hexdigest()}`" in card.text
    assert meta["model_version"] in card.text
    assert meta["data_fingerprint"] in card.text
    for part, rows in meta["rows"].items():
        assert f"| {part} | {rows:,} |" in card.text
    for name, value in meta["metrics"]["test"]["model"].items():
        assert f"| {name} | {value:.4g} |" in card.text


def test_the_card_shows_each_input_and_what_training_saw(card: ModelCard, split_parts: Split) -> None:
    history = pd.concat([split_parts.train, split_parts.validation])
    for column in SCHEMA.request:
        assert f"| `{column.name}` | {column.kind} |" in card.text
        if column.numeric:
            low, high = history[column.name].min(), history[column.name].max()
            assert f"{float(low):.6g} to {float(high):.6g}" in card.text, column.name
    for name, direction in SCHEMA.monotone.items():
        assert f"never {'rises' if direction < 0 else 'falls'} when `{name}` rises" in card.text
