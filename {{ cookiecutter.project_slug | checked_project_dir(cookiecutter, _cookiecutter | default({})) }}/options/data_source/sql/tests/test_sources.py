"""The SQL source: a database's rows go through the parser a file's go through, so the data, the
model, the rejects and the messages are the same. Every test runs on the embedded SQLite; those
that take `database` run on a throwaway PostgreSQL server too (marked `postgres`: skipped where
its binaries are missing, required by `make test-postgres`)."""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import fingerprint, load_training_data, split
from {{ cookiecutter.module_name }}.model import train
from {{ cookiecutter.module_name }}.sources import URL_FILE_VARIABLE, URL_VARIABLE
from {{ cookiecutter.module_name }}.tables import read_chunks
from {{ cookiecutter.module_name }}.task_config import SAMPLE
from {{ cookiecutter.module_name }}.validation import INPUT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
TABLE = SAMPLE.data_path.stem  # what `make seed-db` names the sample's table
NUMBER = next(c for c in INPUT_COLUMNS if c.kind == "float" and c.minimum is not None)
DATA_PATH = f"{ENV_PREFIX}DATA_PATH"
runner = CliRunner()


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SEED = load_script("seed_db")


def error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server of its own, on a unix socket in a private folder, with a password."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or [Path(shutil.which("initdb") or "/-")]
    if not binaries[-1].is_file():
        message = "PostgreSQL's server binaries are missing (apt install postgresql)"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    bin_dir, folder = binaries[-1].parent, Path(tempfile.mkdtemp(prefix="pg-"))
    password = secrets.token_urlsafe(12)
    (folder / "password").write_text(password)
    as_owner: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: as its own user, then
        os.chown(folder, pwd.getpwnam("postgres").pw_uid, -1)
        os.chown(folder / "password", pwd.getpwnam("postgres").pw_uid, -1)
        as_owner = ["runuser", "-u", "postgres", "--"]

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=60)

    data = folder / "data"
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "prodml", "--auth=scram-sha-256", f"--pwfile={folder}/password")
    options = f"-k {folder} -c listen_addresses='' -F"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "30", "-l", str(folder / "log"), "start")
    try:
        yield f"postgresql+psycopg://prodml:{password}@/postgres?host={folder}"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def queries(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's queries, in the test's working directory (`settings` moved there), and no
    database URL from the environment."""
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    monkeypatch.delenv(URL_FILE_VARIABLE, raising=False)
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    return tmp_path / "sql"


@pytest.fixture
def sqlite(queries: Path, sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The embedded database, seeded with the sample as `make seed-db` seeds it."""
    url = f"sqlite:///{queries.parent / 'warehouse.db'}"
    monkeypatch.setenv(URL_VARIABLE, url)
    SEED.seed(url, sample_path, TABLE)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, queries: Path, sample_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sample in SQLite (as `sqlite`), and in PostgreSQL (a new table per test)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite"))
    url = str(request.getfixturevalue("postgres"))
    monkeypatch.setenv(URL_VARIABLE, url)
    SEED.seed(url, sample_path, TABLE, replace=True)
    return url


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def test_the_database_gives_the_files_data_and_the_same_model(
    database: str, project_settings: Settings, sample_path: Path, settings: Settings
) -> None:
    from_database = load_training_data(project_settings.data_path)  # the project's own query and parameters
    from_file = load_training_data(sample_path)
    pd.testing.assert_frame_equal(from_database, from_file, check_exact=True)
    assert fingerprint(from_database) == fingerprint(from_file)
    models = [train(split(frame, settings), alphas=settings.alphas[:2]) for frame in (from_database, from_file)]
    coefficients = [model.estimator.linear_form() for model in models]
    assert np.array_equal(coefficients[0].coef, coefficients[1].coef)
    assert coefficients[0].intercept == coefficients[1].intercept


def test_predict_scores_the_query_as_it_scores_the_file(
    database: str, settings: Settings, sample_path: Path, tmp_path: Path
) -> None:
    for source, output in (("sql:", "database.csv"), (str(sample_path), "file.csv")):
        result = runner.invoke(app, ["predict", "-i", source, "-o", str(tmp_path / output)])
        assert result.exit_code == 0, result.output
    # The same rows, values and scores; not byte for byte: SQLite stores -0.0 as 0.0.
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "database.csv"), pd.read_csv(tmp_path / "file.csv"), check_exact=True
    )


def test_a_bad_row_gets_the_reason_a_file_gives_it(
    database: str, settings: Settings, raw: pd.DataFrame, tmp_path: Path
) -> None:
    row = 7  # the 7th row of the query, the 7th data line of the file (line 8)
    order = [c.strip() for c in (ROOT / "sql/scoring.sql").read_text().split("ORDER BY")[-1].split(",")]
    wanted = raw.sort_values(order, kind="stable").iloc[row - 1]
    where = " AND ".join(f"{name} = '{wanted[name]}'" for name in order)
    execute(database, f"UPDATE {TABLE} SET {NUMBER.name} = -1 WHERE {where}")
    raw.assign(**{NUMBER.name: raw[NUMBER.name].where(raw.index != wanted.name, "-1")}).to_csv(
        tmp_path / "bad.csv", index=False
    )
    for source, output in (("sql:", "database.csv"), (str(tmp_path / "bad.csv"), "file.csv")):
        result = runner.invoke(app, ["predict", "-i", source, "-o", str(tmp_path / output)])
        assert result.exit_code == 0, result.output
    from_database = pd.read_csv(tmp_path / "database.rejects.csv")
    from_file = pd.read_csv(tmp_path / "file.rejects.csv")
    assert list(from_database["reason"]) == list(from_file["reason"]) == [f"{NUMBER.name}: {_out_of_range()}"]
    assert list(from_database["row"]) == [row]


