"""The HTTP API: health, readiness and predictions, on the same scoring path as batch.

The request model is generated from the schema in `data`, so the API accepts exactly what
the data contract allows (types are strict: `true` is not a number, `"3"` is not a price).
The model is loaded once at start-up; a request never touches the disk. Every error has a
documented status and a body naming the problem: 400 malformed JSON (a duplicated key
included), 408 body too slow, 413 body too large, 415 not JSON, 422 invalid input (with the
field's location), 503 no model loaded.
"""

import logging
import math
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __summary__, __version__
from .artifact import ArtifactError, load
from .config import Settings
from .data import INPUT_COLUMNS, Column, parse_date
from .features import columns_from_records
from .guards import RequestGuard, parse_json
from .model import DemandModel
from .postprocess import score
from .telemetry import Metrics, RequestTelemetry

logger = logging.getLogger(__name__)


def _iso_date(value: object) -> object:
    """Dates by the rule of the data files (`data.parse_date`): `YYYY-MM-DD` text, nothing else."""
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError("must be a date string in the form YYYY-MM-DD")


def _whole_number(value: object) -> object:
    """JSON has one number type: accept 3 and 3.0 as the integer 3, refuse 3.5, `true` and "3"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _annotation(column: Column) -> Any:
    """The pydantic type of one schema column, with its bounds and strict typing."""
    field = Field(
        description=column.description,
        ge=column.minimum,
        le=column.maximum,
        min_length=1 if column.kind == "string" else None,  # empty text is "missing" in a file too
        max_length=column.max_length,
    )
    if column.kind == "date":
        return Annotated[date, BeforeValidator(_iso_date), field]
    if column.allowed is not None:
        return Annotated[Literal[column.allowed], field]
    base: Any = {"string": str, "float": float, "int": int}[column.kind]
    strict = Field(strict=True, allow_inf_nan=False) if column.kind == "float" else Field(strict=True)
    typed: Any = Annotated[base | None if column.nullable else base, strict, field]
    return Annotated[typed, BeforeValidator(_whole_number)] if column.kind == "int" else typed


def _record_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        c.name: (_annotation(c), None) if c.nullable else (_annotation(c), ...) for c in INPUT_COLUMNS
    }
    return create_model("Record", __config__=ConfigDict(extra="forbid"), **fields)


if TYPE_CHECKING:  # the type checker cannot see a model built at run time: to it, a Record is a BaseModel
    Record = BaseModel
else:
    Record = _record_model()


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[Record] = Field(min_length=1, description="Rows to score, 1 to `max_records` of them.")


class Prediction(BaseModel):
    product_id: str
    expected_units: float = Field(description="Expected units sold (model output, clipped at 0).")
    units: int = Field(description="Demand in whole units.")
    revenue: float = Field(description="units * price.")


class PredictResponse(BaseModel):
    model_version: str
    predictions: list[Prediction]


class Status(BaseModel):
    status: str


class Problem(BaseModel):
    """The body of 408, 413, 415 and 503 answers."""

    detail: str


class InvalidJSON(BaseModel):
    """The body of a 400 answer: where the JSON stops making sense."""

    detail: list[dict[str, Any]]


class Metadata(BaseModel):
    model_version: str
    inference_backend: str = Field(description='What computes predictions: "numpy" or "onnxruntime".')
    trained_at: str
    package_version: str = Field(description="Version of the package serving the model.")
    trained_with_package_version: str
    metrics: dict[str, Any]
    input_schema: list[dict[str, Any]]
    feature_names: list[str]


NO_MODEL: dict[int | str, dict[str, Any]] = {503: {"model": Problem, "description": "No model is loaded."}}


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
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            model = load(settings.artifact_path, backend=settings.inference_backend, key=settings.signing_key())
        except ArtifactError as error:
            app.state.model, app.state.load_error = None, str(error)
            logger.error("no model: /ready and /predict answer 503", extra={"reason": app.state.load_error})
        else:
            app.state.model, app.state.load_error = model, None
            logger.info("model loaded", extra={"model_version": model.version, "backend": model.backend})
        yield

    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description=__summary__,
        version=__version__,
        lifespan=lifespan,
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

    def loaded_model() -> DemandModel:
        """The served model, or 503 saying why there is none. A plain call, not a FastAPI
        dependency: on the hot path, dependency resolution would cost more than the check."""
        model: DemandModel | None = app.state.model
        if model is None:
            raise HTTPException(503, f"model not loaded: {app.state.load_error}")
        return model

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

    @app.post(
        "/predict",
        responses={
            400: {"model": InvalidJSON, "description": "The body is not valid JSON (or repeats a key)."},
            408: {"model": Problem, "description": "The body did not arrive within `body_timeout_seconds`."},
            413: {"model": Problem, "description": "The body exceeds `max_body_bytes`."},
            415: {"model": Problem, "description": "The body is not `application/json` (UTF-8, uncompressed)."},
            503: {"model": Problem, "description": "No model is loaded, or `max_concurrent_requests` are in progress."},
        },
    )
    async def predict(body: PredictRequest) -> PredictResponse:
        """Expected demand, whole units and revenue for each record, in order."""
        model = loaded_model()
        if len(body.records) > settings.max_records:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", "records"),
                        "msg": f"List should have at most {settings.max_records} items, not {len(body.records)}",
                        "input": None,
                    }
                ]
            )
        outputs = score(model, columns_from_records([r.model_dump() for r in body.records]))
        metrics.predictions.inc(len(body.records))
        predictions = [
            Prediction(product_id=p, expected_units=e, units=u, revenue=r)
            for p, e, u, r in zip(
                outputs["product_id"].tolist(),
                outputs["expected_units"].tolist(),
                outputs["units"].tolist(),
                outputs["revenue"].tolist(),
                strict=True,
            )
        ]
        return PredictResponse(model_version=model.version, predictions=predictions)

    return app
