"""Experiment tracking with MLflow: each `train` is a run, each promotion moves the `champion` alias.

- **Where**: the tracking URI in `MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db` in the working
  directory (artifacts under `mlruns/`; git ignores both). A tracking server works the same way:
  `MLFLOW_TRACKING_URI=https://mlflow.example.com` (its credentials in `MLFLOW_TRACKING_USERNAME`
  and `MLFLOW_TRACKING_PASSWORD`, never in a file). The experiment is `MLFLOW_EXPERIMENT_NAME`,
  else the project's name.
- **What `train` logs**: the settings as parameters (secrets left out), the test metrics of the
  model and of the baseline, the data's fingerprint and the model version as tags, and as
  artifacts the evaluation report (`evaluation.json`, `evaluation.html`), the model card and the
  candidate itself (`model/candidate.zip`), registered as a new version of the registered model
  named after the project.
- **What `promote` does**: the `champion` alias moves to the version it served.

Only `train` and `promote` load MLflow: serving, batch scoring and the image never import it
(MLflow is in the `tracking` dependency group, which the image does not install).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from .config import Settings
    from .data import Split
    from .tracking import Tracker

#: The default store, in the working directory (the project root, for `make`).
DEFAULT_STORE = Path("mlflow.db")
#: The registered model's name and the default experiment: the project's.
NAME = "{{ cookiecutter.project_slug }}"
CHAMPION = "champion"


class TrackingError(ValueError):
    """MLflow could not record; the message names the store (credentials masked) and what was kept."""


def tracking_uri() -> str:
    """`MLFLOW_TRACKING_URI`, else the SQLite file `DEFAULT_STORE` by its absolute path (MLflow
    keeps one store per URI in a process: a relative one would stay where it was first opened)."""
    return os.environ.get("MLFLOW_TRACKING_URI", "").strip() or f"sqlite:///{DEFAULT_STORE.resolve()}"


def masked(uri: str) -> str:
    """The URI with any password in it replaced by ***."""
    return re.sub(r"(://[^/:@\s]*:)[^/@\s]+@", r"\1***@", uri)


def flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dictionaries as one, keys joined by '/': MLflow's UI groups metrics by those prefixes."""
    found: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        found |= flat(value, name) if isinstance(value, dict) else {name: value}
    return found


def parameters(settings: Settings) -> dict[str, str]:
    """Every setting as MLflow takes a parameter (text), but secrets (the artifact's signing key),
    set or not."""
    from pydantic import SecretStr

    fields = type(settings).model_fields
    secret = {name for name, field in fields.items() if SecretStr in (field.annotation, *get_args(field.annotation))}
    return {name: str(value) for name, value in dict(settings).items() if name not in secret}


class MlflowTracker:
    """The tracker of this project (see the module docstring)."""

    def trained(self, settings: Settings, candidate: Path, parts: Split) -> str:
        from .artifact import load
        from .card import render
        from .evaluation import evaluation

        model = load(candidate, backend=settings.inference_backend, key=settings.signing_key())
        report, page = evaluation(model, parts)
        card = render(model.metadata, hashlib.sha256(candidate.read_bytes()).hexdigest())
        with _store(f"the candidate is saved at {candidate}; run `train` again to record it") as mlflow:
            mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or NAME)
            with mlflow.start_run(run_name=model.version) as run:
                mlflow.log_params(parameters(settings))
                numbers = flat(report["test"])
                mlflow.log_metrics({k: float(v) for k, v in numbers.items() if isinstance(v, int | float)})
                mlflow.set_tags({"model_version": model.version, "data_fingerprint": parts.fingerprint()})
                mlflow.log_dict(report, "evaluation.json")
                mlflow.log_text(page, "evaluation.html")
                mlflow.log_text(card, "MODEL_CARD.md")
                mlflow.log_artifact(str(candidate), "model")
                client = mlflow.MlflowClient()
                if not client.search_registered_models(filter_string=f"name = '{NAME}'"):
                    client.create_registered_model(NAME)
                registered = client.create_model_version(
                    NAME, mlflow.get_artifact_uri("model"), run.info.run_id, tags={"model_version": model.version}
                )
        return f"mlflow: run {run.info.run_id} at {masked(tracking_uri())}; {NAME} version {registered.version}"

    def promoted(self, settings: Settings, version: str) -> str:
        kept = f"{settings.artifact_path} serves model {version}; run `promote` again to move the alias"
        with _store(kept) as mlflow:
            client = mlflow.MlflowClient()
            found = client.search_model_versions(f"name = '{NAME}' and tags.model_version = '{version}'")
            if not found:
                return f"mlflow: no version of {NAME} holds model {version} (trained before tracking?): no alias moved"
            chosen = max(found, key=lambda registered: int(registered.version))
            client.set_registered_model_alias(NAME, CHAMPION, chosen.version)
        return f"mlflow: {NAME} version {chosen.version} is @{CHAMPION} at {masked(tracking_uri())}"


@contextmanager
def _store(kept: str) -> Iterator[Any]:
    """MLflow, pointed at the tracking URI, its own logs quiet; its errors become one TrackingError
    naming the store and saying what was `kept`."""
    import mlflow
    from mlflow.exceptions import MlflowException

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri())
    try:
        yield mlflow
    except (MlflowException, OSError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise TrackingError(f"mlflow at {masked(tracking_uri())}: {masked(reason)}; {kept}") from None


TRACKERS: tuple[Tracker, ...] = (MlflowTracker(),)
