"""The API's messages, derived from the schema and the post-processing, never hand-written.

A request record has one field per `SCHEMA.request` column with its bounds and strict typing
(`true` is not a number, `"3"` is not a price); a prediction or a decision has one field per
output `postprocess` declares, so a change to the schema or the outputs changes the API with it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from .columns import OutputFields
from .contract import Column
from .postprocess import Policy, prediction_fields
from .schema import SCHEMA
from .task_config import DECISION
from .validation import INPUT_COLUMNS, parse_date


def _iso_date(value: object) -> object:
    """Dates by the rule of the data files (`validation.parse_date`): `YYYY-MM-DD` text, nothing else."""
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


def _output_model(name: str, outputs: OutputFields) -> type[BaseModel]:
    """A response item: the record's ids, then the outputs `postprocess` declares, described."""
    python = {"string": str, "int": int, "float": float, "date": date}
    fields: dict[str, Any] = {c.name: (python[c.kind], Field(description=c.description)) for c in SCHEMA.ids}
    fields |= {key: (kind, Field(description=text)) for key, (kind, text) in outputs.items()}
    return create_model(name, **fields)


def decision_response_model(policy: Policy) -> type[BaseModel]:
    """The body of a decision's answer (`POST /<DECISION>`): one decision per record."""
    decision: Any = _output_model("Decision", policy.decision_fields())
    name = f"{DECISION.title()}Response"
    return create_model(name, model_version=(str, ...), decisions=(list[decision], ...))


if TYPE_CHECKING:  # the type checker cannot see models built at run time: to it they are BaseModels
    Record = BaseModel
    Prediction = BaseModel
else:
    Record = _record_model()
    Prediction = _output_model("Prediction", prediction_fields())


class RecordsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[Record] = Field(min_length=1, description="Rows to score, 1 to `max_records` of them.")


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
    inference_backend: str = Field(description='What computes predictions: "numpy", "onnxruntime" or "scikit-learn".')
    trained_at: str
    package_version: str = Field(description="Version of the package serving the model.")
    trained_with_package_version: str
    metrics: dict[str, Any]
    input_schema: list[dict[str, Any]]
    feature_names: list[str]
