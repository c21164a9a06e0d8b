"""In-process materialization of the index and assistant assets with temporary stores."""

import dagster as dg
import pyarrow.parquet as pq
import pytest

from hashira_assets.assistant.definitions import defs as assistant_defs
from hashira_assets.assistant.summaries import (
    SUMMARIZER_MODEL_NAME,
    summaries_path,
    train_and_register,
)
from hashira_assets.index.definitions import defs as index_defs
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.vector_index import VectorIndexResource
from tests.support.gate import assert_gate_both_ways

pytestmark = pytest.mark.slow


def test_materialize_index_and_summaries_twice(tiny_world, hashira_home, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assets = [*index_defs.assets, *assistant_defs.assets]
    checks = [*index_defs.asset_checks, *assistant_defs.asset_checks]
    tracking = MlflowTrackingResource()
    resources = {
        "world": SyntheticWorldResource(raw_dir=str(tiny_world.out_dir)),
        "vector_index": VectorIndexResource(),
        "mlflow_tracking": tracking,
    }
    first = dg.materialize([*assets, *checks], resources=resources)
    assert first.success
    meta = first.asset_materializations_for_node("summarizer_model")[0].metadata
    assert meta["promoted"].value is True
    assert meta["heldout_rougeL"].value > meta["baseline_rougeL"].value
    assert all(c.passed for c in first.get_asset_check_evaluations())
    index_meta = first.asset_materializations_for_node("product_index")[0].metadata
    assert index_meta["embedded"].value == 200
    summaries = pq.read_table(summaries_path())
    assert summaries.num_rows == 200
    assert set(summaries["sentiment"].to_pylist()) <= {"positive", "neutral", "negative"}

    second = dg.materialize([*assets, *checks], resources=resources)
    assert second.success
    meta2 = second.asset_materializations_for_node("summarizer_model")[0].metadata
    # Same data, same seed: the new version ties and must not replace the champion.
    assert meta2["promoted"].value is False
    assert tracking.champion_version(SUMMARIZER_MODEL_NAME) == meta["model_version"].value
    assert (
        second.asset_materializations_for_node("product_index")[0].metadata["embedded"].value == 0
    )
    assert (
        second.asset_materializations_for_node("conversation_summaries")[0]
        .metadata["summarized_now"]
        .value
        == 0
    )
    assert (hashira_home / "mlflow" / "mlflow.db").exists()


def test_the_summarizer_gate_both_ways_through_the_shared_lifecycle(tiny_world, tmp_path):
    tracking = MlflowTrackingResource(
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_root=(tmp_path / "art").as_uri()
    )
    raw = tiny_world.out_dir
    first, *_ = assert_gate_both_ways(
        tracking,
        SUMMARIZER_MODEL_NAME,
        register_worse=lambda: train_and_register(raw, tracking, max_train=8, seed=0),
        register_better=lambda: train_and_register(raw, tracking, max_train=None, seed=0),
    )
    # A first champion must beat the lead-sentence baseline (the gate's floor).
    assert first.decision.candidate_score > first.baseline["rougeL"]
