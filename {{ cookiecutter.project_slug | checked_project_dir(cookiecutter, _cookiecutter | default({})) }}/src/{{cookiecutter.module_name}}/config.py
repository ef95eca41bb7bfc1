"""Typed settings with defaults that work out of the box.

Precedence, highest first: arguments in code, environment variables
(`{{ cookiecutter.module_name | upper }}_<FIELD>`, e.g. `{{ cookiecutter.module_name | upper }}_TEST_PERIODS=8`), the TOML
config file (`config.toml` in the working directory, or the path in
`{{ cookiecutter.module_name | upper }}_CONFIG_FILE`), then the defaults below. Relative paths are
relative to the working directory, which is the project root for every `make` target.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .contract import Period
from .task_config import SAMPLE, TaskSettings

ENV_PREFIX = "{{ cookiecutter.module_name | upper }}_"
#: Variables with the prefix that are not settings themselves.
_OTHER_VARIABLES = {f"{ENV_PREFIX}CONFIG_FILE"}

Penalty = Annotated[float, Field(ge=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
DriftMetric = Literal["psi", "wasserstein", "ks", "cohen_w", "unseen", "performance"]


class Settings(TaskSettings):
    """Every knob of the project: the shared ones below, and the task's (`task_config`)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    # Where things live.
    data_path: Path = SAMPLE.data_path
    artifact_path: Path = Path("artifacts/model.zip")
    reports_dir: Path = Path("reports")

    # The split. With a time column, the last `test_periods` periods (days, weeks, ...) are held
    # out for the final report and the `validation_periods` before them choose the L2 penalty
    # among `alphas`; without one, seeded random fractions of the rows are.
    split_period: Period = SAMPLE.split_period
    validation_periods: int = Field(default=SAMPLE.validation_periods, ge=1)
    test_periods: int = Field(default=SAMPLE.test_periods, ge=1)
    validation_fraction: float = Field(default=0.15, gt=0, lt=0.5)
    test_fraction: float = Field(default=0.15, gt=0, lt=0.5)
    split_seed: int = 0
    alphas: tuple[Penalty, ...] = Field(default=(0.0, 0.1, 1.0, 10.0), min_length=1)
    # Fewer rows than this in the train, validation or test part stops training: metrics from
    # a handful of rows mean nothing, and so few usually means a stray date.
    min_split_rows: int = Field(default=30, ge=1)

    # Promotion: `train` writes the candidate; `promote` serves it only when, on the test part,
    # its selection metric is at least `promotion_min_gain` (a fraction) below the baseline's,
    # and it is worse than the served model by less than `promotion_tolerance` (a fraction of the
    # served model's error; the upper 95% bound of a paired bootstrap with `promotion_replicates`
    # draws). A tolerance of 0 or less promotes only a candidate significantly better; too small a
    # tolerance rejects many retrains as good as the served model, by chance (1% did, on the sample).
    candidate_path: Path = Path("artifacts/candidate.zip")
    promotion_min_gain: float = Field(default=0.02, ge=0, lt=1)
    promotion_tolerance: float = Field(default=0.02, gt=-1, lt=1)
    promotion_replicates: int = Field(default=2000, ge=100, le=100_000)

    # Monitoring (`monitor`): the prediction log in windows of `monitor_window` (e.g. "P1D",
    # "PT6H"), each with at least `monitor_min_rows` records to be judged (fewer, and sampling noise
    # alone crosses the thresholds: lengthen the window rather than lower this); moderate drift alerts
    # when found in `monitor_breaches` of a signal's last `monitor_windows` windows, critical drift
    # at once. `monitor_thresholds` overrides (moderate, critical) per metric, e.g.
    # {"psi": [0.15, 0.3]}; see `monitor.DEFAULT_THRESHOLDS` for the others.
    monitor_window: timedelta = Field(default=timedelta(days=1), gt=timedelta(0))
    monitor_min_rows: int = Field(default=1000, ge=1)
    monitor_breaches: int = Field(default=2, ge=1)
    monitor_windows: int = Field(default=3, ge=1)
    monitor_thresholds: dict[DriftMetric, tuple[NonNegative, NonNegative]] = Field(default_factory=dict)

    # Serving and batch scoring.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_records: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Requests with a body in progress at once, per worker; more get 503 + Retry-After at once
    # (load shedding), which keeps the health probes fast under overload.
    max_concurrent_requests: int = Field(default=32, ge=1)
    # A client that stops sending its request body for this long gets 408 (frees the connection).
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Idle keep-alive connections are closed after this long (uvicorn's timeout_keep_alive).
    keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    log_level: str = "INFO"
    # The prediction log (`predlog`): what /predict and `predict` scored, for `monitor`. Each
    # request (API) or row (batch) is kept with probability `prediction_log_sample`; the API
    # writes a file every `prediction_log_flush_seconds` and drops (and counts in /metrics)
    # records beyond `prediction_log_max_pending` requests waiting to be written.
    prediction_log: bool = True
    prediction_log_dir: Path = Path("logs/predictions")
    prediction_log_sample: float = Field(default=1.0, gt=0, le=1)
    prediction_log_flush_seconds: float = Field(default=60.0, gt=0, le=3600)
    prediction_log_max_pending: int = Field(default=10_000, ge=1)
    batch_chunk_rows: int = Field(default=100_000, ge=1)
    # What computes predictions: "numpy" (a linear model's coefficients), "onnx" (the ONNX graph
    # on onnxruntime), "scikit-learn" (the estimator itself: needs the `train` dependency group,
    # which the image lacks) or "auto", the first of these the artifact holds.
    inference_backend: Literal["auto", "numpy", "onnx", "scikit-learn"] = "auto"
    # Sign artifacts when training and require the signature when loading (HMAC-SHA256).
    # Only a key protects against a deliberately forged artifact; see the README.
    artifact_key: SecretStr | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        for metric, (moderate, critical) in self.monitor_thresholds.items():
            if moderate > critical:
                raise ValueError(f"monitor_thresholds.{metric}: moderate {moderate} is above critical {critical}")
        if self.monitor_breaches > self.monitor_windows:
            raise ValueError(f"monitor_breaches={self.monitor_breaches} exceeds monitor_windows={self.monitor_windows}")
        return self

    def signing_key(self) -> bytes | None:
        """The artifact key as bytes, or None when artifacts are not signed."""
        return None if self.artifact_key is None else self.artifact_key.get_secret_value().encode()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        _refuse_unknown_variables(set(cls.model_fields))
        config_file = Path(os.environ.get(f"{ENV_PREFIX}CONFIG_FILE", "config.toml"))
        if f"{ENV_PREFIX}CONFIG_FILE" in os.environ and not config_file.is_file():
            raise FileNotFoundError(f"{ENV_PREFIX}CONFIG_FILE points to {config_file}, which does not exist")
        try:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{config_file} is not valid TOML: {error}") from error
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"{config_file} cannot be read: {error}") from error
        return init_settings, env_settings, toml


def describe_invalid(error: ValidationError) -> str:
    """Settings that fail their checks as one line: each setting, the value given, where it can
    be set, and what is allowed (pydantic's own message spans several lines per setting)."""
    problems = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        where = f" ({ENV_PREFIX}{name.upper()} or config.toml)" if name else ""
        problems.append(f"setting {name or 'value'} = {problem['input']!r}{where}: {problem['msg']}")
    return "; ".join(problems)


def _refuse_unknown_variables(fields: set[str]) -> None:
    """A misspelt variable would otherwise be ignored in silence, and its value with it."""
    known = {f"{ENV_PREFIX}{name}".upper() for name in fields} | _OTHER_VARIABLES
    for variable in sorted(os.environ):
        if variable.upper().startswith(ENV_PREFIX) and variable.upper() not in known:
            closest = difflib.get_close_matches(variable.upper(), sorted(known), n=1)
            hint = f"did you mean {closest[0]}?" if closest else f"valid ones: {', '.join(sorted(known))}"
            raise ValueError(f"unknown environment variable {variable}: {hint}")
