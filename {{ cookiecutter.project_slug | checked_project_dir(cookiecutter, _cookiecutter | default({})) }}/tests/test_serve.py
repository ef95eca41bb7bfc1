from __future__ import annotations

import gzip
import json
import logging
import math
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import uvicorn
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.batch import score_file
from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.data import to_records
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.objective import SELECTION_METRIC
from {{ cookiecutter.module_name }}.postprocess import UNAVAILABLE, Policy, prediction_fields
from {{ cookiecutter.module_name }}.schema import SCHEMA
from {{ cookiecutter.module_name }}.serve import create_app
from {{ cookiecutter.module_name }}.task_config import DECISION
from {{ cookiecutter.module_name }}.telemetry import configure_logging
from {{ cookiecutter.module_name }}.validation import INPUT_COLUMNS, find_problems

IDS = [c.name for c in SCHEMA.ids]
OUTPUTS = list(prediction_fields())
NUMBERS = [name for name, (kind, _) in prediction_fields().items() if kind is float]
NUMBER = next(c for c in INPUT_COLUMNS if c.kind == "float" and not c.nullable)


def invalid_changes() -> list[tuple[dict[str, Any], str, str]]:
    """One broken field per rule the request model enforces, from the schema."""
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({NUMBER.name: True}, NUMBER.name, "valid number"),
        ({NUMBER.name: "2.5"}, NUMBER.name, "valid number"),
        ({"colour_that_is_not_a_column": "red"}, "colour_that_is_not_a_column", "Extra inputs are not permitted"),
    ]
    for column in INPUT_COLUMNS:
        if column.numeric and column.minimum is not None:
            cases.append(({column.name: column.minimum - 1}, column.name, "greater than or equal to"))
        if column.numeric and column.maximum is not None:
            cases.append(({column.name: column.maximum + 1}, column.name, "less than or equal to"))
        if column.allowed is not None:
            cases.append(({column.name: "__not_allowed__"}, column.name, "Input should be"))
        if column.kind == "date":
            cases += [
                ({column.name: "2024-02-30"}, column.name, "YYYY-MM-DD"),
                ({column.name: 20240101}, column.name, "YYYY-MM-DD"),
            ]
    return cases


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


def test_predict_returns_postprocessed_predictions(
    client: TestClient, model: TrainedModel, policy: Policy, sample: pd.DataFrame
) -> None:
    rows = sample.head(3)
    records = to_records(rows)
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == model.version
    for name in IDS:
        assert [p[name] for p in body["predictions"]] == [r[name] for r in records]
    expected = policy.score(model, columns_from_frame(rows))
    for i, prediction in enumerate(body["predictions"]):
        assert set(prediction) == {*IDS, *OUTPUTS}
        for name in OUTPUTS:
            assert prediction[name] == pytest.approx(expected[name][i].item(), abs=1e-9), name


def test_online_answers_equal_batch_scoring(
    client: TestClient, sample: pd.DataFrame, settings: Settings, tmp_path: Path
) -> None:
    records = to_records(sample.sample(min(60, len(sample)), random_state=4))
    pd.DataFrame(records).to_csv(tmp_path / "in.csv", index=False)
    policy = Policy.from_settings(settings)
    score_file(client.app.state.model, policy, tmp_path / "in.csv", tmp_path / "out.csv")  # type: ignore[attr-defined]
    batch = pd.read_csv(tmp_path / "out.csv")
    online = pd.DataFrame([client.post("/predict", json={"records": [r]}).json()["predictions"][0] for r in records])
    for name in OUTPUTS:
        assert online[name].tolist() == batch[name].tolist(), name


@pytest.mark.parametrize(("change", "field", "message"), invalid_changes())
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
    required = next(c.name for c in INPUT_COLUMNS if not c.nullable)
    missing = {k: v for k, v in record.items() if k != required}
    assert client.post("/predict", json={"records": [missing]}).json()["detail"][0]["loc"][-1] == required
    assert client.post("/predict", json={"records": []}).status_code == 422
    too_many = client.post("/predict", json={"records": [record] * (settings.max_records + 1)})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "records"]


