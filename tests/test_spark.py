"""The Spark lane (`make test-spark`, run by .ci/run): a project made with `batch_engine=spark`
installs its spark group and passes its own Spark tests, which compare Spark's scores and rejects
with pandas' on classic Spark and on Spark Connect. Needs Java 17 or 21 (`.ci/run` installs it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Bake, make_env, run, run_lane

pytestmark = pytest.mark.spark


def test_the_spark_engine_matches_pandas(bake: Bake, tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.fail("no java on PATH: the Spark lane needs Java 17 or 21 (.ci/run installs it)")
    project = tmp_path / "spark" / "demand-model"
    shutil.copytree(bake(batch_engine="spark"), project)
    run(["make", "install-spark"], cwd=project, env=make_env(), timeout=900)
    run_lane(project, "test-spark", at_least=7)
