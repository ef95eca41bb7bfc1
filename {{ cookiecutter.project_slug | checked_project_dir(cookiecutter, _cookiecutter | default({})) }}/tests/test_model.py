from __future__ import annotations

import copy
import hashlib
import json
import operator
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from {{ cookiecutter.module_name }} import __version__
from {{ cookiecutter.module_name }}.artifact import MAX_MEMBER_BYTES, ArtifactError, Backend, content_digest, load, save
from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.data import Split
from {{ cookiecutter.module_name }}.estimator import ESTIMATOR
from {{ cookiecutter.module_name }}.features import FEATURE_NAMES, build_features, monotonic_constraints
from {{ cookiecutter.module_name }}.linear import LinearForm, Matrix
from {{ cookiecutter.module_name }}.model import ARTIFACT_FORMAT, TrainedModel, evaluate, train
from {{ cookiecutter.module_name }}.objective import ONNX_INPUT, ONNX_OUTPUT, SELECTION_METRIC
from {{ cookiecutter.module_name }}.onnx_export import to_onnx
from {{ cookiecutter.module_name }}.postprocess import UNAVAILABLE, Policy
from {{ cookiecutter.module_name }}.predictors import TOLERANCE, FormError, check_agreement
from {{ cookiecutter.module_name }}.schema import SCHEMA

GRID = np.linspace(0.2, 5.0, 40)  # multiples of each value, far beyond the training range
MONOTONE = sorted(SCHEMA.monotone.items())


def test_constrained_coefficients_obey_their_signs(model: TrainedModel) -> None:
    if not isinstance(model.predictor, LinearForm):
        pytest.skip("the model is not linear: it has no coefficients")
    for name, sign, value in zip(FEATURE_NAMES, monotonic_constraints(), model.predictor.coef, strict=True):
        assert sign * value >= 0, f"{name}: coefficient {value} breaks its constraint {sign}"


@pytest.mark.skipif(not MONOTONE, reason="the schema declares no monotone input")
@pytest.mark.parametrize(("name", "direction"), MONOTONE)
def test_the_schema_monotone_promises_hold(
    model: TrainedModel, sample: pd.DataFrame, name: str, direction: int
) -> None:
    """The monotonicity contract: many rows, each over a wide grid of the input, all else fixed."""
    column = SCHEMA.column(name)
    rows = columns_from_frame(sample.sample(min(500, len(sample)), random_state=1))
    n, k = len(rows[name]), len(GRID)
    grid = {key: np.repeat(values, k) for key, values in rows.items()}
    base = np.where(np.isnan(rows[name]), 1.0, np.abs(rows[name]) + 1e-3)
    grid[name] = (np.repeat(base, k) * np.tile(GRID, n)).clip(
        column.minimum if column.minimum is not None else -np.inf,
        column.maximum if column.maximum is not None else np.inf,
    )
    predicted = model.predict(grid).reshape(n, k)
    steps = np.diff(predicted, axis=1) * direction
    assert (steps >= -1e-9 * np.abs(predicted[:, 1:]).clip(1)).all(), f"the prediction moves against {name}"
    assert (np.abs(steps) > 0).any(), f"{name} should matter somewhere"


def test_model_beats_the_naive_baseline(model: TrainedModel, split_parts: Split) -> None:
    scores = evaluate(model, split_parts)
    assert scores["model"][SELECTION_METRIC] < scores["baseline"][SELECTION_METRIC]
    recorded = model.metadata["metrics"]["test"]  # at training time, before the ONNX export
    assert recorded.keys() == scores.keys()
    for name, values in scores.items():
        assert recorded[name] == pytest.approx(values, rel=1e-9)


