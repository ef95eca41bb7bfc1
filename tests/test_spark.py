"""The Spark lane (`make test-spark`, run by .ci/run): a project made with `batch_engine=spark`
installs its spark group and passes its own Spark tests, which compare Spark's scores and rejects
with pandas' on classic Spark and on Spark Connect. Needs Java 17 or 21 (`.ci/run` installs it)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import Bake, make_env, run

pytestmark = pytest.mark.spark


def test_the_spark_engine_matches_pandas(bake: Bake, tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.fail("no java on PATH: the Spark lane needs Java 17 or 21 (.ci/run installs it)")
    project = tmp_path / "spark" / "demand-model"
    shutil.copytree(bake(batch_engine="spark"), project)
    run(["make", "install-spark"], cwd=project, env=make_env(), timeout=900)
    started = time.monotonic()
    result = run(["make", "test-spark"], cwd=project, env=make_env(), timeout=600)
    elapsed = time.monotonic() - started
    summary = [line for line in result.stdout.splitlines() if re.search(r" in [\d.]+s", line)][-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed, summary
    assert int(passed[1]) >= 7, summary
    assert not re.search(r"failed|skipped|error", summary), summary
    print(f"make test-spark: {summary} ({elapsed:.0f}s)")
