"""Write the example's kind of data with another size, date range, period and set of products.

Run with a baked default project's Python: `python other_data.py OUTPUT.csv`. The e2e test
points `data_path` at the result and runs that project's test suite unchanged.
"""

from __future__ import annotations

import sys

import pandas as pd

from demand_model.synthetic import generate


def main(output: str) -> None:
    frame = generate(rows=5200, seed=11)  # 15 products, another seed
    dates = pd.to_datetime(frame["date"]) + pd.Timedelta(days=400)
    frame = frame.assign(date=dates.dt.strftime("%Y-%m-%d"), product_id="SKU-" + frame["product_id"])
    frame[dates.dt.day_of_week == 0].to_csv(output, index=False)  # weekly: Mondays only


if __name__ == "__main__":
    main(sys.argv[1])
