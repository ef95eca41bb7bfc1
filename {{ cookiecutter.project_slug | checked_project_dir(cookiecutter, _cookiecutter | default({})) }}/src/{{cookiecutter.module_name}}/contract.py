"""What a data declaration is made of: typed columns with roles, and the rules they must obey.

The declaration itself is in `schema.py`; every other module reads it through the roles
defined here (`Schema.target`, `.time`, `.ids`, `.inputs`, `.price`), never through names.
A declaration that breaks a rule is refused when it is imported, with one line naming the column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["date", "string", "float", "int"]
#: id: identifies the entity a row is about (echoed in every output); time: when (at most one,
#: a date; the split holds out its last periods); target: what the model predicts (exactly
#: one); input: what the model may use.
Role = Literal["id", "time", "target", "input"]
#: The calendar periods a split by time can hold out.
Period = Literal["day", "week", "month", "quarter", "year"]


@dataclass(frozen=True)
class Sample:
    """Where a task's data is and how its time is split: the defaults of the settings of the
    same names (`config.Settings`), declared with the task (`task_config.SAMPLE`)."""

    data_path: Path
    split_period: Period
    validation_periods: int
    test_periods: int


class DeclarationError(ValueError):
    """The schema declaration breaks a rule; the message names the column."""


@dataclass(frozen=True)
class Column:
    """One column of the data contract: its type, role, bounds and whether it may be missing.

    `monotone` is a promise about the model: -1, its prediction never rises when this input
    rises (all else fixed); 1, it never falls; 0, no promise. The tests check it over a grid.
    """

    name: str
    kind: Kind
    description: str
    role: Role = "input"
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    max_length: int | None = None
    monotone: Literal[-1, 0, 1] = 0

    def describe_bounds(self) -> str:
        """Human-readable allowed range, used in error messages."""
        low = f">= {self.minimum:g}" if self.minimum is not None else ""
        high = f"<= {self.maximum:g}" if self.maximum is not None else ""
        return " and ".join(part for part in (low, high) if part) or "any value"

    @property
    def numeric(self) -> bool:
        return self.kind in {"float", "int"}


@dataclass(frozen=True)
class Schema:
    """The columns of the training data and the roles that tell the code what each one is for.

    `price` names the numeric input that a decision sets (the optimizer's variable), and
    `unit_cost` an optional input with the cost of one unit (the optimizer then maximizes
    profit instead of revenue).
    """

    columns: tuple[Column, ...]
    price: str | None = None
    unit_cost: str | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for column in self.columns:
            if column.name in seen:
                raise DeclarationError(f"column '{column.name}' is declared twice: each name must be unique")
            seen.add(column.name)
            _check_column(column)
        targets = [c.name for c in self.columns if c.role == "target"]
        if len(targets) != 1:
            found = f"{len(targets)}: {targets}" if targets else "none"
            raise DeclarationError(f"the schema needs exactly one column with role='target', found {found}")
        times = [c.name for c in self.columns if c.role == "time"]
        if len(times) > 1:
            raise DeclarationError(f"column '{times[1]}' is a second time column ({times}): at most one may be")
        for setting, name in (("price", self.price), ("unit_cost", self.unit_cost)):
            if name is not None and not any(c.name == name and c.role == "input" and c.numeric for c in self.columns):
                raise DeclarationError(f"{setting}='{name}' must name a numeric column with role='input'")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def target(self) -> Column:
        return next(c for c in self.columns if c.role == "target")

    @property
    def time(self) -> Column | None:
        return next((c for c in self.columns if c.role == "time"), None)

    @property
    def ids(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == "id")

    @property
    def request(self) -> tuple[Column, ...]:
        """What a prediction request carries: every column but the target."""
        return tuple(c for c in self.columns if c.role != "target")

    @property
    def monotone(self) -> dict[str, int]:
        """The inputs the model's prediction must move with in one direction, and that direction."""
        return {c.name: c.monotone for c in self.columns if c.monotone}

    def describe(self, columns: tuple[Column, ...] | None = None) -> list[dict[str, Any]]:
        """The columns as JSON-ready data: stored in the model artifact and shown by the API."""
        chosen = self.request if columns is None else columns
        return [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items()} for c in chosen]


def _check_column(column: Column) -> None:
    where = f"column '{column.name}'"
    if column.role == "time" and column.kind != "date":
        raise DeclarationError(f"{where} has role='time' but kind '{column.kind}': a time column must be a date")
    if column.monotone and (column.role != "input" or not column.numeric):
        raise DeclarationError(
            f"{where} is declared monotone, but only a numeric (float or int) input can be; it is a "
            f"{column.kind} with role '{column.role}'"
        )
    if column.role == "target" and column.nullable:
        raise DeclarationError(f"{where} is the target: it cannot be nullable")
    if (column.minimum is not None or column.maximum is not None) and not column.numeric:
        raise DeclarationError(f"{where} has bounds, but only numeric columns can")
