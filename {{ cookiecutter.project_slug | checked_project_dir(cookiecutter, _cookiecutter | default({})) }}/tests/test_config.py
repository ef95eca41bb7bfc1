from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)


def test_defaults_work_out_of_the_box() -> None:
    settings = Settings()
    assert settings.artifact_path == Path("artifacts/model.zip")
    assert settings.inference_backend == "auto"


@pytest.mark.parametrize(("name", "value"), [("SPLIT_PERIOD", "fortnight"), ("TEST_FRACTION", "0.7")])
def test_split_settings_are_bounded(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}{name}", value)
    with pytest.raises(pydantic.ValidationError, match=name.lower()):
        Settings()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}TEST_PERIODS", "28")
    monkeypatch.setenv(f"{ENV_PREFIX}ALPHAS", "[0.5, 2]")
    settings = Settings()
    assert settings.test_periods == 28
    assert settings.alphas == (0.5, 2.0)


def test_config_file_overrides_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('test_periods = 14\nvalidation_periods = 21\nreports_dir = "out"\n')
    monkeypatch.setenv(f"{ENV_PREFIX}TEST_PERIODS", "7")
    settings = Settings()
    assert (settings.test_periods, settings.validation_periods, settings.reports_dir) == (7, 21, Path("out"))


def test_config_file_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text("port = 9000\n")
    monkeypatch.setenv(f"{ENV_PREFIX}CONFIG_FILE", str(tmp_path / "prod.toml"))
    assert Settings().port == 9000
    monkeypatch.setenv(f"{ENV_PREFIX}CONFIG_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(FileNotFoundError, match=r"absent\.toml, which does not exist"):
        Settings()


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}TEST_PERIODS", "0")
    with pytest.raises(pydantic.ValidationError, match="test_periods"):
        Settings()


def test_unknown_keys_in_the_config_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("tets_days = 14\n")
    with pytest.raises(pydantic.ValidationError, match="tets_days"):
        Settings()


@pytest.mark.parametrize("alphas", ["[-1.0]", '["NaN"]', '["Infinity"]', "[]"])
def test_penalties_are_bounded(monkeypatch: pytest.MonkeyPatch, alphas: str) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ALPHAS", alphas)
    with pytest.raises(pydantic.ValidationError, match="alphas"):
        Settings()


def test_a_misspelt_variable_is_refused_naming_the_closest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}TEST_PERIODZ", "5")
    with pytest.raises(
        ValueError,
        match=f"unknown environment variable {ENV_PREFIX}TEST_PERIODZ: did you mean {ENV_PREFIX}TEST_PERIODS",
    ):
        Settings()


@pytest.mark.parametrize(
    ("content", "cause"), [("test_periods = \n", "is not valid TOML.*line 1"), (b"\xff\xfe", "cannot be read")]
)
def test_an_unreadable_config_file_is_named(tmp_path: Path, content: str | bytes, cause: str) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=f"config.toml {cause}"):
        Settings()
