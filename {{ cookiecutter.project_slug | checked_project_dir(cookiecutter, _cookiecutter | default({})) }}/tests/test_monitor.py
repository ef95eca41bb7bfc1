"""`monitor`: drift caught when it is there, silence when it is not, errors seen once labels come.

The traffic is the project's own data, drawn at random (`data.resample`) and, for drift, moved
by half a standard deviation on one input (`data.shift`): no test here knows the sample.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from {{ cookiecutter.module_name }}.artifact import read_metadata, read_profile
from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import TARGET, Split, resample, shift
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.monitor import PERFORMANCE, Rules, judge, watch
from {{ cookiecutter.module_name }}.predlog import PARTITION, Scored, log_table, write_log
from {{ cookiecutter.module_name }}.profile import MONITORED

runner = CliRunner()
START = datetime(2030, 1, 1, tzinfo=UTC)
WINDOW_ROWS = 1000


def drifting_input(history: pd.DataFrame) -> str:
    """The numeric input with the most distinct values: the one a shift moves most plainly."""
    numbers = [c.name for c in MONITORED if c.numeric]
    if not numbers:
        pytest.skip("the schema has no numeric input to shift")
    return max(numbers, key=lambda name: history[name].nunique())


def scored(model: TrainedModel, rows: pd.DataFrame, when: datetime, version: str | None = None) -> Scored:
    columns = columns_from_frame(rows)
    return Scored(columns, model.predict(columns), version or model.version, "test", when.timestamp())


def as_log(batches: list[Scored]) -> pd.DataFrame:
    """Records as `monitor` reads them from the log files."""
    frame: pd.DataFrame = log_table(batches, "batch").to_pandas(date_as_object=False)
    return frame


@pytest.fixture(scope="module")
def reference(artifact: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return read_profile(artifact), read_metadata(artifact)


@pytest.mark.statistical
def test_half_a_standard_deviation_of_drift_is_flagged_in_95_of_100_windows(
    model: TrainedModel, split_parts: Split, reference: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    history = split_parts.history
    name = drifting_input(history)
    flagged = 0
    for seed in range(100):
        window = shift(resample(history, WINDOW_ROWS, seed), {name: 0.5})
        report = watch(as_log([scored(model, window, START)]), *reference, Rules())
        flagged += report["windows"][0]["signals"][name]["level"] != "ok"
    assert flagged >= 95, f"{name} +0.5 sd flagged in {flagged} of 100 windows"


@pytest.mark.statistical
def test_without_drift_at_most_1_percent_of_windows_alert(
    model: TrainedModel, split_parts: Split, reference: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    batches = [
        scored(model, resample(split_parts.history, WINDOW_ROWS, seed), START + timedelta(days=seed))
        for seed in range(100)
    ]
    report = watch(as_log(batches), *reference, Rules())
    statuses = [w["status"] for w in report["windows"]]
    assert len(statuses) == 100
    alerts = [w["alerts"] for w in report["windows"] if w["status"] == "alert"]
    assert len(alerts) <= 1, alerts


def test_a_degraded_model_raises_a_performance_alert_within_two_windows(
    model: TrainedModel, split_parts: Split, reference: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Labels from a broken relation (each window's outcomes shuffled among its rows): the
    inputs do not drift, the errors do."""
    rng = np.random.default_rng(0)
    windows, truth = [], []
    order = rng.permutation(len(split_parts.test))
    for day, part in enumerate(np.array_split(order, 4)):  # disjoint rows: a label belongs to one window
        rows = split_parts.test.iloc[np.sort(part)]
        if day >= 2:  # the relation breaks from the third window on
            rows = rows.assign(**{TARGET.name: rng.permutation(rows[TARGET.name].to_numpy())})
        windows.append(scored(model, rows, START + timedelta(days=day)))
        truth.append(rows)
    rules = Rules(min_rows=min(len(rows) for rows in truth))
    report = watch(as_log(windows), *reference, rules, labels=pd.concat(truth))
    performance = [w["signals"][PERFORMANCE] for w in report["windows"]]
    assert [PERFORMANCE in w["alerts"] for w in report["windows"][:2]] == [False, False], performance[:2]
    assert any(PERFORMANCE in w["alerts"] for w in report["windows"][2:4]), performance[2:]
    assert report["labels"]["unmatched"] == 0


def signal_windows(levels: list[str]) -> list[dict[str, Any]]:
    return [{"rows": 1000, "signals": {"x": {"level": level}}} for level in levels]


@pytest.mark.parametrize(
    ("levels", "statuses"),
    [
        (["moderate", "ok", "ok", "moderate"], ["watch", "ok", "ok", "watch"]),  # never persists
        (["ok", "moderate", "moderate"], ["ok", "watch", "alert"]),  # 2 of the last 3
        (["moderate", "ok", "moderate"], ["watch", "ok", "alert"]),
        (["ok", "critical", "ok"], ["ok", "alert", "ok"]),  # at once, from one window
    ],
)
def test_moderate_drift_alerts_only_when_it_persists(levels: list[str], statuses: list[str]) -> None:
    windows = signal_windows(levels)
    judge(windows, Rules(breaches=2, windows=3))
    assert [w["status"] for w in windows] == statuses


