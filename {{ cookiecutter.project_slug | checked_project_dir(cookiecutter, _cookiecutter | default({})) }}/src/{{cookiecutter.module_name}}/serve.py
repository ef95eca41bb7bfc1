"""The HTTP API: health, readiness, predictions and the task's decisions, on the paths batch uses.

The request and response models are generated from the schema (`messages`), so the API accepts
exactly what the data contract allows (types are strict: `true` is not a number, `"3"` is not
a price) and answers with what `postprocess` computes.
The model is loaded once at start-up; a request never touches the disk. Every error has a
documented status and a body naming the problem: 400 malformed JSON (a duplicated key
included), 408 body too slow, 413 body too large, 415 not JSON, 422 invalid input (with the
field's location), 503 no model loaded.
"""

import logging
import math
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __summary__, __version__
from .artifact import ArtifactError, load
from .columns import Outputs, columns_from_records
from .config import Settings
from .guards import RequestGuard, parse_json
from .messages import (
    InvalidJSON,
    Metadata,
    PredictResponse,
    Problem,
    RecordsRequest,
    Status,
    decision_response_model,
)
from .model import TrainedModel
from .postprocess import PREDICTION_OUTPUT, UNAVAILABLE, Policy
from .predlog import PredictionLog
from .task_config import DECISION, DECISION_HELP
from .telemetry import Metrics, RequestTelemetry

logger = logging.getLogger(__name__)


NO_MODEL: dict[int | str, dict[str, Any]] = {503: {"model": Problem, "description": "No model is loaded."}}
#: The errors of an endpoint that takes a body.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": InvalidJSON, "description": "The body is not valid JSON (or repeats a key)."},
    408: {"model": Problem, "description": "The body did not arrive within `body_timeout_seconds`."},
    413: {"model": Problem, "description": "The body exceeds `max_body_bytes`."},
    415: {"model": Problem, "description": "The body is not `application/json` (UTF-8, uncompressed)."},
    503: {"model": Problem, "description": "No model is loaded, or `max_concurrent_requests` are in progress."},
}


def rows(outputs: Outputs) -> list[dict[str, Any]]:
    """Column outputs as one dict per row, with plain Python values (fast to serialize)."""
    names = list(outputs)
    return [dict(zip(names, values, strict=True)) for values in zip(*(outputs[n].tolist() for n in names), strict=True)]