def _out_of_range() -> str:
    return f"out of range: allowed {NUMBER.describe_bounds()}"


def test_text_in_a_number_column_is_rejected_as_in_a_file(sqlite: str, settings: Settings, tmp_path: Path) -> None:
    """SQLite lets a REAL column hold text: that column then reads as text, and only the bad value is refused."""
    execute(sqlite, f"UPDATE {TABLE} SET {NUMBER.name} = 'n/a' WHERE rowid = 3")
    result = runner.invoke(app, ["predict", "-i", "sql:", "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(tmp_path / "out.rejects.csv")["reason"]) == [f"{NUMBER.name}: not a number"]
    failed = runner.invoke(app, ["predict", "--fail-fast", "-i", "sql:", "-o", str(tmp_path / "stop.csv")])
    assert f"column '{NUMBER.name}': 1 row not a number (first at row " in failed.stderr
    assert not (tmp_path / "stop.csv").exists()


def test_rows_are_numbered_from_one_across_chunks(sqlite: str, raw: pd.DataFrame) -> None:
    chunks = list(read_chunks(Path("sql:"), 1000))
    assert [len(c.frame) for c in chunks[:-1]] == [1000] * (len(chunks) - 1)
    assert np.array_equal(pd.concat([c.frame for c in chunks]).index, np.arange(1, len(raw) + 1))


def test_a_query_without_a_required_column_is_one_line_naming_it(
    sqlite: str, queries: Path, settings: Settings
) -> None:
    kept = INPUT_COLUMNS[0].name
    (queries / "narrow.sql").write_text(f"SELECT {kept} FROM {TABLE}\n")
    result = runner.invoke(app, ["train"], env={DATA_PATH: "sql:narrow"})
    line = error_line(result)
    assert "sql:narrow lacks the required column(s) [" in line
    assert f"it has ['{kept}']" in line
    assert not settings.candidate_path.exists()
    assert not settings.reports_dir.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sql:training", "sql/training.sql needs a value for ['since', 'until']"),
        ("sql:scoring?since=2024-01-01", "sql/scoring.sql has no parameter ['since']"),
        ("sql:nowhere", "sql:nowhere: no query file sql/nowhere.sql (queries here: sql:scoring, sql:training)"),
        ("sql:../x", "a query name is letters, digits"),
        ("sql:postgresql://me:s3cret@db/x", f"put the database URL in the {URL_VARIABLE} environment variable"),
    ],
)
def test_a_bad_input_is_one_line(sqlite: str, settings: Settings, spec: str, message: str) -> None:
    line = error_line(runner.invoke(app, ["train"], env={DATA_PATH: spec}))
    assert message in line
    assert "s3cret" not in line
    assert not settings.candidate_path.exists()


def test_an_unreachable_database_is_one_line_with_the_password_masked(
    queries: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_VARIABLE, "postgresql+psycopg://me:s3cret@127.0.0.1:1/db?connect_timeout=5")
    line = error_line(runner.invoke(app, ["predict", "-i", "sql:", "-o", "out.csv"]))
    assert line.startswith("error: sql:scoring on postgresql+psycopg://me:***@127.0.0.1:1/db")
    assert "s3cret" not in line
    assert not Path("out.csv").exists()


def test_a_missing_embedded_database_is_not_created(queries: Path, settings: Settings) -> None:
    line = error_line(runner.invoke(app, ["train"], env={DATA_PATH: "sql:scoring"}))
    assert "no database at data/warehouse.db: run `make seed-db`" in line
    assert not Path("data").exists()


def test_a_password_in_a_tracked_file_is_refused(queries: Path, settings: Settings) -> None:
    secret = Path(".secrets/database_url")
    secret.parent.mkdir()
    secret.write_text("postgresql+psycopg://me:s3cret@db.example/x\n")
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "add", "--force", str(secret)], check=True)
    line = error_line(runner.invoke(app, ["predict", "-i", "sql:", "-o", "out.csv"]))
    assert f"{secret} holds a database password and git tracks it" in line
    assert f"keep the URL in {URL_VARIABLE}" in line
    assert "s3cret" not in line


def test_seeding_never_replaces_a_table_unless_asked(sqlite: str, sample_path: Path, raw: pd.DataFrame) -> None:
    execute(sqlite, f"DELETE FROM {TABLE} WHERE rowid > 10")
    assert "exists; left as it is" in SEED.seed(sqlite, sample_path, TABLE)
    assert sum(len(c.frame) for c in read_chunks(Path("sql:"), 1000)) == 10
    SEED.seed(sqlite, sample_path, TABLE, replace=True)
    assert sum(len(c.frame) for c in read_chunks(Path("sql:"), 1000)) == len(raw)
    assert not [p.name for p in Path(sqlite.removeprefix("sqlite:///")).parent.iterdir() if p.name.startswith(".")]


@pytest.mark.postgres
def test_wrong_credentials_are_one_line_and_write_nothing(postgres: str, queries: Path, settings: Settings) -> None:
    password = sa.make_url(postgres).password
    assert password
    wrong = postgres.replace(f":{password}@", ":not-the-password@")
    line = error_line(runner.invoke(app, ["train"], env={URL_VARIABLE: wrong, DATA_PATH: "sql:scoring"}))
    assert "postgresql+psycopg://prodml:***@/postgres" in line
    assert "password authentication failed" in line
    assert "not-the-password" not in line
    assert not settings.candidate_path.exists()
