"""The data declaration of the weekly store sales used by the template's make-it-yours test."""

from __future__ import annotations

from .contract import Column, Schema

REGIONS = ("north", "south", "east", "west", "coast")

SCHEMA = Schema(
    columns=(
        Column("week_start", "date", "Monday the week starts on.", role="time"),
        Column("store", "string", "Store code.", role="id", max_length=16),
        Column("region", "string", "Sales region of the store.", allowed=REGIONS),
        Column("unit_price", "float", "Shelf price that week.", minimum=0.01, maximum=1e4, monotone=-1),
        Column("shelf_space_m2", "float", "Shelf space given to the product.", minimum=0.1, maximum=1e4),
        Column("holiday", "int", "1 in a holiday week, else 0.", minimum=0, maximum=1),
        Column("quantity", "int", "Units sold that week.", role="target", minimum=0, maximum=1e7),
    ),
    price="unit_price",
)
