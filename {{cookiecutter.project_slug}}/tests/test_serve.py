from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import to_records
from {{ cookiecutter.module_name }}.batch import score_file
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.model import DemandModel
from {{ cookiecutter.module_name }}.serve import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def record(sample: pd.DataFrame) -> dict[str, Any]:
    return to_records(sample.head(1))[0]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "detail": None}
    assert client.get("/ready").status_code == 200


def test_predict_returns_postprocessed_predictions(
    client: TestClient, model: DemandModel, sample: pd.DataFrame
) -> None:
    records = to_records(sample.head(3))
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == model.version
    assert [p["product_id"] for p in body["predictions"]] == [r["product_id"] for r in records]
    for prediction, row in zip(body["predictions"], records, strict=True):
        assert prediction["units"] == round(prediction["expected_units"])
        assert prediction["revenue"] == pytest.approx(prediction["units"] * row["price"], abs=0.005)


def test_online_answers_equal_batch_scoring(
    client: TestClient, sample: pd.DataFrame, settings: Settings, tmp_path: Path
) -> None:
    rows = sample.sample(60, random_state=4)
    rows.assign(date=rows["date"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "in.csv", index=False)
    score_file(client.app.state.model, tmp_path / "in.csv", tmp_path / "out.csv")  # type: ignore[attr-defined]
    batch = pd.read_csv(tmp_path / "out.csv")
    online = [client.post("/predict", json={"records": [r]}).json()["predictions"][0] for r in to_records(rows)]
    assert pd.DataFrame(online)["expected_units"].tolist() == batch["expected_units"].tolist()
    assert pd.DataFrame(online)["units"].tolist() == batch["units"].tolist()
    assert pd.DataFrame(online)["revenue"].tolist() == batch["revenue"].tolist()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"price": True}, "price", "valid number"),
        ({"price": "2.5"}, "price", "valid number"),
        ({"price": -1.0}, "price", "greater than 0"),
        ({"promo": 2}, "promo", "less than or equal to 1"),
        ({"category": "toys"}, "category", "'beverages', 'dairy', 'household' or 'snacks'"),
        ({"date": "2024-02-30"}, "date", "YYYY-MM-DD"),
        ({"date": 20240101}, "date", "YYYY-MM-DD"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_invalid_records_get_422_naming_the_field(
    client: TestClient, record: dict[str, Any], change: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/predict", json={"records": [record | change]})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "records", 0, field]
    assert message in error["msg"]


def test_missing_field_and_empty_or_oversized_batches(
    client: TestClient, record: dict[str, Any], settings: Settings
) -> None:
    missing = {k: v for k, v in record.items() if k != "base_price"}
    assert client.post("/predict", json={"records": [missing]}).json()["detail"][0]["loc"][-1] == "base_price"
    assert client.post("/predict", json={"records": []}).status_code == 422
    too_many = client.post("/predict", json={"records": [record] * (settings.max_records + 1)})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "records"]


def test_optional_competitor_price_may_be_omitted(client: TestClient, record: dict[str, Any]) -> None:
    without = {k: v for k, v in record.items() if k != "competitor_price"}
    assert client.post("/predict", json={"records": [without]}).status_code == 200


def test_without_a_model_the_service_is_alive_but_not_ready(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, record: dict[str, Any]
) -> None:
    settings = Settings(artifact_path=tmp_path / "missing.zip")
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 503
        response = client.post("/predict", json={"records": [record]})
        assert response.status_code == 503
        assert "model not loaded" in response.json()["detail"]
