"""`make bench` in a baked project: a quick run writes every metric and prints the table.

Benchmarks are not tests, so nothing here judges a number: the test checks that each metric was
measured (a positive, finite number), that each target got a verdict and that the run exits 0.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, find_python, run, tool

pytestmark = pytest.mark.slow

PYTHON_VERSION = "3.12"
# Every metric of reports/bench.json, by section (all must be positive numbers).
METRICS: dict[str, tuple[str, ...]] = {
    "online": (
        "predict.requests_per_s",
        "predict.p50_ms",
        "predict.p99_ms",
        "noop.requests_per_s",
        "noop.p50_ms",
        "noop.p99_ms",
        "ratio",
        "p99_over_p50",
    ),
    "batch": (
        "predict_rows_per_s",
        "io_floor_rows_per_s",
        "ratio",
        "peak_rss_mb",
        "large_peak_rss_mb",
        "rss_ratio",
    ),
    "decision": ("decide_evaluations_per_s", "raw_predict_evaluations_per_s", "ratio"),
}


def make_env() -> dict[str, str]:
    """The caller's environment with the template venv's `uv` first on PATH, no Python download."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join([str(Path(tool("uv")).parent), env.get("PATH", "")])
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def numbers(value: object, prefix: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield prefix, float(value)


@pytest.fixture(scope="module")
def project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk): `make bench` needs it")
    python = find_python(PYTHON_VERSION)
    if python is None:
        pytest.skip(f"no Python {PYTHON_VERSION} interpreter on this machine")
    project = tmp_path_factory.mktemp("bench") / "demand-model"
    shutil.copytree(bake(), project)
    run(["make", "install", f"PYTHON={python}"], cwd=project, env=make_env(), timeout=900)
    return project


def test_quick_bench_reports_every_metric(project: Path) -> None:
    started = time.monotonic()
    result = run(["make", "bench", "BENCH_ARGS=--quick"], cwd=project, env=make_env(), timeout=300)
    elapsed = time.monotonic() - started
    assert (project / "artifacts/model.zip").is_file(), "make bench trains when there is no model"

    report: dict[str, Any] = json.loads((project / "reports/bench.json").read_text())
    assert report["quick"] is True
    for section, names in METRICS.items():
        found = dict(numbers(report[section]))
        assert set(names) <= set(found), (section, sorted(set(names) - set(found)))
        for name, value in found.items():
            assert math.isfinite(value), (section, name, value)
            assert value > 0, (section, name, value)
    assert len(report["targets"]) == 5
    assert all(isinstance(check["pass"], bool) for check in report["targets"])

    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("benchmark  measured"))
    table = lines[first : first + 7]
    assert [line.split()[0] for line in table if not line.startswith(" ")] == [
        "benchmark",
        "---------",
        "online",
        "batch",
        "decision",
    ]
    assert sum(line.rstrip().endswith(("PASS", "MISS")) for line in table) == 5
    assert "targets met" in result.stdout
    print(f"make bench BENCH_ARGS=--quick: {elapsed:.0f}s")
