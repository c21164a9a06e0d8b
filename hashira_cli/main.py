"""The `hashira` command: what users script around the asset graph."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from hashira_assets.lakehouse import dagster_instance
from hashira_assets.progress import ThrottledProgress
from hashira_assets.raw.world_config import PRESETS, WorldConfigError, make_config
from hashira_assets.selection import partition_range_tags, resolve_selection
from hashira_cli.accounts import demo_accounts
from hashira_cli.analytics import ask_data
from hashira_cli.assistant import bench_app, summarize
from hashira_cli.battle import battle_fit
from hashira_cli.forecast import forecast
from hashira_cli.images import portrait
from hashira_cli.launch import launch
from hashira_cli.models import models_app, reproduce
from hashira_cli.pipeline_bench import bench_pipeline
from hashira_cli.recommender import recommend
from hashira_cli.recommender_bench import bench_recommender, bench_recommender_serving
from hashira_cli.stream import stream_consume
from resources import settings

app = typer.Typer(help="HashiraMart: generate the synthetic shop and run its asset graph.")

# A run over the world's days plans each asset once instead of once per asset and day (5,877
# events and 4 minutes to create the `small` run otherwise); read by Dagster when it creates a run.
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")

PresetOpt = Annotated[str, typer.Option(help=f"World size: {', '.join(PRESETS)}.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed; one seed always gives the same tables.")]


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def generate(
    preset: PresetOpt = "tiny",
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default $HASHIRA_HOME/raw).")
    ] = None,
    seed: SeedOpt = 42,
    customers: Annotated[int | None, typer.Option(help="Override the number of customers.")] = None,
    products: Annotated[int | None, typer.Option(help="Override the number of products.")] = None,
    events: Annotated[
        int | None, typer.Option(help="Override the target number of events.")
    ] = None,
    conversations: Annotated[
        int | None, typer.Option(help="Override support conversations.")
    ] = None,
    start_date: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end_date: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    corrupt_rate: Annotated[
        float, typer.Option(help="Share of event rows written with a fault (0 to 0.5).")
    ] = 0.0,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
) -> None:
    """Generate a synthetic world as partitioned Parquet tables."""
    from hashira_assets.raw.generate import generate_world, read_manifest

    try:
        config = make_config(
            preset,
            seed=seed,
            n_customers=customers,
            n_products=products,
            n_events=events,
            n_conversations=conversations,
            start_date=start_date,
            end_date=end_date,
            corrupt_rate=corrupt_rate,
        )
    except WorldConfigError as exc:
        _echo_err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    target = out or settings.raw_dir()
    _echo_err(
        f"generating {config.preset}: {config.n_customers:,} customers, {config.n_products:,} "
        f"products, ~{config.n_events:,} events, {config.start_date} to {config.end_date}, "
        f"seed {config.seed} -> {target}"
    )
    progress = None if quiet else ThrottledProgress(_echo_err, every_seconds=5)
    result = generate_world(config, target, progress=progress)
    for table, rows in result.row_counts.items():
        typer.echo(f"{table:24s} {rows:>12,} rows")
    if config.corrupt_rate:
        faults = read_manifest(result.out_dir)["injected_faults"]
        typer.echo("injected faults: " + ", ".join(f"{k}={v}" for k, v in faults.items()))
    typer.echo(f"done in {result.seconds:.1f}s: {result.out_dir}")


@app.command()
def materialize(
    preset: PresetOpt = "tiny",
    select: Annotated[
        str | None,
        typer.Option(help="Dagster asset selection, e.g. 'group:raw' or 'lake_raw_products+'."),
    ] = None,
    seed: SeedOpt = 42,
    log_level: Annotated[
        str, typer.Option(help="Console log level: DEBUG, INFO, WARNING.")
    ] = "INFO",
) -> None:
    """Materialize the asset graph in-process against $HASHIRA_HOME."""
    import dagster as dg

    from hashira_assets.definitions import build_definitions

    if preset not in PRESETS:
        _echo_err(f"error: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        raise typer.Exit(code=2)
    defs = build_definitions(preset=preset, seed=seed)
    assets = list(defs.assets or [])
    instance = dagster_instance()
    _echo_err(
        f"materializing {select or 'the whole graph'} at preset {preset!r} into "
        f"{settings.hashira_home()}"
    )
    selection = None
    if select:
        try:
            selection = resolve_selection(select, assets)
        except dg.DagsterError as exc:
            _echo_err(f"error: cannot use selection {select!r}: {str(exc).splitlines()[0]}")
            raise typer.Exit(code=2) from exc
        if not selection:
            _echo_err(f"error: selection {select!r} matches no assets")
            raise typer.Exit(code=2)
    result = dg.materialize(
        assets,
        resources=defs.resources,
        selection=selection,
        instance=instance,
        tags=partition_range_tags(make_config(preset, seed=seed)),
        # Step-by-step DEBUG events belong in the Dagster UI; the terminal shows INFO and above.
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
    keys = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
    for key in keys:
        typer.echo(f"materialized {key}")
    if not result.success:
        _echo_err("error: the run failed; see the log above or the Dagster UI")
        raise typer.Exit(code=1)
    typer.echo(f"{len(keys)} assets materialized")


@app.command("dagster-yaml")
def dagster_yaml(
    home: Annotated[
        Path | None, typer.Option(help="Instance folder (default $DAGSTER_HOME).")
    ] = None,
) -> None:
    """Write the Dagster instance's dagster.yaml: SQLite storage under it, or PostgreSQL when
    DAGSTER_PG_URL or DAGSTER_POSTGRES_HOST is set."""
    from hashira_assets.lakehouse import dagster_storage, write_dagster_yaml

    target = home or os.environ.get("DAGSTER_HOME")
    if not target:
        _echo_err("error: set DAGSTER_HOME or pass --home")
        raise typer.Exit(code=2)
    try:
        path = write_dagster_yaml(Path(target))
    except ValueError as exc:
        _echo_err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    storage = "PostgreSQL" if dagster_storage(os.environ) else "SQLite"
    typer.echo(f"{path}: {storage} storage")


@app.command("spark-classes")
def spark_classes() -> None:
    """Write the Spark driver's class-data archive once per environment (`make setup` and
    `make demo` start this in the background): later Spark sessions map it in and start faster."""
    from resources.spark_classes import write_class_archive

    try:
        write_class_archive(progress=typer.echo)
    except RuntimeError as exc:
        _echo_err(f"error: {exc}")
        raise typer.Exit(code=1) from exc


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the REST API with uvicorn (docs at /docs)."""
    import uvicorn

    _echo_err(f"HashiraMart API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run("hashira_api.main:app", host=host, port=port, workers=workers, log_level="info")


# The AI assistant's commands live in their own module; `bench` is a sub-app other domains extend.
app.command()(summarize)
app.command()(recommend)
app.command()(forecast)
app.command("battle-fit")(battle_fit)
app.command("stream-consume")(stream_consume)
app.command("demo-accounts")(demo_accounts)
app.command("ask-data")(ask_data)
app.command()(reproduce)
app.command()(portrait)
app.command()(launch)
bench_app.command("pipeline")(bench_pipeline)
bench_app.command("recommender")(bench_recommender)
bench_app.command("recommender-serving")(bench_recommender_serving)
app.add_typer(bench_app, name="bench")
app.add_typer(models_app, name="models")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
