"""Benchmark the forecaster at a number of product series no preset world here holds ready:
backtest every level (as `forecaster_model` does), fit the chosen models on all history and
forecast every series, on synthetic sales series of `hm`'s shape.

Usage: python bench/bench_forecast_scale.py --products 105000 [--days 730] [--json OUT]

The series are Poisson counts with a weekly cycle, a per-product rate (gamma, mean 0.4 units a
day: `hm`'s 31.8M purchases over 105k products and 730 days), staggered launches and 28-day
promotions, in 16 categories. They measure time and memory, not forecast quality: quality is
`hashira bench forecaster` on a generated world, whose truth is known.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hashira_assets.forecast import groups
from hashira_assets.forecast.bundle import fit_bundle, forecast_levels, make_spec
from hashira_assets.forecast.series import (
    LEVELS,
    SalesSeries,
    aggregate_products,
    daily_index,
)
from hashira_assets.forecast.settings import ForecastSettings
from hashira_assets.forecast.training import backtest_all
from hashira_assets.raw.calendar import FUTURE_DAYS

WEEKLY = np.array([0.85, 0.88, 0.92, 0.95, 1.05, 1.30, 1.25])
CATEGORIES = 16


def synthetic_series(n_products: int, n_days: int, seed: int = 0) -> SalesSeries:
    """Sparse daily product sales with launches and promotions, summed to categories and total."""
    rng = np.random.default_rng(seed)
    index = daily_index(
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01") + pd.Timedelta(days=n_days - 1)
    )
    full = daily_index(index[0], index[-1] + pd.Timedelta(days=FUTURE_DAYS))
    ids = [str(i) for i in range(1, n_products + 1)]
    category = np.array([f"type_{i % CATEGORIES:02d}" for i in range(n_products)])
    launch_day = np.where(rng.random(n_products) < 0.8, -rng.integers(1, 365, n_products),
                          rng.integers(0, n_days, n_products))  # fmt: skip
    discounts = np.zeros((len(full), n_products), dtype="float32")
    promoted = rng.choice(n_products, size=n_products // 5, replace=False)
    starts = rng.integers(0, len(full) - 28, len(promoted))
    for column, start in zip(promoted, starts, strict=True):
        discounts[start : start + 28, column] = 0.2
    rate = rng.gamma(0.5, 0.8, n_products).astype("float32")
    units = np.empty((n_days, n_products), dtype="float64")
    for day in range(n_days):  # row by row: 105k x 730 Poisson draws at once would need 2x memory
        lam = rate * WEEKLY[index[day].weekday()] * (1 + 2 * discounts[day])
        units[day] = np.where(launch_day <= day, rng.poisson(lam), 0)
    products = pd.DataFrame(
        {
            "category": category,
            "launch_date": index[0] + pd.to_timedelta(launch_day, unit="D"),
            "price": 50.0,
            "category_code": np.arange(n_products) % CATEGORIES,
            "rarity_code": 0,
            "department_code": 1,
            "log_relative_price": rng.normal(0, 0.3, n_products),
        },
        index=pd.Index(ids, dtype="object", name="series_id"),
    )
    product_units = pd.DataFrame(units, index=index, columns=pd.Index(ids, dtype="object"))
    levels = aggregate_products(product_units, products["category"])
    calendar = pd.DataFrame({"festival": 0, "is_festival": 0}, index=full)
    return SalesSeries(
        units=levels,
        revenue=levels,
        products=products,
        calendar=calendar,
        discounts=pd.DataFrame(
            discounts.astype("float64"), index=full, columns=product_units.columns
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=105_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--max-group-series", type=int, default=0, help="Series per model (default: the project's)."
    )
    args = parser.parse_args()
    if args.products < 1 or args.days < 3 * ForecastSettings().horizon:
        parser.error(f"need at least 1 product and {3 * ForecastSettings().horizon} days")
    out = args.json or Path("bench/results") / f"forecaster_scale_{args.products}.json"
    if args.max_group_series:
        groups.MAX_GROUP_SERIES = args.max_group_series

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    started = time.perf_counter()
    series = synthetic_series(args.products, args.days)
    build_s = time.perf_counter() - started
    say(f"{args.products:,} products x {args.days} days built in {build_s:.0f} s")
    settings = ForecastSettings()
    report = backtest_all(series, settings, progress=say)
    say("final fit and forecast of every series")
    spec = make_spec(settings, report.chosen, report.reconciliation, report.intervals)
    start = time.perf_counter()
    bundle = fit_bundle(series, spec)
    fit_s = time.perf_counter() - start
    forecasts, predict_s = forecast_levels(bundle, series, settings.horizon)
    with tempfile.TemporaryDirectory() as folder:
        bundle.save(Path(folder))
        bundle_mib = (Path(folder) / "forecaster.joblib").stat().st_size / 2**20
    scores = report.model_scores()
    result = {
        "data": "synthetic series of hm's shape (see the script's docstring); times, not quality",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "series": {level: series.units[level].shape[1] for level in LEVELS},
        "days": args.days,
        "max_group_series": groups.MAX_GROUP_SERIES,
        "settings": settings.to_dict(),
        "build_s": build_s,
        "backtest_s": report.seconds,
        "backtest_fit_predict_s": {
            level: {
                name: sum(f.fit_seconds + f.predict_seconds for f in mb.folds)
                for name, mb in models.items()
            }
            for level, models in report.results.items()
        },
        "chosen": report.chosen,
        "product_mase": {name: s["mase"] for name, s in scores["product"].items()},
        "final": {
            "fit_s": fit_s,
            "fit_s_per_level": bundle.fit_seconds,
            "predict_s": predict_s,
            "fit_and_predict_s": fit_s + predict_s,
        },
        "forecast_shape": list(forecasts["product"].mean.shape),
        "bundle_mib": bundle_mib,
        # ru_maxrss is in KiB on Linux: the process's peak resident memory.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_s": time.perf_counter() - started,
        "cpu_s": time.process_time(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    final_s = fit_s + predict_s
    say(f"wrote {out}: backtest {report.seconds:.0f} s, final fit + forecast {final_s:.0f} s")


if __name__ == "__main__":
    main()
