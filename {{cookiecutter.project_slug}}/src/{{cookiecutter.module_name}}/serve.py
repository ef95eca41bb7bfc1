"""The HTTP API: health, readiness and predictions, on the same scoring path as batch.

The request model is generated from the schema in `data`, so the API accepts exactly what
the data contract allows (types are strict: `true` is not a number, `"3"` is not a price).
The model is loaded once at start-up; a request never touches the disk.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from . import __summary__, __version__
from .config import Settings
from .data import INPUT_COLUMNS, Column
from .features import columns_from_records
from .model import ArtifactError, DemandModel, load
from .postprocess import score


def _iso_date(value: object) -> object:
    """Accept dates only as ISO strings (`YYYY-MM-DD`), never as numbers or timestamps."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date string in the form YYYY-MM-DD")


def _annotation(column: Column) -> Any:
    """The pydantic type of one schema column, with its bounds and strict typing."""
    field = Field(
        description=column.description,
        gt=column.exclusive_minimum,
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
    return Annotated[base | None if column.nullable else base, strict, field]


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
    records: list[Record] = Field(min_length=1, description="Rows to score; at most `max_records`.")


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
    detail: str | None = None


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. The model artifact is read once, when the app starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            app.state.model = load(settings.artifact_path)
            app.state.load_error = None
        except ArtifactError as error:
            app.state.model, app.state.load_error = None, str(error)
        yield

    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description=__summary__,
        version=__version__,
        lifespan=lifespan,
    )

    def loaded_model(request: Request) -> DemandModel:
        model: DemandModel | None = request.app.state.model
        if model is None:
            raise HTTPException(503, f"model not loaded: {request.app.state.load_error}")
        return model

    @app.get("/health", response_model=Status)
    async def health() -> Status:
        """Liveness: the process answers. Says nothing about the model."""
        return Status(status="ok")

    @app.get("/ready", response_model=Status, responses={503: {"model": Status}})
    async def ready(request: Request) -> Any:
        """Readiness: 200 once a model is loaded, 503 (with the reason) until then."""
        if request.app.state.model is None:
            raise HTTPException(503, f"model not loaded: {request.app.state.load_error}")
        return Status(status="ready")

    @app.post("/predict", response_model=PredictResponse, responses={503: {"description": "No model loaded."}})
    async def predict(body: PredictRequest, model: Annotated[DemandModel, Depends(loaded_model)]) -> PredictResponse:
        """Expected demand, whole units and revenue for each record, in order."""
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