def test_artifact_carries_what_inference_and_audit_need(model: TrainedModel, fitted: TrainedModel) -> None:
    meta = model.metadata
    assert {"model_version", "sha256", "trained_at", "input_schema", "feature_names", "metrics"} <= set(meta)
    assert {"numpy", "pandas", "scikit-learn", "python"} <= set(meta["library_versions"])
    assert len(meta["data_fingerprint"]) == 64
    assert set(meta["sha256"]) == {"model.skops", "model.linear.json", "model.onnx", "profile.json"}
    assert meta["model_version"].endswith(content_digest(skops.io.dumps(fitted.estimator))[:12])
    assert (model.backend, model.estimator) == ("numpy", None)  # auto: a linear model serves on NumPy alone
    assert fitted.backend == "scikit-learn"


def test_round_trip_predicts_the_same(model: TrainedModel, artifact: Path, sample: pd.DataFrame) -> None:
    columns = columns_from_frame(sample)
    np.testing.assert_array_equal(load(artifact).predict(columns), model.predict(columns))


@pytest.mark.parametrize(("backend", "name"), [("numpy", "numpy"), ("onnx", "onnxruntime")])
def test_each_served_form_agrees_with_the_estimator(
    artifact: Path, fitted: TrainedModel, sample: pd.DataFrame, backend: Backend, name: str
) -> None:
    """The linear form and the graph serve; the scikit-learn estimator is the reference. Checked
    on the sample's features, on random feature rows far outside their range, on one row and on none."""
    served = load(artifact, backend=backend)
    assert served.backend == name
    X = build_features(columns_from_frame(sample))
    wide = np.random.default_rng(3).uniform(-15.0, 15.0, size=(10_000, X.shape[1]))
    for matrix in (X, wide, X[:1], X[:0]):
        np.testing.assert_allclose(served.raw_predict(matrix), fitted.raw_predict(matrix), rtol=0, atol=TOLERANCE)
    columns = columns_from_frame(sample)
    np.testing.assert_allclose(served.predict(columns), fitted.predict(columns), rtol=1e-9)


@pytest.mark.parametrize("backend", ["numpy", "onnx", "scikit-learn"])
def test_no_rows_score_to_no_rows_on_every_backend(
    artifact: Path, sample: pd.DataFrame, policy: Policy, backend: Backend
) -> None:
    """A batch chunk whose rows were all rejected still goes through scoring: nothing may crash."""
    model = load(artifact, backend=backend)
    empty = columns_from_frame(sample.head(0))
    assert model.predict(empty).shape == (0,)
    outputs = [policy.score(model, empty), *([policy.decide(model, empty)] if UNAVAILABLE is None else [])]
    for output in outputs:
        assert {name: len(values) for name, values in output.items()} == dict.fromkeys(output, 0)
    session = getattr(model.predictor, "session", None)
    if session is not None:  # the graph itself, not only the short cut before it
        [result] = session.run([ONNX_OUTPUT], {ONNX_INPUT: np.empty((0, len(FEATURE_NAMES)))})
        assert result.shape[0] == 0


def rewrite(
    source: Path,
    target: Path,
    *,
    metadata: dict[str, object] | None = None,
    files: dict[str, bytes | None] | None = None,
) -> Path:
    """Copy an artifact, replacing metadata entries and files (None drops a file). The sha256 of
    a replaced file is updated too, as a forger would: only the loader's other checks stand."""
    with zipfile.ZipFile(source) as archive:
        meta = json.loads(archive.read("metadata.json"))
        contents = {name: archive.read(name) for name in archive.namelist() if name != "metadata.json"}
    for name, data in (files or {}).items():
        if data is None:
            del contents[name], meta["sha256"][name]
        else:
            contents[name], meta["sha256"][name] = data, hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta | (metadata or {})))
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


