"""The example's generator: the embedded sample, a deterministic synthetic demand dataset.

It depends on nothing else in the package, and nothing but the example's tests
(tests/test_example.py) uses it: delete both when your own data replaces the sample.

Demand falls with price by construction (constant price elasticity per category), with
yearly seasonality, a weekly pattern, promotion lift, a competitor-price effect and
Poisson noise. Product `i` has the same attributes whatever the number of rows asked for,
so a 5 M-row file is the same distribution as the shipped sample, only longer and wider.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = np.datetime64("2024-01-01")
DAYS = 365
#: Per category: (log base demand, price elasticity, typical base price).
CATEGORY_PROFILE = {
    "beverages": (3.4, -1.6, 2.5),
    "dairy": (3.1, -1.1, 3.0),
    "household": (2.3, -0.8, 9.0),
    "snacks": (3.0, -2.2, 3.5),
}
WEEKDAY_EFFECT = np.array([-0.10, -0.08, -0.05, 0.0, 0.08, 0.20, 0.12])  # Monday .. Sunday
PROMO_LIFT = 0.30
COMPETITOR_ELASTICITY = -0.6
CATEGORIES = tuple(CATEGORY_PROFILE)


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    """Return `rows` rows of daily sales, ordered by date then product, over one year."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    n_products = -(-rows // DAYS)
    products = _products(n_products, seed)
    day = np.repeat(np.arange(DAYS), n_products)[:rows]
    product = np.tile(np.arange(n_products), DAYS)[:rows]
    rng = np.random.default_rng([seed, n_products])

    category = products["category"][product]
    base_price = products["base_price"][product]
    promo = (rng.random(rows) < 0.12).astype(np.int64)
    shelf_change = np.clip(rng.normal(1.0, 0.06, rows), 0.85, 1.2)
    discount = rng.uniform(0.7, 0.9, rows)
    price = np.round(base_price * np.where(promo == 1, discount, shelf_change), 2)
    competitor = np.round(base_price * rng.uniform(0.85, 1.15, rows), 2)
    competitor[rng.random(rows) < 0.1] = np.nan

    profile = np.array([CATEGORY_PROFILE[c] for c in CATEGORIES])
    cat_index = np.searchsorted(np.array(CATEGORIES), category)
    dates = START + day
    weekday = (dates.astype("datetime64[D]").astype(np.int64) + 3) % 7
    log_mean = (
        profile[cat_index, 0]
        + products["level"][product]
        + profile[cat_index, 1] * np.log(price / base_price)
        - 0.3 * np.log(base_price / profile[cat_index, 2])
        + PROMO_LIFT * promo
        + COMPETITOR_ELASTICITY * np.nan_to_num(np.log(price / competitor))
        + 0.25 * np.sin(2 * np.pi * (day - 80) / DAYS)
        + WEEKDAY_EFFECT[weekday]
    )
    units = rng.poisson(np.exp(log_mean))
    return pd.DataFrame(
        {
            "date": np.datetime_as_string(dates, unit="D"),
            "product_id": products["product_id"][product],
            "category": category,
            "price": price,
            "base_price": base_price,
            "promo": promo,
            "competitor_price": competitor,
            "units_sold": units.astype(np.int64),
        }
    )


def _products(n_products: int, seed: int) -> dict[str, np.ndarray]:
    """Attributes of products 0..n-1, each drawn from its own seeded stream."""
    rngs = [np.random.default_rng([seed, i]) for i in range(n_products)]
    category = np.array([CATEGORIES[i % len(CATEGORIES)] for i in range(n_products)])
    typical = np.array([CATEGORY_PROFILE[c][2] for c in category])
    return {
        "product_id": np.array([f"P{i:05d}" for i in range(n_products)]),
        "category": category,
        "base_price": np.round(typical * np.array([rng.lognormal(0.0, 0.25) for rng in rngs]), 2),
        "level": np.array([rng.normal(0.0, 0.2) for rng in rngs]),
    }
