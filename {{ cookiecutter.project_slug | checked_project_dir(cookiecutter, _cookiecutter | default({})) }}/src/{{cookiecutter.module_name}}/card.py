"""The model card: what the trained model is for, what it saw, how good it is, what it promises.

`promote` writes it beside the served artifact (`MODEL_CARD.md`) from the metadata `train` stored and the bytes
alone, so it never says more than the artifact holds and any artifact can have one. Its YAML
front matter is a Hugging Face model card's (`huggingface_hub.ModelCard.load` reads it), so a
model registry can index it.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageMetadata
from importlib.metadata import metadata as distribution
from typing import Any

from . import __summary__
from .contract import Column
from .schema import SCHEMA
from .task_config import DECISION, DECISION_HELP, TASK_TAGS

#: The file name, beside the artifact.
CARD_NAME = "MODEL_CARD.md"
#: License expressions that Hugging Face names otherwise.
_LICENSES = {"LicenseRef-Proprietary": "other"}


def render(meta: dict[str, Any], artifact_sha256: str) -> str:
    """The card, in Markdown with YAML front matter, for an artifact's metadata and sha256."""
    about = distribution(__package__)
    parts = [
        _front_matter(about),
        f"# Model card: {about['Name']} {meta['model_version']}",
        _intended_use(),
        _training_data(meta),
        _inputs(meta),
        _metrics(meta),
        _guarantees(),
        _limitations(meta),
        _artifact(meta, artifact_sha256),
    ]
    return "\n\n".join(parts) + "\n"


def _front_matter(about: PackageMetadata) -> str:
    license_name = str((about.get_all("License-Expression") or ["other"])[0])
    fields = {
        "license": _LICENSES.get(license_name, license_name.lower()),
        "library_name": "sklearn",
        "tags": [*TASK_TAGS, "monotonic-constraints"],
        "model_name": about["Name"],
    }
    return "---\n" + "".join(f"{key}: {json.dumps(value)}\n" for key, value in fields.items()) + "---"


def _intended_use() -> str:
    target = SCHEMA.target
    return (
        f"## Intended use\n\n{__summary__}\n\n"
        f"For each record of the inputs below, the model predicts `{target.name}` "
        f"({target.description.rstrip('.')}). The `{DECISION}` command and route turn predictions into "
        f"decisions. {DECISION_HELP}\n\n"
        "It is meant for records like its training data: the same population, and inputs within the ranges "
        "it saw (below)."
    )


def _training_data(meta: dict[str, Any]) -> str:
    rows = meta["rows"]
    periods = meta.get("periods", {})
    lines = ["## Training data", "", "| part | rows | first | last |", "|---|---:|---|---|"]
    for part in ("train", "validation", "test"):
        first, last = periods.get(part, ["-", "-"])
        lines.append(f"| {part} | {rows[part]:,} | {first} | {last} |")
    lines += ["", f"Data fingerprint (sha256 of the rows): `{meta['data_fingerprint']}`."]
    return "\n".join(lines)


def _inputs(meta: dict[str, Any]) -> str:
    lines = [
        "## Inputs",
        "",
        "| input | kind | description | allowed | seen in training | missing |",
        "|---|---|---|---|---|---:|",
    ]
    for column in SCHEMA.request:
        seen = meta["inputs_seen"].get(column.name, {})
        lines.append(
            f"| `{column.name}` | {column.kind} | {column.description} | {_allowed(column)} | {_seen(seen)} "
            f"| {seen.get('missing', 0.0):.1%} |"
        )
    return "\n".join(lines)


def _allowed(column: Column) -> str:
    if column.allowed is not None:
        return ", ".join(column.allowed)
    return column.describe_bounds()


def _seen(seen: dict[str, Any]) -> str:
    if "values" in seen:
        more = f" (of {seen['distinct']})" if seen["distinct"] > len(seen["values"]) else ""
        return ", ".join(seen["values"]) + more
    low, high = seen.get("min"), seen.get("max")
    return f"{_number(low)} to {_number(high)}" if low is not None else "-"


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _metrics(meta: dict[str, Any]) -> str:
    test = meta["metrics"]["test"]
    lines = [
        "## Metrics",
        "",
        "On the held-out test part, against the naive baseline the model must beat:",
        "",
        "| metric | model | baseline |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {value:.4g} | {test['baseline'][name]:.4g} |" for name, value in test["model"].items()]
    return "\n".join(lines)


def _guarantees() -> str:
    promises = [
        f"- the prediction never {'rises' if direction < 0 else 'falls'} when `{name}` rises, all else fixed;"
        for name, direction in sorted(SCHEMA.monotone.items())
    ]
    if not promises:
        return "## Guarantees\n\nThe schema declares no monotone input: no direction is promised."
    return "\n".join(
        [
            "## Guarantees",
            "",
            *promises,
            "",
            "How they are enforced: the estimator is fitted under sign constraints on the features these "
            "inputs feed (`monotonic_cst`); loading the artifact refuses served coefficients with the wrong sign "
            "(a proof for every input), a graph that moves the wrong way on probe rows, and an estimator fitted "
            "under other constraints; the project's tests check each promise over a wide grid of values. Every "
            "prediction is finite and within the target's declared bounds.",
        ]
    )


def _limitations(meta: dict[str, Any]) -> str:
    periods = meta.get("periods", {})
    span = f" from {periods['train'][0]} to {periods['test'][1]}" if periods else ""
    return (
        "## Limitations\n\n"
        f"- It learned from {sum(meta['rows'].values()):,} rows{span}: a population or a period unlike "
        "those can behave differently, and inputs beyond the ranges seen are extrapolated.\n"
        "- The metrics come from the test part alone; watch them on live data (labels, drift).\n"
        "- The guarantees hold for the declared inputs, one at a time, all else fixed; they say nothing of "
        "how inputs move together."
    )


def _artifact(meta: dict[str, Any], artifact_sha256: str) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in sorted(meta["library_versions"].items()))
    return (
        "## Artifact\n\n"
        f"- sha256: `{artifact_sha256}`\n"
        f"- model version: `{meta['model_version']}`, trained at {meta['trained_at']} by package version "
        f"{meta['package_version']} (artifact format {meta['artifact_format']})\n"
        f"- libraries: {versions}"
    )
