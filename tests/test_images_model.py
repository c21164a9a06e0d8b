"""The portrait model as the graph trains it at `tiny`: the asset, its gate both ways, and the
portraits the champion draws through the serving layer and the CLI."""

from __future__ import annotations

import dataclasses
import io

import dagster as dg
import pytest
from PIL import Image
from typer.testing import CliRunner

from hashira_assets.images.assets import slayer_image_model
from hashira_assets.images.registry import log_and_register
from hashira_assets.images.training import PORTRAIT_MODEL_NAME, PRESET_SETTINGS, train_image_model
from hashira_assets.raw.world_resource import SyntheticWorldResource
from hashira_cli.main import app
from hashira_serving.cache import clear_all
from hashira_serving.portraits import PortraitRequest, generate_portrait
from resources.mlflow_tracking import MlflowTrackingResource

runner = CliRunner()


def tracking_in(home) -> MlflowTrackingResource:
    return MlflowTrackingResource(
        tracking_uri=f"sqlite:///{home}/mlflow/mlflow.db",
        artifact_root=(home / "mlflow" / "artifacts").as_uri(),
    )


@pytest.fixture(scope="module")
def portrait_home(tmp_path_factory):
    """A home where `slayer_image_model` was materialized once at `tiny`."""
    home = tmp_path_factory.mktemp("portraits")
    (home / "mlflow").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHIRA_HOME", str(home))
        result = dg.materialize(
            [slayer_image_model],
            resources={
                "world": SyntheticWorldResource(raw_dir=str(home / "raw"), preset="tiny"),
                "mlflow_tracking": tracking_in(home),
            },
            raise_on_error=False,
        )
    return home, result


def test_the_asset_trains_beats_chance_and_is_promoted(portrait_home):
    _, result = portrait_home
    assert result.success
    check = next(
        ev.event_specific_data
        for ev in result.all_events
        if ev.event_type_value == "ASSET_CHECK_EVALUATION"
    )
    assert check.passed and check.metadata["gate_outcome"].value == "promoted"
    metadata = result.asset_materializations_for_node("slayer_image_model")[0].metadata
    assert metadata["model_version"].value == "1"
    # Above chance: the judge sees the requested style in the portraits more often than in
    # unconditional samples.
    assert metadata["conditional_accuracy"].value > metadata["unconditional_accuracy"].value
    assert metadata["real_style_accuracy"].value > 0.5
    assert metadata["near_copies"].value == 0


def test_the_gate_keeps_a_worse_model_out(portrait_home):
    home, _ = portrait_home
    tracking = tracking_in(home)
    # Two training steps: the champion (150 steps) is scored on this run's judge and requests.
    weak_settings = dataclasses.replace(PRESET_SETTINGS["tiny"], steps=2)
    weak = train_image_model(weak_settings)
    worse = log_and_register(weak, weak_settings, tracking)
    assert worse.decision.outcome == "kept" and worse.decision.gate_passed
    assert worse.decision.margin < 0 and worse.decision.champion_version == "1"
    assert tracking.champion_version(PORTRAIT_MODEL_NAME) == "1"
    tags = tracking.client().get_model_version(PORTRAIT_MODEL_NAME, worse.version).tags
    assert tags["gate_outcome"] == "kept"


def test_the_champion_draws_portraits_through_serving_and_the_cli(portrait_home, tmp_path):
    home, _ = portrait_home
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHIRA_HOME", str(home))
        clear_all()
        made = generate_portrait(PortraitRequest("Flame", "Nodachi", "Kyojuro", seed=4))
        assert made.generator == f"{PORTRAIT_MODEL_NAME} v1" and made.note is None
        assert Image.open(io.BytesIO(made.image_png)).size == (256, 256)
        again = generate_portrait(PortraitRequest("flame", "nodachi", "Kyojuro", seed=4))
        assert again.image_png == made.image_png
        out = tmp_path / "portrait.png"
        result = runner.invoke(app, ["portrait", "--style", "Water", "--weapon", "katana",
                                     "--out", str(out), "--seed", "1"])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"\x89PNG") and "seed 1" in result.output
        bad = runner.invoke(app, ["portrait", "--style", "Water", "--weapon", "scabbard",
                                  "--out", str(out)])  # fmt: skip
        assert bad.exit_code == 2 and "not a weapon" in bad.output
        clear_all()
