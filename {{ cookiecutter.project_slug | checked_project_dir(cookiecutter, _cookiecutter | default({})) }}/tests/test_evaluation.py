"""The evaluation report: its numbers are the model's, its page renders in a browser, offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.data import TARGET, Split
from {{ cookiecutter.module_name }}.evaluation import evaluation
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.schema import SCHEMA

runner = CliRunner()
SECTIONS = ("metrics", "predictions", "errors-over-time", "errors-per-segment", "guaranteed-responses")
#: A report that opens anywhere: small, and nothing fetched from elsewhere.
MAX_BYTES = 500_000
LINK = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|https?://(?!www\.w3\.org/2000/svg)""")


@pytest.fixture(scope="module")
def report(model: TrainedModel, split_parts: Split) -> tuple[dict[str, object], str]:
    return evaluation(model, split_parts)


def test_the_numbers_are_the_models(
    report: tuple[dict[str, object], str], model: TrainedModel, split_parts: Split
) -> None:
    data, _ = report
    test = split_parts.test
    assert data["rows"] == len(test)
    assert data["test"] == model.metadata["metrics"]["test"]  # what training measured on the same rows
    segments = data["segments"]
    assert isinstance(segments, dict)
    for name, values in segments.items():
        assert sum(entry["rows"] for entry in values.values()) == test[name].notna().sum()


def test_every_promised_response_is_drawn_and_holds(report: tuple[dict[str, object], str]) -> None:
    data, _ = report
    responses = data["responses"]
    assert isinstance(responses, dict)
    assert set(responses) == set(SCHEMA.monotone)
    for name, entry in responses.items():
        curves = np.asarray(entry["curves"])
        assert curves.shape[1] == len(entry["grid"])
        assert entry["monotone"], name
        assert (np.diff(curves, axis=1) * entry["direction"] >= -1e-9).all(), name


def test_the_page_is_small_and_self_contained(report: tuple[dict[str, object], str]) -> None:
    _, page = report
    assert len(page.encode()) <= MAX_BYTES
    assert "<script" not in page
    assert LINK.search(page) is None, LINK.search(page)
    for section in SECTIONS:
        assert f'<section id="{section}">' in page, section


def test_evaluate_writes_both_reports_for_the_served_model_or_the_candidate(settings: Settings) -> None:
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 0, result.output
    written = json.loads((settings.reports_dir / "evaluation.json").read_text())
    assert written["artifact"] == str(settings.artifact_path)
    assert (settings.reports_dir / "evaluation.html").stat().st_size > 0
    assert runner.invoke(app, ["evaluate", "--candidate"]).exit_code == 1  # none trained yet
    assert runner.invoke(app, ["train"]).exit_code == 0
    candidate = runner.invoke(app, ["evaluate", "--candidate"])
    assert candidate.exit_code == 0, candidate.output
    assert json.loads((settings.reports_dir / "evaluation.json").read_text())["artifact"] == str(
        settings.candidate_path
    )


def test_the_page_renders_in_a_browser(settings: Settings, tmp_path: Path) -> None:
    """Headless Chromium (Debian's `chromium` package) opens the file with the network off and
    shows every section, each chart drawn."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium here: apt-get install chromium")
    assert runner.invoke(app, ["evaluate"]).exit_code == 0
    page = settings.reports_dir / "evaluation.html"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"]
    result = subprocess.run(
        [*command, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = result.stdout
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom, section
    figures = dom.count("<svg")
    assert figures >= 3 + len(SCHEMA.monotone), figures
    assert TARGET.name in dom
    assert "BROKEN" not in dom