class StrictJSONRequest(Request):
    """A request whose JSON body is parsed strictly (`guards.parse_json`): no duplicated keys."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """Routes that hand their endpoints a `StrictJSONRequest` (FastAPI's documented extension point)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """422 for input that breaks the schema; 400 when the body is not JSON at all."""
    errors = jsonable_encoder(error.errors()) if isinstance(error, RequestValidationError) else []
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    for entry in errors:  # echo NaN or Infinity back as text: they are not valid JSON numbers
        if isinstance(entry.get("input"), float) and not math.isfinite(entry["input"]):
            entry["input"] = str(entry["input"])
    return JSONResponse({"detail": errors}, status_code=status)


async def _http_error(request: Request, error: Exception) -> Response:
    """HTTP errors as `{"detail": ...}`; a 400 (a body FastAPI could not parse) in the 400 schema."""
    assert isinstance(error, StarletteHTTPException)
    detail: Any = error.detail
    if error.status_code == 400 and isinstance(detail, str):
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": detail, "input": None}]
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. The model artifact is read once, when the app starts."""
    settings = settings or Settings()
    policy = Policy.from_settings(settings)
    metrics = Metrics()

    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description=__summary__,
        version=__version__,
        lifespan=partial(_lifespan, settings, metrics),
        exception_handlers={RequestValidationError: _invalid_request, StarletteHTTPException: _http_error},
    )
    app.router.route_class = StrictJSONRoute
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
        max_busy=settings.max_concurrent_requests,
    )
    app.add_middleware(RequestTelemetry, metrics=metrics)

    def loaded_model() -> TrainedModel:
        """The served model, or 503 saying why there is none. A plain call, not a FastAPI
        dependency: on the hot path, dependency resolution would cost more than the check."""
        model: TrainedModel | None = app.state.model
        if model is None:
            raise HTTPException(503, f"model not loaded: {app.state.load_error}")
        return model

    _add_probes(app, metrics, loaded_model)

    def columns_of(body: RecordsRequest) -> dict[str, np.ndarray]:
        if len(body.records) > settings.max_records:
            message = f"List should have at most {settings.max_records} items, not {len(body.records)}"
            raise RequestValidationError(
                [{"type": "too_long", "loc": ("body", "records"), "msg": message, "input": None}]
            )
        return columns_from_records([r.model_dump() for r in body.records])

    @app.post("/predict", responses=BODY_ERRORS)
    async def predict(body: RecordsRequest, request: Request) -> PredictResponse:
        """The expected target for each record, in order, with the business outputs (see postprocess)."""
        model = loaded_model()
        columns = columns_of(body)
        outputs = policy.score(model, columns)
        metrics.predictions.inc(len(body.records))
        prediction_log: PredictionLog | None = getattr(request.app.state, "prediction_log", None)
        if prediction_log is not None:
            prediction_log.submit(columns, outputs[PREDICTION_OUTPUT], model.version, request.state.request_id)
        return PredictResponse.model_validate({"model_version": model.version, "predictions": rows(outputs)})

    if UNAVAILABLE is None:
        _add_decision(app, policy, columns_of, loaded_model)

    _document_an_example(app)
    return app


@asynccontextmanager
async def _lifespan(settings: Settings, metrics: Metrics, app: FastAPI) -> AsyncIterator[None]:
    """Load the model once (or say why there is none), and run the prediction log while serving."""
    try:
        model = load(settings.artifact_path, backend=settings.inference_backend, key=settings.signing_key())
    except ArtifactError as error:
        app.state.model, app.state.load_error = None, str(error)
        logger.error("no model: /ready and /predict answer 503", extra={"reason": app.state.load_error})
    else:
        app.state.model, app.state.load_error = model, None
        logger.info("model loaded", extra={"model_version": model.version, "backend": model.backend})
    if not settings.prediction_log:
        yield
        return
    with PredictionLog(
        settings.prediction_log_dir,
        sample=settings.prediction_log_sample,
        max_pending=settings.prediction_log_max_pending,
        flush_seconds=settings.prediction_log_flush_seconds,
        count=metrics.count_logged,
    ) as app.state.prediction_log:
        yield


def _add_probes(app: FastAPI, metrics: Metrics, loaded_model: Callable[[], TrainedModel]) -> None:
    """GET /health, /ready, /metadata and /metrics: cheap answers, never refused under load."""

    @app.get("/health")
    async def health() -> Status:
        """Liveness: the process answers. Says nothing about the model."""
        return Status(status="ok")

    @app.get("/ready", responses=NO_MODEL)
    async def ready() -> Status:
        """Readiness: 200 once a model is loaded, 503 (with the reason) until then."""
        loaded_model()
        return Status(status="ready")

    @app.get("/metadata", responses=NO_MODEL)
    async def metadata() -> Metadata:
        """What is being served: model version, training time, metrics and the input schema."""
        model = loaded_model()
        meta = model.metadata
        return Metadata(
            model_version=model.version,
            inference_backend=model.backend,
            trained_at=meta["trained_at"],
            package_version=__version__,
            trained_with_package_version=meta["package_version"],
            metrics=meta["metrics"],
            input_schema=meta["input_schema"],
            feature_names=meta["feature_names"],
        )

    @app.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def prometheus_metrics() -> Response:
        """Request counts and latencies by endpoint and status, and predictions served (Prometheus)."""
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")


def _add_decision(
    app: FastAPI,
    policy: Policy,
    columns_of: Callable[[RecordsRequest], dict[str, np.ndarray]],
    loaded_model: Callable[[], TrainedModel],
) -> None:
    """POST /<DECISION>: the decision command's answers, one per record."""
    response = decision_response_model(policy)

    async def decide(body: RecordsRequest) -> Any:
        model = loaded_model()
        decisions = policy.decide(model, columns_of(body))
        return response.model_validate({"model_version": model.version, "decisions": rows(decisions)})

    app.post(
        f"/{DECISION}",
        responses=BODY_ERRORS,
        response_model=response,
        summary=DECISION.title(),
        description=f"{DECISION_HELP} The `{DECISION}` command computes the same.",
    )(decide)


def _document_an_example(app: FastAPI) -> None:
    """Show the served model's example request (rows of its own data) in the OpenAPI docs."""
    default_openapi = app.openapi

    def openapi_with_example() -> dict[str, Any]:
        document = default_openapi()
        model: TrainedModel | None = getattr(app.state, "model", None)
        example = model.metadata.get("example_request") if model else None
        if example:
            document["components"]["schemas"]["RecordsRequest"]["example"] = {"records": example[:1]}
        return document

    app.openapi = openapi_with_example  # type: ignore[method-assign]
