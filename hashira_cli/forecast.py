"""The forecaster's commands: `hashira forecast` and `hashira bench forecaster`."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Annotated

import typer

from hashira_cli.assistant import bench_app


def _err(message: str) -> None:
    typer.echo(message, err=True)


def forecast(
    product: Annotated[int | None, typer.Option(help="A product id.")] = None,
    category: Annotated[
        str | None, typer.Option(help="A category (product type), e.g. Katana.")
    ] = None,
    total: Annotated[bool, typer.Option("--total", help="The whole shop.")] = False,
    days: Annotated[
        int | None, typer.Option(help="Days to show, 1 to 90 (default: all forecast days).")
    ] = None,
    path: Annotated[
        Path | None,
        typer.Option(help="A sales_forecasts file (default $HASHIRA_HOME/forecast/...)."),
    ] = None,
) -> None:
    """Print the daily sales forecast of one product, one category or the whole shop."""
    from hashira_assets.forecast.output import read_forecasts, select_forecast
    from hashira_assets.forecast.series import UnknownSeriesError
    from hashira_serving import forecasts
    from hashira_serving.errors import NotFoundError, NotMaterializedError

    if sum([product is not None, category is not None, total]) != 1:
        _err("error: give exactly one of --product ID, --category NAME or --total")
        raise typer.Exit(code=2)
    try:
        if path is not None:  # a file outside HASHIRA_HOME, e.g. one copied from a server
            frame = select_forecast(read_forecasts(path), product, category, total, days)
        else:
            level = "product" if product is not None else "category" if category else "total"
            series = str(product) if product is not None else category
            frame = forecasts.series_forecast(level, series, days)
    except (FileNotFoundError, NotMaterializedError, NotFoundError, UnknownSeriesError,
            ValueError) as exc:  # fmt: skip
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    first = frame.iloc[0]
    name = {"product": f"product {product} ({first['category']})", "category": first["series_id"]}
    typer.echo(
        f"{name.get(first['level'], 'the whole shop')}: {len(frame)} days from "
        f"{first['date']}, model {first['model']} (forecaster v{first['model_version']}, "
        f"data to {first['cutoff']})"
    )
    typer.echo(f"{'date':<12}{'units':>9}{'80% interval':>18}{'95% interval':>18}{'revenue':>13}")
    for row in frame.itertuples(index=False):
        typer.echo(
            f"{row.date!s:<12}{row.units:>9.2f}"
            f"{f'{row.units_lower_80:.0f}-{row.units_upper_80:.0f}':>18}"
            f"{f'{row.units_lower_95:.0f}-{row.units_upper_95:.0f}':>18}"
            f"{row.revenue:>13,.2f}"
        )
    typer.echo(f"{'sum':<12}{frame['units'].sum():>9.2f}{'':>36}{frame['revenue'].sum():>13,.2f}")


def _summary(report, levels) -> dict:
    """Per level, the published forecast's figures: MASE relative to the seasonal naive and
    interval coverage, averaged over the backtest folds and on the holdout (the last fold)."""
    keys = ("relative_mase", "coverage_80", "randomized_coverage_80", "coverage_95",
            "randomized_coverage_95")  # fmt: skip
    return {
        level: {
            "model": report.chosen[level],
            **{f"backtest_{k}": report.reconciled[level][k] for k in keys},
            **{f"holdout_{k}": report.holdout[level][k] for k in keys},
        }
        for level in levels
    }


@bench_app.command("forecaster")
def bench_forecaster(
    preset: Annotated[
        str, typer.Option(help="The preset materialized (through gold) under --home.")
    ] = "small",
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Where to write (default bench/results/forecaster_P.json)."),
    ] = None,
    home: Annotated[
        Path | None, typer.Option(help="HASHIRA_HOME holding raw/ and lake/ (default: env).")
    ] = None,
    folds: Annotated[int, typer.Option(help="Backtest folds.")] = 3,
    horizon: Annotated[int, typer.Option(help="Backtest and forecast horizon, days.")] = 28,
    n_jobs: Annotated[int, typer.Option(help="LightGBM threads (2 only on an idle machine).")] = 1,
    max_train_rows: Annotated[int, typer.Option(help="Cap on the global model's rows.")] = 500_000,
    n_estimators: Annotated[int, typer.Option(help="LightGBM boosting rounds.")] = 150,
    final_refit: Annotated[
        bool, typer.Option(help="Refit the final global model after calibrating it.")
    ] = True,
    real_series: Annotated[
        str,
        typer.Option(help="sktime data sets to check, comma-separated ('all', or 'none')."),
    ] = "all",
) -> None:
    """Backtest metrics per level and model (vs the oracle), fit and predict time of the final
    forecast of every series, peak memory, and the check on real series (sktime's data sets)."""
    from hashira_assets.forecast.bundle import fit_bundle, forecast_levels, make_spec
    from hashira_assets.forecast.realdata import REAL_SERIES_NAMES, real_series_benchmark
    from hashira_assets.forecast.series import LEVELS, load_oracle_units, load_sales_series
    from hashira_assets.forecast.settings import ForecastSettings
    from hashira_assets.forecast.training import backtest_all
    from hashira_assets.raw.generate import read_manifest
    from resources import settings
    from resources.lake import LakeResource

    wanted = () if real_series == "none" else REAL_SERIES_NAMES if real_series == "all" else (
        tuple(name.strip() for name in real_series.split(","))
    )  # fmt: skip
    unknown = sorted(set(wanted) - set(REAL_SERIES_NAMES))
    if unknown:
        _err(f"error: unknown data sets {unknown}; choose from {', '.join(REAL_SERIES_NAMES)}")
        raise typer.Exit(code=2)
    root = home or settings.hashira_home()
    try:
        manifest_preset = read_manifest(root / "raw")["config"]["preset"]
    except FileNotFoundError as exc:
        _err(f"error: no generated world under {root}/raw; run `hashira materialize` first")
        raise typer.Exit(code=2) from exc
    if manifest_preset != preset:
        _err(f"error: {root} holds the {manifest_preset!r} world, not {preset!r}")
        raise typer.Exit(code=2)
    lake = LakeResource(root=str(root / "lake"))
    options = ForecastSettings(
        horizon=horizon,
        folds=folds,
        n_jobs=n_jobs,
        max_rows=max_train_rows,
        n_estimators=n_estimators,
        final_refit=final_refit,
    )
    load_before = os.getloadavg()
    started = time.perf_counter()
    series = load_sales_series(lake)
    oracle = load_oracle_units(lake, series)
    load_s = time.perf_counter() - started
    _err(
        f"loaded {series.units['product'].shape[1]:,} products x {len(series.units['total'])} days"
    )
    report = backtest_all(series, options, oracle, progress=_err)
    _err("final fit and forecast of every series")
    spec = make_spec(options, report.chosen, report.reconciliation, report.intervals)
    start, cpu_start = time.perf_counter(), time.process_time()
    bundle = fit_bundle(series, spec)
    fit_s = time.perf_counter() - start
    _, predict_s = forecast_levels(bundle, series, horizon)
    final_cpu_s = time.process_time() - cpu_start
    _err(f"real series: {', '.join(wanted) or 'none'}")
    start = time.perf_counter()
    real = real_series_benchmark(wanted) if wanted else []
    real_s = time.perf_counter() - start
    result = {
        "preset": preset,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": options.to_dict(),
        "series": {level: series.units[level].shape[1] for level in LEVELS},
        "days": len(series.units["total"]),
        "load_s": load_s,
        "backtest": report.as_dict(),
        "final": {
            "fit_s": fit_s,
            "fit_s_per_level": bundle.fit_seconds,
            "predict_s": predict_s,
            "fit_and_predict_s": fit_s + predict_s,
            "fit_and_predict_cpu_s": final_cpu_s,
        },
        "summary": _summary(report, LEVELS),
        "real_series": {r.name: r.as_dict() for r in real},
        "real_series_beating_naive": f"{sum(r.beats_naive for r in real)}/{len(real)}",
        "real_series_s": real_s,
        # ru_maxrss is in KiB on Linux: the process's peak resident memory.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_s": time.perf_counter() - started,
        "cpu_s": time.process_time(),
        # What else ran: the 1-, 5- and 15-minute load averages before and after (2 cores).
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    out = json_out or Path("bench/results") / f"forecaster_{preset}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    scores = report.model_scores()
    for level in LEVELS:
        naive = scores[level]["seasonal_naive"]["mase"]
        typer.echo(
            f"{level:9s} "
            + ", ".join(
                f"{name} MASE {s['mase']:.3f} ({s['mase'] / naive:.2f}x naive)"
                for name, s in scores[level].items()
            )
            + f"; chosen {report.chosen[level]}"
        )
    for level in LEVELS:
        r = report.reconciled[level]
        typer.echo(
            f"{level:9s} reconciled ({report.reconciliation}): {r['relative_mase']:.2f}x naive, "
            f"80% coverage {r['coverage_80']:.3f} (randomized {r['randomized_coverage_80']:.3f}), "
            f"95% {r['coverage_95']:.3f} ({r['randomized_coverage_95']:.3f})"
        )
    for level, oracle_scores in report.oracle.items():
        if "oracle_median_mase" in oracle_scores:
            naive = report.holdout[level]["naive_mase"]
            model, floor = oracle_scores["model_median_mase"], oracle_scores["oracle_median_mase"]
            typer.echo(
                f"{level:9s} last fold: median MASE {model:.3f} ({model / naive:.3f}x naive); "
                f"the oracle's median {floor:.3f} ({floor / naive:.3f}x)"
            )
    typer.echo(
        f"fit {fit_s:.1f}s + predict {predict_s:.1f}s for all series; "
        f"peak memory {result['peak_rss_mib']:.0f} MiB"
    )
    for r in real:
        typer.echo(
            f"{r.name} ({r.frequency}): {r.chosen} holdout MASE {r.holdout_mase:.3f} vs seasonal "
            f"naive {r.naive_holdout_mase:.3f}" + ("" if r.beats_naive else " (does not beat it)")
        )
    typer.echo(f"wrote {out}")
