"""A data declaration that breaks a rule is refused when it is made, with one line naming the column."""

from __future__ import annotations

import pytest

from {{ cookiecutter.module_name }}.contract import Column, DeclarationError, Schema

TARGET = Column("y", "float", "What is predicted.", role="target")
WHEN = Column("day", "date", "When.", role="time")


@pytest.mark.parametrize(
    ("columns", "price", "message"),
    [
        ((Column("x", "float", "An input."),), None, "exactly one column with role='target', found none"),
        ((TARGET, Column("z", "float", "Another.", role="target")), None, r"found 2: \['y', 'z'\]"),
        (
            (TARGET, Column("day", "string", "When.", role="time")),
            None,
            "column 'day' has role='time' but kind 'string'",
        ),
        ((TARGET, WHEN, Column("d2", "date", "Again.", role="time")), None, "column 'd2' is a second time column"),
        ((TARGET, Column("colour", "string", "A text.", monotone=-1)), None, "column 'colour' is declared monotone"),
        ((TARGET, Column("y", "float", "Twice.")), None, "column 'y' is declared twice"),
        ((TARGET, Column("name", "string", "Text.", minimum=0)), None, "column 'name' has bounds"),
        ((TARGET,), "price", "price='price' must name a numeric column with role='input'"),
    ],
)
def test_a_broken_declaration_is_refused_naming_the_column(
    columns: tuple[Column, ...], price: str | None, message: str
) -> None:
    with pytest.raises(DeclarationError, match=message) as error:
        Schema(columns, price=price)
    assert "\n" not in str(error.value)


def test_roles_are_read_from_the_declaration() -> None:
    schema = Schema((Column("id", "string", "Who.", role="id"), WHEN, Column("x", "int", "In.", monotone=1), TARGET))
    assert schema.target.name == "y"
    assert schema.time == WHEN
    assert [c.name for c in schema.ids] == ["id"]
    assert [c.name for c in schema.request] == ["id", "day", "x"]
    assert schema.monotone == {"x": 1}