@pytest.mark.parametrize("name", ["model.skops", "model.linear.json", "model.onnx"])
def test_tampered_bytes_are_refused(artifact: Path, tmp_path: Path, name: str) -> None:
    with zipfile.ZipFile(artifact) as archive:
        meta, payload = json.loads(archive.read("metadata.json")), bytearray(archive.read(name))
    payload[len(payload) // 2] ^= 0xFF
    tampered = rewrite(artifact, tmp_path / "m.zip", files={name: bytes(payload)}, metadata={"sha256": meta["sha256"]})
    with pytest.raises(ArtifactError, match=f"failed its integrity check: the bytes of {name} do not match"):
        load(tampered)


def test_schema_mismatch_is_refused(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="different input schema"):
        load(rewrite(artifact, tmp_path / "m.zip", metadata={"input_schema": [{"name": "another_column"}]}))


def test_other_major_version_is_refused(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="major versions differ"):
        load(rewrite(artifact, tmp_path / "m.zip", metadata={"package_version": "99.0.0"}))


def test_other_artifact_format_is_refused(artifact: Path, tmp_path: Path) -> None:
    other = ARTIFACT_FORMAT + 1
    with pytest.raises(ArtifactError, match=f"has artifact format {other}, expected {ARTIFACT_FORMAT}"):
        load(rewrite(artifact, tmp_path / "m.zip", metadata={"artifact_format": other}))


def with_estimator(source: Path, target: Path, payload: bytes) -> Path:
    """`rewrite` with another skops payload and the version that matches it, as a forger would."""
    version = f"{__version__}+{content_digest(payload)[:12]}"
    return rewrite(source, target, files={"model.skops": payload}, metadata={"model_version": version})


def test_an_estimator_that_does_not_match_the_version_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path
) -> None:
    other = copy.deepcopy(fitted.estimator)
    other.intercept_ = other.intercept_ + 1.0
    forged = rewrite(artifact, tmp_path / "m.zip", files={"model.skops": skops.io.dumps(other)})
    with pytest.raises(ArtifactError, match="which does not match its estimator"):
        load(forged)  # even where serving never reads the estimator


def test_untrusted_types_are_refused_even_with_a_matching_hash(artifact: Path, tmp_path: Path) -> None:
    payload = skops.io.dumps(operator.attrgetter("__class__"))  # a callable: the raw material of pickle exploits
    with pytest.raises(ArtifactError, match="types that are not trusted"):
        load(with_estimator(artifact, tmp_path / "m.zip", payload), backend="scikit-learn")


def test_an_onnx_graph_that_disagrees_with_the_model_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path
) -> None:
    other = copy.deepcopy(fitted.estimator)
    other.coef_ = other.coef_ * 1.01
    forged = rewrite(artifact, tmp_path / "m.zip", files={"model.onnx": to_onnx(other)})
    with pytest.raises(ArtifactError, match="ONNX graph that disagrees with the model by"):
        load(forged, backend="onnx")
    assert load(forged, backend="numpy").backend == "numpy"  # the linear form alone is still sound


def broken(estimator: Any) -> Any:
    """A copy whose constrained coefficients all take the forbidden sign (demand rising with price)."""
    forged = copy.deepcopy(estimator)
    constraints = np.array(monotonic_constraints())
    coef = np.ravel(forged.coef_).copy()
    coef[constraints != 0] = -constraints[constraints != 0]
    forged.coef_ = coef.reshape(np.shape(forged.coef_))
    return forged


def test_a_graph_served_alone_that_breaks_a_constraint_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path
) -> None:
    """Without a linear form to compare with, the graph is probed along each constrained feature."""
    if not any(monotonic_constraints()):
        pytest.skip("the features have no monotonic constraint")
    files = {"model.onnx": to_onnx(broken(fitted.estimator)), "model.linear.json": None}
    graph_only = rewrite(artifact, tmp_path / "m.zip", files=files)
    with pytest.raises(ArtifactError, match="ONNX graph that moves against the monotone constraint of"):
        load(graph_only)


def test_without_a_linear_form_the_graph_serves(artifact: Path, tmp_path: Path, sample: pd.DataFrame) -> None:
    graph_only = rewrite(artifact, tmp_path / "m.zip", files={"model.linear.json": None})
    served = load(graph_only)
    assert served.backend == "onnxruntime"
    with pytest.raises(ArtifactError, match="has no linear form"):
        load(graph_only, backend="numpy")
    columns = columns_from_frame(sample)
    np.testing.assert_allclose(served.predict(columns), load(artifact).predict(columns), rtol=1e-9)