def test_small_windows_are_insufficient_not_alerts(
    model: TrainedModel, split_parts: Split, reference: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    name = drifting_input(split_parts.history)
    window = shift(resample(split_parts.history, 50, 0), {name: 3.0})
    report = watch(as_log([scored(model, window, START)]), *reference, Rules())
    assert [w["status"] for w in report["windows"]] == ["insufficient"]
    assert report["status"] == "insufficient"


def test_other_model_versions_are_counted_apart(
    model: TrainedModel, split_parts: Split, reference: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    rows = resample(split_parts.history, WINDOW_ROWS, 0)
    log = as_log([scored(model, rows, START), scored(model, rows.head(10), START, "0.0.1+older")])
    report = watch(log, *reference, Rules())
    assert report["rows"] == WINDOW_ROWS
    assert report["other_versions"] == {"0.0.1+older": 10}


def write_traffic(settings: Settings, model: TrainedModel, frame: pd.DataFrame, when: datetime) -> Path:
    path = settings.prediction_log_dir / f"{PARTITION}={when:%Y-%m-%d}" / f"api-{when:%H%M%S}.parquet"
    write_log(log_table([scored(model, frame, when)], "api"), path)
    return path


def run_monitor(settings: Settings, *arguments: str) -> tuple[int, str, dict[str, Any]]:
    result = runner.invoke(app, ["monitor", "--since", "2030-01-01", *arguments])
    report = settings.reports_dir / "monitoring.json"
    return result.exit_code, result.output, json.loads(report.read_text()) if report.exists() else {}


def test_the_command_flags_drifted_traffic_and_not_normal_traffic(
    settings: Settings, model: TrainedModel, split_parts: Split
) -> None:
    history = split_parts.history
    write_traffic(settings, model, resample(history, WINDOW_ROWS, 0), START)
    code, output, report = run_monitor(settings)
    assert code == 0, output
    assert output.startswith("monitor: ok: model ")
    name = drifting_input(history)
    write_traffic(settings, model, shift(resample(history, WINDOW_ROWS, 1), {name: 0.5}), START + timedelta(days=1))
    code, output, report = run_monitor(settings)
    assert code == 1, output
    assert name in report["windows"][-1]["alerts"]
    html = (settings.reports_dir / "monitoring.html").read_text()
    assert "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert f"{name}: " in html
    gauges = {f.name: f for f in text_string_to_metric_families((settings.reports_dir / "monitoring.prom").read_text())}
    assert gauges["model_monitor_status"].samples[0].value == 1
    alerting = {s.labels["signal"] for s in gauges["model_drift_alert"].samples if s.value == 1}
    assert name in alerting


def test_unreadable_and_foreign_log_files_are_skipped_by_name(
    settings: Settings, model: TrainedModel, split_parts: Split
) -> None:
    good = write_traffic(settings, model, resample(split_parts.history, WINDOW_ROWS, 0), START)
    corrupt = good.with_name("api-cut-short.parquet")
    corrupt.write_bytes(good.read_bytes()[:100])
    foreign = good.with_name("api-other-schema.parquet")
    pd.DataFrame({"x": [1.0]}).to_parquet(foreign)
    code, output, report = run_monitor(settings)
    assert code == 0, output
    assert report["rows"] == WINDOW_ROWS
    skipped = "\n".join(report["skipped_files"])
    assert f"{corrupt}: cannot be read" in skipped
    assert f"{foreign}: another schema" in skipped
    assert str(corrupt) in output  # the warning names it


def test_labels_that_match_no_record_are_counted(
    settings: Settings, model: TrainedModel, split_parts: Split, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}MONITOR_MIN_ROWS", "1")
    rows = resample(split_parts.test, WINDOW_ROWS, 0).drop_duplicates()
    write_traffic(settings, model, rows, START)
    labels = tmp_path / "labels.csv"
    unknown = split_parts.history.head(7)
    pd.concat([rows, unknown]).to_csv(labels, index=False)
    code, output, report = run_monitor(settings, "--labels", str(labels))
    assert code in (0, 1), output
    assert report["labels"] == {"rows": len(rows) + len(unknown), "unmatched": len(unknown)}


def test_no_records_is_exit_2_and_a_bad_setting_too(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output, _ = run_monitor(settings)
    assert code == 2, output
    assert output.startswith("monitor: insufficient: ")
    monkeypatch.setenv(f"{ENV_PREFIX}MONITOR_THRESHOLDS", '{"psi": [0.3, 0.1]}')
    code, output, _ = run_monitor(settings)
    assert code == 2
    assert "monitor_thresholds.psi: moderate 0.3 is above critical 0.1" in output
