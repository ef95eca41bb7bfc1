"""The data declaration: the one place that names the columns and says what each is for.

Replace it with your own data's columns (see "Make it yours" in the README). Validation of
files and API requests, the split, the model's target, the monotonicity contract, the API's
request model and the price optimizer all follow from it.
"""

from __future__ import annotations

from .contract import Column, Schema

CATEGORIES = ("beverages", "dairy", "household", "snacks")

SCHEMA = Schema(
    columns=(
        Column("date", "date", "Day the price applies to (ISO 8601, YYYY-MM-DD).", role="time"),
        Column("product_id", "string", "Product identifier.", role="id", max_length=64),
        Column("category", "string", "Product category.", allowed=CATEGORIES),
        Column("price", "float", "Price charged that day.", minimum=0.01, maximum=1e6, monotone=-1),
        Column("base_price", "float", "Regular (list) price.", minimum=0.01, maximum=1e6),
        Column("promo", "int", "1 when the product is on promotion, else 0.", minimum=0, maximum=1),
        Column(
            "competitor_price",
            "float",
            "Competitor's price for the same product, if known.",
            nullable=True,
            minimum=0.01,
            maximum=1e6,
        ),
        Column("units_sold", "int", "Units sold that day.", role="target", minimum=0, maximum=1e9),
    ),
    price="price",
)
