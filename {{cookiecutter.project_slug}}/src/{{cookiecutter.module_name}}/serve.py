"""The HTTP API: health, readiness and predictions, on the same scoring path as batch.

The request model is generated from the schema in `data`, so the API accepts exactly what
the data contract allows (types are strict: `true` is not a number, `"3"` is not a price).
The model is loaded once at start-up; a request never touches the disk. Every error has a
documented status and a body naming the problem: 400 malformed JSON, 413 body too large,
422 invalid input (with the field's location), 503 no model loaded.
"""

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __summary__, __version__
from .config import Settings
from .data import INPUT_COLUMNS, Column
from .features import columns_from_records
from .model import ArtifactError, DemandModel, load
from .postprocess import score
from .telemetry import Metrics, RequestTelemetry

logger = logging.getLogger(__name__)


def _iso_date(value: object) -> object:
    """Accept dates only as ISO strings (`YYYY-MM-DD`), never as numbers or timestamps."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
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
    """The body of 413 and 503 answers."""

    detail: str


class InvalidJSON(BaseModel):
    """The body of a 400 answer: where the JSON stops making sense."""

    detail: list[dict[str, Any]]


class Metadata(BaseModel):
    model_version: str
    inference_backend: str = Field(description='What computes predictions: "onnxruntime" or "scikit-learn".')
    trained_at: str
    package_version: str = Field(description="Version of the package serving the model.")
    trained_with_package_version: str
    metrics: dict[str, Any]
    input_schema: list[dict[str, Any]]
    feature_names: list[str]


NO_MODEL: dict[int | str, dict[str, Any]] = {503: {"model": Problem, "description": "No model is loaded."}}


class BodySizeLimit:
    """Refuses bodies over `max_bytes` with 413, by Content-Length or while reading a chunked body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(int(declared), scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, self._message(received))
            return message

        await self.app(scope, counting_receive, send)

    def _message(self, size: int) -> str:
        return f"request body of {size} bytes or more exceeds the limit of {self.max_bytes} bytes (max_body_bytes)"

    async def _too_large(self, size: int, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": self._message(size)}, status_code=413)(scope, receive, send)


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """422 for input that breaks the schema; 400 when the body is not JSON at all."""
    errors = jsonable_encoder(error.errors()) if isinstance(error, RequestValidationError) else []
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    for entry in errors:  # echo NaN or Infinity back as text: they are not valid JSON numbers
        if isinstance(entry.get("input"), float) and not math.isfinite(entry["input"]):
            entry["input"] = str(entry["input"])
    return JSONResponse({"detail": errors}, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. The model artifact is read once, when the app starts."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            model = load(settings.artifact_path, use_onnx=settings.use_onnx)
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
        exception_handlers={RequestValidationError: _invalid_request},
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
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
            400: {"model": InvalidJSON, "description": "The body is not valid JSON."},
            413: {"model": Problem, "description": "The body exceeds `max_body_bytes`."},
            **NO_MODEL,
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
