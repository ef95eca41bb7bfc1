from __future__ import annotations

import hashlib
import json
import operator
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io

from {{ cookiecutter.module_name }}.data import Split
from {{ cookiecutter.module_name }}.features import PRICE_FEATURES, columns_from_frame
from {{ cookiecutter.module_name }}.model import ArtifactError, DemandModel, MonotonicLinearRegression, evaluate, load

PRICE_GRID = np.linspace(0.2, 5.0, 40)  # multiples of the base price, far beyond the training range


def test_constraints_hold_even_when_the_data_disagrees() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] + rng.normal(0, 0.1, 500)
    free = MonotonicLinearRegression().fit(X, y)
    bounded = MonotonicLinearRegression(monotonic_cst=[-1, 1, 0]).fit(X, y)
    assert free.coef_[0] > 1.5
    assert free.coef_[1] < -0.5
    assert bounded.coef_[0] <= 0.0
    assert bounded.coef_[1] >= 0.0
    assert bounded.predict(X).shape == (500,)


def test_constraint_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="monotonic_cst must hold 2 values"):
        MonotonicLinearRegression(monotonic_cst=[-1]).fit(np.ones((4, 2)), np.ones(4))


def test_price_coefficients_are_non_positive(model: DemandModel) -> None:
    names = model.metadata["feature_names"]
    price_coefs = [c for name, c in zip(names, model.regressor.coef_, strict=True) if name in PRICE_FEATURES]
    assert len(price_coefs) == len(PRICE_FEATURES)
    assert max(price_coefs) <= 0.0


def test_demand_never_rises_with_price(model: DemandModel, sample: pd.DataFrame) -> None:
    """The monotonicity contract: many rows, each over a wide grid of prices, all else fixed."""
    rows = columns_from_frame(sample.sample(500, random_state=1))
    n, k = len(rows["price"]), len(PRICE_GRID)
    grid = {name: np.repeat(values, k) for name, values in rows.items()}
    grid["price"] = np.repeat(rows["base_price"], k) * np.tile(PRICE_GRID, n)
    demand = model.predict(grid).reshape(n, k)
    assert (np.diff(demand, axis=1) <= 1e-12).all()
    assert (np.diff(demand, axis=1) < 0).any(), "price should matter somewhere"


def test_model_beats_the_naive_baseline_clearly(model: DemandModel, split: Split) -> None:
    scores = evaluate(model, split)
    assert scores["model"]["wape"] < 0.7 * scores["baseline"]["wape"]
    assert model.metadata["metrics"]["test"] == scores


def test_artifact_carries_what_inference_and_audit_need(model: DemandModel) -> None:
    meta = model.metadata
    assert {"model_version", "model_sha256", "trained_at", "input_schema", "feature_names", "metrics"} <= set(meta)
    assert {"numpy", "pandas", "scikit-learn", "python"} <= set(meta["library_versions"])
    assert len(meta["data_fingerprint"]) == 64
    assert meta["model_version"].endswith(meta["model_sha256"][:12])


def test_round_trip_predicts_the_same(model: DemandModel, artifact: Path, sample: pd.DataFrame) -> None:
    columns = columns_from_frame(sample)
    np.testing.assert_array_equal(load(artifact).predict(columns), model.predict(columns))


def rewrite(
    source: Path, target: Path, *, metadata: dict[str, object] | None = None, payload: bytes | None = None
) -> Path:
    with zipfile.ZipFile(source) as archive:
        original_meta = json.loads(archive.read("metadata.json"))
        original_payload = archive.read("model.skops")
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", json.dumps(original_meta | (metadata or {})))
        archive.writestr("model.skops", original_payload if payload is None else payload)
    return target


def test_tampered_bytes_are_refused(artifact: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(artifact) as archive:
        payload = bytearray(archive.read("model.skops"))
    payload[len(payload) // 2] ^= 0xFF
    with pytest.raises(ArtifactError, match="failed its integrity check"):
        load(rewrite(artifact, tmp_path / "m.zip", payload=bytes(payload)))


def test_schema_mismatch_is_refused(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="different input schema"):
        load(rewrite(artifact, tmp_path / "m.zip", metadata={"input_schema": [{"name": "price"}]}))


def test_other_major_version_is_refused(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="major versions differ"):
        load(rewrite(artifact, tmp_path / "m.zip", metadata={"package_version": "99.0.0"}))


def test_untrusted_types_are_refused_even_with_a_matching_hash(artifact: Path, tmp_path: Path) -> None:
    payload = skops.io.dumps(operator.attrgetter("__class__"))  # a callable: the raw material of pickle exploits
    forged = rewrite(
        artifact, tmp_path / "m.zip", payload=payload, metadata={"model_sha256": hashlib.sha256(payload).hexdigest()}
    )
    with pytest.raises(ArtifactError, match="types that are not trusted"):
        load(forged)


def test_missing_and_corrupt_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="run the `train` command"):
        load(tmp_path / "absent.zip")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="is not a model artifact"):
        load(tmp_path / "junk.zip")


def test_scoring_at_candidate_prices_equals_scoring_each_price(model: DemandModel, sample: pd.DataFrame) -> None:
    rows = sample.sample(100, random_state=6)
    columns = columns_from_frame(rows)
    prices = np.outer(rows["base_price"].to_numpy(), PRICE_GRID[:7])
    at_prices = model.predict_at_prices(columns, prices)
    for j in range(prices.shape[1]):
        np.testing.assert_allclose(at_prices[:, j], model.predict(columns | {"price": prices[:, j]}), rtol=1e-12)