def test_without_any_served_form_the_estimator_serves(artifact: Path, tmp_path: Path) -> None:
    estimator_only = rewrite(artifact, tmp_path / "m.zip", files={"model.linear.json": None, "model.onnx": None})
    assert load(estimator_only).backend == "scikit-learn"


def test_the_estimator_backend_without_the_train_group_says_what_to_install(
    artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skops", None)  # as in the serving image
    with pytest.raises(
        ArtifactError, match="needs skops from the `train` dependency group: run `uv sync --group train`"
    ):
        load(artifact, backend="scikit-learn")


def test_the_onnx_backend_without_onnxruntime_says_what_to_install(
    artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as in the default serving image
    with pytest.raises(ArtifactError, match="needs onnxruntime from the `onnxruntime` dependency group"):
        load(artifact, backend="onnx")


def test_an_onnx_graph_that_cannot_run_is_refused(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="ONNX graph that onnxruntime cannot run"):
        load(rewrite(artifact, tmp_path / "m.zip", files={"model.onnx": b"not a graph"}), backend="onnx")


def test_without_an_onnx_graph_numpy_serves_and_onnx_is_refused(
    artifact: Path, tmp_path: Path, sample: pd.DataFrame
) -> None:
    without = rewrite(artifact, tmp_path / "m.zip", files={"model.onnx": None})
    fallback = load(without)
    assert fallback.backend == "numpy"
    with pytest.raises(ArtifactError, match="has no ONNX graph: set inference_backend to auto"):
        load(without, backend="onnx")
    columns = columns_from_frame(sample)
    np.testing.assert_allclose(fallback.predict(columns), load(artifact, backend="onnx").predict(columns), rtol=1e-9)


class Unconvertible(ESTIMATOR):
    """An estimator skl2onnx has no converter for (converters are looked up by exact type)."""


def test_an_estimator_that_does_not_convert_is_saved_without_onnx(
    fitted: TrainedModel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    estimator = Unconvertible()
    estimator.__dict__.update(vars(fitted.estimator))  # the same fitted state, another type
    save(TrainedModel.fitted(estimator, fitted.metadata), tmp_path / "m.zip")
    with zipfile.ZipFile(tmp_path / "m.zip") as archive:
        assert set(archive.namelist()) == {"metadata.json", "model.skops", "model.linear.json"}
    assert "no ONNX graph in the artifact" in caplog.text


def test_missing_and_corrupt_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="run the `train` command"):
        load(tmp_path / "absent.zip")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="is not a model artifact"):
        load(tmp_path / "junk.zip")


def test_a_graph_that_disagrees_at_export_is_not_shipped(
    fitted: TrainedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A converter that loses precision (e.g. float32 trees) must not silently change the answers."""
    other = copy.deepcopy(fitted.estimator)
    other.intercept_ = other.intercept_ + 1e-3
    monkeypatch.setattr("{{ cookiecutter.module_name }}.onnx_export.to_onnx", lambda _: to_onnx(other))
    save(fitted, tmp_path / "m.zip")
    with zipfile.ZipFile(tmp_path / "m.zip") as archive:
        assert "model.onnx" not in archive.namelist()
    assert "disagrees with the model by" in caplog.text


def test_a_form_that_agrees_on_the_probes_but_not_on_the_data_is_refused() -> None:
    """A graph of trees converted in float32 can: training checks held-out rows too (`rows`)."""

    def reference(X: Matrix) -> Matrix:
        return np.asarray(X.sum(axis=1), dtype=np.float64)

    def served(X: Matrix) -> Matrix:
        return np.asarray(reference(X) + (np.abs(X).max(axis=1) > 5), dtype=np.float64)  # wrong far out only

    check_agreement(served, reference, "the estimator")
    with pytest.raises(FormError, match="disagrees with the estimator by 1 "):
        check_agreement(served, reference, "the estimator", np.full((3, len(FEATURE_NAMES)), 6.0))


def test_a_served_model_cannot_be_packaged_again(model: TrainedModel, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="only a model with its fitted estimator can be packaged"):
        save(model, tmp_path / "m.zip")
    assert not (tmp_path / "m.zip").exists()


def test_a_forged_model_with_recomputed_digests_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path
) -> None:
    """Digests inside the zip stop accidents, not forgers: the guarantee itself is checked at load,
    on the linear form that serves and on the estimator."""
    if not any(monotonic_constraints()):
        pytest.skip("the features have no monotonic constraint")
    forged = broken(fitted.estimator)
    linear = rewrite(artifact, tmp_path / "a.zip", files={"model.linear.json": forged.linear_form().to_json()})
    with pytest.raises(ArtifactError, match="linear form that has coefficients that break their constraints"):
        load(linear)
    estimator = with_estimator(artifact, tmp_path / "b.zip", skops.io.dumps(forged))
    with pytest.raises(ArtifactError, match="estimator that has coefficients that break their constraints"):
        load(rewrite(estimator, tmp_path / "c.zip", files={"model.linear.json": None}), backend="scikit-learn")


def test_a_linear_form_that_disagrees_with_its_estimator_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path
) -> None:
    form = fitted.estimator.linear_form()
    shifted = LinearForm(form.coef, form.intercept + 0.5).to_json()
    forged = rewrite(artifact, tmp_path / "m.zip", files={"model.linear.json": shifted})
    with pytest.raises(ArtifactError, match="linear form that disagrees with its estimator by"):
        load(forged, backend="scikit-learn")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"[1, 2]", "is not a JSON object"),
        (b'{"coef": "0.5", "intercept": 0}', "coef is not a list of numbers"),
        (b'{"coef": [true], "intercept": 0}', "coef is not a list of numbers"),
        (b'{"coef": [], "intercept": null}', "intercept is not a number"),
        (b'{"coef": [NaN], "intercept": 0}', "not finite"),
        (b'{"coef": [], "intercept": 0}', "has 0 coefficients for"),
        (b"\xff", "cannot be read"),
    ],
)
def test_an_unreadable_linear_form_is_refused_with_the_reason(
    artifact: Path, tmp_path: Path, document: bytes, reason: str
) -> None:
    with pytest.raises(ArtifactError, match=reason):
        load(rewrite(artifact, tmp_path / "m.zip", files={"model.linear.json": document}))


@pytest.mark.parametrize(
    "payload",
    [
        lambda estimator: LinearRegression().fit(np.eye(estimator.n_features_in_), np.ones(estimator.n_features_in_)),
        lambda estimator: 42,
        lambda estimator: {"coef_": [1.0]},
    ],
)
def test_a_payload_that_is_not_the_constrained_estimator_is_refused(
    fitted: TrainedModel, artifact: Path, tmp_path: Path, payload: Any
) -> None:
    data = skops.io.dumps(payload(fitted.estimator))
    with pytest.raises(ArtifactError, match="not an estimator with monotonic constraints"):
        load(with_estimator(artifact, tmp_path / "m.zip", data), backend="scikit-learn")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (b"[1, 2]", "invalid metadata.json"),
        ("{}".encode("utf-16"), "not readable JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not readable JSON"),
        (None, "model_version"),
        (None, "metrics"),
        (None, "trained_at"),
    ],
)
def test_unusable_metadata_is_refused_with_the_reason(
    artifact: Path, tmp_path: Path, metadata: bytes | None, message: str
) -> None:
    with zipfile.ZipFile(artifact) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if metadata is None:
        metadata = json.dumps({k: v for k, v in json.loads(members["metadata.json"]).items() if k != message}).encode()
    members["metadata.json"] = metadata
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ArtifactError, match=message):
        load(tmp_path / "m.zip")


def test_a_member_that_inflates_too_far_is_refused(artifact: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "m.zip"
    with zipfile.ZipFile(artifact) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        archive.writestr("padding", b"\0" * (MAX_MEMBER_BYTES + 1))
    assert bomb.stat().st_size < MAX_MEMBER_BYTES // 100
    with pytest.raises(ArtifactError, match="inflates to"):
        load(bomb)


@pytest.mark.parametrize("change", ["unlisted", "unlisted-listed"])
def test_every_member_must_be_listed_and_present(artifact: Path, tmp_path: Path, change: str) -> None:
    with zipfile.ZipFile(artifact) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(members["metadata.json"])
    if change == "unlisted":
        members["extra.bin"] = b"anything"
    else:
        del meta["sha256"]["model.onnx"]  # an unlisted member would otherwise skip the check
    members["metadata.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ArtifactError, match="do not match the listed"):
        load(tmp_path / "m.zip")


def test_a_signing_key_is_required_and_checked(fitted: TrainedModel, tmp_path: Path) -> None:
    version = save(fitted, tmp_path / "signed.zip", key=b"secret")
    save(fitted, tmp_path / "unsigned.zip")
    assert load(tmp_path / "signed.zip", key=b"secret").version == version
    assert load(tmp_path / "signed.zip").version == version  # without a key, the signature is not needed
    for path, key in ((tmp_path / "signed.zip", b"other"), (tmp_path / "unsigned.zip", b"secret")):
        with pytest.raises(ArtifactError, match="not signed with the configured artifact_key"):
            load(path, key=key)
    # A forger who edits the metadata keeps the old signature, which no longer matches.
    forged = rewrite(tmp_path / "signed.zip", tmp_path / "forged.zip", metadata={"trained_at": "2000-01-01"})
    with zipfile.ZipFile(forged) as archive:
        assert "signature" in archive.namelist()
    with pytest.raises(ArtifactError, match="not signed"):
        load(forged, key=b"secret")


def test_the_same_data_and_settings_give_the_same_version(split_parts: Split, tmp_path: Path) -> None:
    first = save(train(split_parts, alphas=(0.0, 1.0)), tmp_path / "a.zip")
    second = save(train(split_parts, alphas=(0.0, 1.0)), tmp_path / "b.zip")
    other = save(train(split_parts, alphas=(10.0,)), tmp_path / "c.zip")
    assert first == second
    assert other != first
    assert load(tmp_path / "b.zip").version == first


@parametrize_with_checks([ESTIMATOR(), ESTIMATOR(alpha=1.0)])  # type: ignore[untyped-decorator]
def test_the_estimator_is_a_proper_scikit_learn_estimator(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.mark.parametrize("alpha", [-1.0, float("nan"), "big"])
def test_the_penalty_is_validated(alpha: Any) -> None:
    with pytest.raises(ValueError, match="alpha"):
        ESTIMATOR(alpha=alpha).fit(np.ones((4, 2)), [0, 1, 0, 1])


TRAINING_ONLY = ["scipy", "skl2onnx", "sklearn", "skops"]  # the `train` group: not in the serving image


@pytest.mark.parametrize(("backend", "allowed"), [("auto", set()), ("onnx", {"onnx", "onnxruntime"})])
def test_serving_imports_nothing_of_the_train_group(artifact: Path, backend: str, allowed: set[str]) -> None:
    """The server and batch scoring, with the model loaded and one prediction made: what they
    import is what the image must hold. A linear model needs no onnxruntime either."""
    code = (
        "import json, pathlib, sys\n"
        "from {{ cookiecutter.module_name }}.artifact import load\n"
        "from {{ cookiecutter.module_name }}.batch import score_file\n"
        "from {{ cookiecutter.module_name }}.columns import columns_from_frame\n"
        "from {{ cookiecutter.module_name }}.serve import create_app\n"
        f"model = load(pathlib.Path({str(artifact)!r}), backend={backend!r})\n"
        "model.predict(columns_from_frame(__import__('pandas').DataFrame(model.metadata['example_request'])))\n"
        f"print(json.dumps([m for m in {[*TRAINING_ONLY, 'onnx', 'onnxruntime']} if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(json.loads(result.stdout)) <= allowed
