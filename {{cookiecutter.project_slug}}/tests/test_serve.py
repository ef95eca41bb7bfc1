from __future__ import annotations

import json
import logging
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
from {{ cookiecutter.module_name }}.telemetry import configure_logging


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def record(sample: pd.DataFrame) -> dict[str, Any]:
    return to_records(sample.head(1))[0]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


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
        ({"price": 0.001}, "price", "greater than or equal to 0.01"),
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
        assert client.get("/metadata").status_code == 503
        response = client.post("/predict", json={"records": [record]})
        assert response.status_code == 503
        assert "model not loaded" in response.json()["detail"]


def test_nan_and_infinity_are_refused(client: TestClient, record: dict[str, Any]) -> None:
    for text in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps({"records": [record]}).replace(f'"price": {record["price"]}', f'"price": {text}')
        response = client.post("/predict", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, text
        assert response.json()["detail"][0]["loc"] == ["body", "records", 0, "price"]


def test_malformed_json_gets_400_with_the_position(client: TestClient) -> None:
    response = client.post("/predict", content=b'{"records": [', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_oversized_bodies_get_413(client: TestClient, settings: Settings, record: dict[str, Any]) -> None:
    padding = " " * (settings.max_body_bytes + 1)
    response = client.post("/predict", content=padding, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield json.dumps({"records": [record]}).encode()
        yield b" " * settings.max_body_bytes

    streamed = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_request_ids_are_echoed_or_created(client: TestClient) -> None:
    assert client.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/health", headers={"x-request-id": "bad id\n"}).headers["x-request-id"] != "bad id\n"


def test_requests_are_logged_as_json_with_their_id(
    client: TestClient, record: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="{{ cookiecutter.module_name }}.telemetry"):
        client.post("/predict", json={"records": [record]}, headers={"x-request-id": "trace-1"})
    [entry] = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-1"]
    assert (entry.method, entry.path, entry.status) == ("POST", "/predict", 200)  # type: ignore[attr-defined]


def test_log_lines_are_one_json_object_each(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO")
        logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "\x1b[36mStarted\x1b[0m"})
    finally:
        root.handlers[:], root.level = handlers, level
    entry = json.loads(capsys.readouterr().err)
    assert {k: entry[k] for k in ("levelname", "name", "message")} == {
        "levelname": "INFO",
        "name": "uvicorn.error",
        "message": "Started",
    }
    assert entry["timestamp"].endswith("+00:00")
    assert "color_message" not in entry


def test_metrics_count_requests_and_predictions(client: TestClient, sample: pd.DataFrame) -> None:
    client.post("/predict", json={"records": to_records(sample.head(3))})
    client.post("/predict", json={"records": []})
    text = client.get("/metrics").text
    assert 'http_requests_total{endpoint="/predict",method="POST",status="200"} 1.0' in text
    assert 'http_requests_total{endpoint="/predict",method="POST",status="422"} 1.0' in text
    assert "predictions_total 3.0" in text
    assert 'http_request_duration_seconds_count{endpoint="/predict",method="POST"} 2.0' in text


def test_metadata_describes_the_served_model(client: TestClient, model: DemandModel) -> None:
    meta = client.get("/metadata").json()
    assert meta["model_version"] == model.version
    assert meta["inference_backend"] == "onnxruntime"
    assert meta["metrics"]["test"]["model"]["wape"] < meta["metrics"]["test"]["baseline"]["wape"]
    assert [c["name"] for c in meta["input_schema"]][:3] == ["date", "product_id", "category"]


def test_the_scikit_learn_backend_gives_the_same_answers(
    client: TestClient, settings: Settings, sample: pd.DataFrame
) -> None:
    body = {"records": to_records(sample.sample(200, random_state=4))}
    with TestClient(create_app(settings.model_copy(update={"use_onnx": False}))) as reference:
        assert reference.get("/metadata").json()["inference_backend"] == "scikit-learn"
        expected = reference.post("/predict", json=body).json()["predictions"]
    served = client.post("/predict", json=body).json()["predictions"]
    assert [p["units"] for p in served] == [p["units"] for p in expected]
    assert [p["expected_units"] for p in served] == pytest.approx([p["expected_units"] for p in expected], abs=1e-4)


def test_extreme_but_valid_inputs_give_finite_answers(client: TestClient, record: dict[str, Any]) -> None:
    extreme = record | {"price": 0.01, "base_price": 1e6, "competitor_price": 1e6}
    response = client.post("/predict", json={"records": [extreme]})
    assert response.status_code == 200
    assert response.json()["predictions"][0]["units"] <= 1e9