@pytest.mark.skipif(not any(c.nullable for c in INPUT_COLUMNS), reason="no optional column")
def test_an_optional_field_may_be_omitted(client: TestClient, record: dict[str, Any]) -> None:
    optional = next(c.name for c in INPUT_COLUMNS if c.nullable)
    without = {k: v for k, v in record.items() if k != optional}
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
        body = json.dumps({"records": [record | {NUMBER.name: "HERE"}]}).replace('"HERE"', text)
        response = client.post("/predict", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, text
        assert response.json()["detail"][0]["loc"] == ["body", "records", 0, NUMBER.name]


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


def test_metadata_describes_the_served_model(client: TestClient, model: TrainedModel) -> None:
    meta = client.get("/metadata").json()
    assert meta["model_version"] == model.version
    assert meta["inference_backend"] == model.backend
    assert meta["metrics"]["test"]["model"][SELECTION_METRIC] < meta["metrics"]["test"]["baseline"][SELECTION_METRIC]
    assert [c["name"] for c in meta["input_schema"]] == [c.name for c in INPUT_COLUMNS]


def test_the_onnx_backend_gives_the_same_answers(client: TestClient, settings: Settings, sample: pd.DataFrame) -> None:
    with zipfile.ZipFile(settings.artifact_path) as archive:
        if "model.onnx" not in archive.namelist():
            pytest.skip("the artifact has no ONNX graph (skl2onnx could not export this estimator exactly)")
    body = {"records": to_records(sample.sample(min(200, len(sample)), random_state=4))}
    with TestClient(create_app(settings.model_copy(update={"inference_backend": "onnx"}))) as reference:
        assert reference.get("/metadata").json()["inference_backend"] == "onnxruntime"
        expected = reference.post("/predict", json=body).json()["predictions"]
    served = client.post("/predict", json=body).json()["predictions"]
    for name in NUMBERS:
        assert [p[name] for p in served] == pytest.approx([p[name] for p in expected], abs=1e-4), name


@pytest.mark.parametrize("end", ["minimum", "maximum"])
def test_extreme_but_valid_inputs_give_finite_answers(client: TestClient, record: dict[str, Any], end: str) -> None:
    bounded = [c for c in INPUT_COLUMNS if c.numeric and getattr(c, end) is not None]
    extreme = record | {c.name: getattr(c, end) if c.kind == "float" else int(getattr(c, end)) for c in bounded}
    response = client.post("/predict", json={"records": [extreme]})
    assert response.status_code == 200
    prediction = response.json()["predictions"][0]
    assert all(isinstance(prediction[name], float) and math.isfinite(prediction[name]) for name in NUMBERS)


JSON = {"content-type": "application/json"}
DATE = next((c.name for c in INPUT_COLUMNS if c.kind == "date"), None)
TEXT = next((c.name for c in INPUT_COLUMNS if c.kind == "string" and c.allowed is None), None)
DATE_EDGES = ["2024-06-03", "20240603", "2024-W23-1", "2024-6-3", "2024-02-30", "2024-06-03T00:00"]
EDGES = [
    *([(DATE, value) for value in DATE_EDGES] if DATE else []),
    *([(TEXT, ""), (TEXT, "NA")] if TEXT else []),
    (NUMBER.name, True),
]


@pytest.mark.parametrize(("column", "value"), EDGES)
def test_the_api_and_batch_scoring_accept_the_same_values(
    client: TestClient, record: dict[str, Any], column: str, value: object
) -> None:
    """One rule per kind of column: an edge value is accepted by both or refused by both."""
    online = client.post("/predict", json={"records": [record | {column: value}]}).status_code
    batch = pd.DataFrame([record | {column: value}]).astype({column: object})
    assert online in (200, 422)
    assert (online == 200) == (not find_problems(batch)), (online, find_problems(batch))


DEEP = b"[" * 100_000 + b"]" * 100_000
LONG_NUMBER = b'{"records": [{"x": ' + b"9" * 5000 + b"}]}"
NOT_UTF8 = bytes([0xFF, 0xFE, 0x7B, 0x7D])


@pytest.mark.parametrize("body", [DEEP, LONG_NUMBER, NOT_UTF8])
def test_every_unparsable_body_gets_the_documented_400(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail[0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("body", "key"),
    [('{"records": [], "records": [RECORD]}', "records"), ('{"records": [RECORD_WITH_PRICE]}', NUMBER.name)],
)
def test_duplicated_keys_are_refused(client: TestClient, record: dict[str, Any], body: str, key: str) -> None:
    text = json.dumps(record)
    doubled = text[:-1] + f', "{NUMBER.name}": {json.dumps(record[NUMBER.name])}}}'
    response = client.post(
        "/predict", content=body.replace("RECORD_WITH_PRICE", doubled).replace("RECORD", text), headers=JSON
    )
    assert response.status_code == 400
    assert f"duplicate key '{key}'" in json.dumps(response.json())


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "text/plain"},
        {"content-type": "application/json; charset=latin-1"},
        {"content-type": "application/json", "content-encoding": "gzip"},
    ],
)
def test_a_body_that_is_not_plain_json_gets_415(
    client: TestClient, record: dict[str, Any], headers: dict[str, str]
) -> None:
    body = json.dumps({"records": [record]}).encode()
    if "content-encoding" in headers:
        body = gzip.compress(body)
    response = client.post("/predict", content=body, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert len(response.text) < 300, "the body is not echoed back"


def test_json_with_a_utf8_charset_is_accepted(client: TestClient, record: dict[str, Any]) -> None:
    body = json.dumps({"records": [record]})
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/predict", content=body, headers=headers).status_code == 200


def test_invented_methods_share_one_metrics_label(client: TestClient) -> None:
    for method in ("FOO", "BAR", "SCAN"):
        client.request(method, "/predict")
    text = client.get("/metrics").text
    assert 'method="other"' in text
    assert "FOO" not in text
    assert "SCAN" not in text


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with running(settings.model_copy(update={"body_timeout_seconds": 0.5})) as base:
        yield base


@contextmanager
def running(settings: Settings) -> Iterator[str]:
    """The app behind a real uvicorn on 127.0.0.1 (what a client's socket sees), stopped afterwards."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_config=None,
        timeout_keep_alive=settings.keep_alive_seconds,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        port = instance.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=30)


def test_an_oversized_request_is_answered_413_not_reset(
    server: str, settings: Settings, record: dict[str, Any]
) -> None:
    body = json.dumps({"records": [record] * (settings.max_body_bytes // 100)}).encode()
    assert len(body) > settings.max_body_bytes
    request = urllib.request.Request(f"{server}/predict", data=body, headers=JSON)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    error.value.close()
    assert error.value.code == 413


def test_overload_is_shed_with_503_while_probes_answer(settings: Settings, record: dict[str, Any]) -> None:
    """With the limit reached (a request stalled mid-body), the next one is refused at once and
    the health probe still answers: nothing queues behind a busy worker."""
    with running(settings.model_copy(update={"max_concurrent_requests": 1})) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as stalled:
            stalled.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            stalled.sendall(b"Content-Length: 1000\r\n\r\n{")
            time.sleep(0.2)  # let the server take it in
            body = json.dumps({"records": [record]}).encode()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(f"{base}/predict", data=body, headers=JSON), timeout=10)
            refused.value.close()
            assert refused.value.code == 503
            assert refused.value.headers["Retry-After"] == "1"
            with urllib.request.urlopen(f"{base}/health", timeout=10) as health:
                assert health.status == 200


def test_a_client_that_stops_sending_gets_408(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408")


@pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))
def test_the_decision_route_answers_what_the_command_computes(
    client: TestClient, settings: Settings, sample: pd.DataFrame
) -> None:
    rows = sample.sample(min(20, len(sample)), random_state=8)
    response = client.post(f"/{DECISION}", json={"records": to_records(rows)})
    assert response.status_code == 200, response.text
    served = pd.DataFrame(response.json()["decisions"])
    policy = Policy.from_settings(settings)
    expected = policy.decide(client.app.state.model, columns_from_frame(rows))  # type: ignore[attr-defined]
    assert list(served.columns) == list(expected)
    for name, values in expected.items():
        assert served[name].tolist() == values.tolist(), name
    invalid = client.post(f"/{DECISION}", json={"records": [to_records(rows)[0] | {NUMBER.name: True}]})
    assert invalid.status_code == 422


def test_the_openapi_example_is_a_row_of_the_data(client: TestClient) -> None:
    example = client.get("/openapi.json").json()["components"]["schemas"]["RecordsRequest"]["example"]
    assert client.post("/predict", json=example).status_code == 200
    if UNAVAILABLE is None:
        assert client.post(f"/{DECISION}", json=example).status_code == 200
