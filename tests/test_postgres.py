"""The PostgreSQL lane (`make test-postgres`, run by .ci/run): a project made with
`data_source=sql` trains on the first try from its embedded SQLite (`make install` seeds it),
and its own `postgres` tests pass on a throwaway server of their own: the same data fingerprint
and coefficients as the CSV file, the same scores and reject reasons, wrong credentials as one
line. Needs PostgreSQL's server binaries (`.ci/run` installs the Debian package)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import Bake, make_env, run, run_lane

pytestmark = pytest.mark.postgres


def test_the_sql_source_trains_at_once_and_matches_on_postgres(bake: Bake, tmp_path: Path) -> None:
    debian = list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not debian and shutil.which("initdb") is None:
        pytest.fail("no PostgreSQL server binaries: the lane needs them (apt install postgresql)")
    project = tmp_path / "sql" / "demand-model"
    shutil.copytree(bake(data_source="sql"), project)
    run(["make", "install"], cwd=project, env=make_env(), timeout=900)
    assert (project / "data/warehouse.db").is_file(), "make install seeds the embedded database"
    trained = run(["make", "train"], cwd=project, env=make_env(), timeout=300)
    made = re.search(r"train: [\d,]+ rows -> artifacts/candidate\.zip", trained.stdout)
    assert made, trained.stdout
    again = run(["make", "install"], cwd=project, env=make_env(), timeout=300)
    assert "seed_db" not in again.stdout, "an existing database is left as it is"
    run_lane(project, "test-postgres", at_least=4)
