"""The `images` group: every product's picture, and the gated slayer-portrait model."""

import dataclasses
import time

from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from hashira_assets.gate import gate_check_result, gate_check_spec
from hashira_assets.images.product_images import (
    build_images_table,
    existing_images,
    product_images_path,
    write_images_table,
)
from hashira_assets.lake.arrow_tables import read_lake_table
from hashira_assets.priorities import LAST
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.torch_cpu import threads_following_idle_cores

PRODUCT_COLUMNS = ["product_id", "product_type", "breathing_style", "rarity"]


@asset(deps=["silver_products"], group_name="images", kinds={"pillow", "parquet"})
def product_images(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """One picture per published product, drawn from its type, breathing style and rarity."""
    started = time.monotonic()
    products = read_lake_table(lake, "silver", "products", PRODUCT_COLUMNS).to_pylist()
    path = product_images_path()
    table, drawn = build_images_table(products, existing_images(path), context.log.info)
    write_images_table(table, path)
    sizes = [len(b) for b in table["image"].to_pylist()]
    return MaterializeResult(
        metadata={
            "products": len(products),
            "drawn": drawn,
            "reused": len(products) - drawn,
            "mean_bytes": round(sum(sizes) / max(1, len(sizes))),
            "path": MetadataValue.path(str(path)),
            "seconds": round(time.monotonic() - started, 2),
        }
    )


class PortraitModelConfig(Config):
    steps: int | None = Field(default=None, description="Training steps (default: the preset's).")
    seed: int = Field(default=0, description="Seed of the renders, the model and the judge.")


@asset(
    # After the world (the portraits use its weapon vocabulary), so that this step, which no page
    # waits for, never takes a core before the shop's steps (`priorities`).
    deps=["products"],
    group_name="images",
    kinds={"pytorch", "mlflow"},
    op_tags=LAST,
    check_specs=[gate_check_spec("slayer_image_model")],
)
def slayer_image_model(
    context: AssetExecutionContext,
    config: PortraitModelConfig,
    world: SyntheticWorldResource,
    mlflow_tracking: MlflowTrackingResource,
) -> MaterializeResult:
    """A class-conditional diffusion model of slayer portraits (weapon type × breathing style),
    scored by a judge trained on held-out renders, registered as `hashira-slayer-portraits`."""
    # Imported here: diffusers and torch take seconds to import, and every process that loads
    # the definitions (the UI's code server, each run's worker) would pay for them.
    from hashira_assets.images.registry import GATE_METRIC, log_and_register
    from hashira_assets.images.training import (
        PORTRAIT_MODEL_NAME,
        PRESET_SETTINGS,
        train_image_model,
    )

    settings = PRESET_SETTINGS.get(world.preset, PRESET_SETTINGS["small"])
    settings = dataclasses.replace(settings, seed=config.seed)
    if config.steps is not None:
        settings = dataclasses.replace(settings, steps=config.steps)
    # It runs last, beside the steps still going: it takes the cores they leave as they finish.
    with threads_following_idle_cores() as follow_idle_cores:

        def progress(message: str) -> None:
            context.log.info(f"{message} ({follow_idle_cores()} threads)")

        trained = train_image_model(settings, progress=progress)
    registration = log_and_register(trained, settings, mlflow_tracking)
    decision = registration.decision
    context.log.info(f"{PORTRAIT_MODEL_NAME} v{registration.version}: {decision.reason}")
    return MaterializeResult(
        metadata={
            "mlflow_run_id": registration.run_id,
            "model_name": PORTRAIT_MODEL_NAME,
            "model_version": registration.version,
            "gate_metric": GATE_METRIC,
            "train_steps": settings.steps,
            **{k: round(v, 4) for k, v in trained.metrics.items()},
            **decision.as_metadata(),
        },
        check_results=[gate_check_result(decision, context.log.warning)],
    )
