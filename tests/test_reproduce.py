"""Data versions behind every model: each version records its input tables' content versions as
MLflow dataset inputs, and `hashira reproduce` retrains it from the same data to the same metric."""

from __future__ import annotations

import dagster as dg
import pytest
from typer.testing import CliRunner

from hashira_assets.definitions import build_definitions
from hashira_assets.lake.versions import lake_table_version, table_versions
from hashira_assets.recommender.data import SHOP_INPUTS
from hashira_assets.recommender.training import RecommenderSettings
from hashira_assets.reproduce import CannotReproduceError, reproduce, settings_from_params
from hashira_cli.main import app
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource
from tests.support.homes import lakehouse_copy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRAINING = {"train_weeks": 2, "n_estimators": 60, "description_embeddings": False}


@pytest.fixture(scope="module")
def trained_home(lakehouse, tmp_path_factory):
    """A copy of the tiny lakehouse with one recommender version trained through its asset."""
    with pytest.MonkeyPatch.context() as patch:
        home = lakehouse_copy(lakehouse.home, tmp_path_factory.mktemp("reproduce") / "home", patch)
        defs = build_definitions("local", preset="tiny")
        result = dg.materialize(
            [defs.get_assets_def("recommender_model")],
            resources=defs.resources,
            run_config={"ops": {"recommender_model": {"config": TRAINING}}},
        )
        assert result.success
        yield home, result.asset_materializations_for_node("recommender_model")[0].metadata


def test_a_version_records_the_content_versions_of_its_inputs(trained_home, monkeypatch):
    home, metadata = trained_home
    monkeypatch.setenv("HASHIRA_HOME", str(home))
    tracking = MlflowTrackingResource()
    client = tracking.client()
    run = client.get_run(metadata["mlflow_run_id"].value)
    logged = {d.dataset.name: d for d in run.inputs.dataset_inputs}
    assert set(logged) == set(SHOP_INPUTS)
    now = table_versions(LakeResource(root=str(home / "lake")), home / "raw", SHOP_INPUTS)
    for table in now:
        assert logged[table.name].dataset.digest == table.version[:32]
        assert logged[table.name].tags[0].value == "training"
    assert "silver/interaction_events" in metadata["inputs"].value


def test_reproduce_gives_the_same_map_exactly(trained_home, monkeypatch):
    home, metadata = trained_home
    monkeypatch.setenv("HASHIRA_HOME", str(home))
    out = CliRunner().invoke(app, ["reproduce", "recommender", metadata["model_version"].value])
    assert out.exit_code == 0, out.output
    assert "map12" in out.output and "reproduced exactly" in out.output
    run = MlflowTrackingResource().client().get_run(metadata["mlflow_run_id"].value)
    assert f"recorded {run.data.metrics['map12']!r}, retrained {run.data.metrics['map12']!r}" in (
        out.output
    )


def test_reproduce_refuses_when_an_input_changed(trained_home, monkeypatch):
    home, metadata = trained_home
    version = metadata["model_version"].value
    monkeypatch.setenv("HASHIRA_HOME", str(home))
    lake = LakeResource(root=str(home / "lake"))
    key = next(k for k in lake.list_keys("silver/customers") if k.endswith(".parquet"))
    original = lake.read_bytes(key)
    before = lake_table_version(lake, "silver", "customers").version
    try:
        lake.write_bytes(key, original + b"\0")
        assert lake_table_version(lake, "silver", "customers").version != before
        with pytest.raises(CannotReproduceError, match="silver/customers: recorded"):
            reproduce("recommender", version, MlflowTrackingResource(), lake, home / "raw")
        out = CliRunner().invoke(app, ["reproduce", "recommender", version])
        assert out.exit_code == 1 and "has changed since" in out.output
    finally:
        lake.write_bytes(key, original)
    assert lake_table_version(lake, "silver", "customers").version == before


def test_bad_arguments_are_refused_with_a_reason(trained_home, monkeypatch):
    monkeypatch.setenv("HASHIRA_HOME", str(trained_home[0]))
    runner = CliRunner()
    unknown = runner.invoke(app, ["reproduce", "oracle", "1"])
    assert unknown.exit_code == 2 and "unknown model 'oracle'" in unknown.output
    missing = runner.invoke(app, ["reproduce", "recommender", "99"])
    assert missing.exit_code == 2 and "not registered" in missing.output


def test_settings_come_back_typed_from_their_parameters():
    params = {"train_weeks": "3", "objective": "binary", "learning_rate": "0.1",
              "description_embeddings": "False", "chosen_objective": "binary"}  # fmt: skip
    settings = settings_from_params(RecommenderSettings, params)
    assert settings == RecommenderSettings(
        train_weeks=3, objective="binary", learning_rate=0.1, description_embeddings=False
    )
