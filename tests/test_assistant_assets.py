"""In-process materialization of the index and assistant assets with temporary stores."""

import dagster as dg
import pyarrow.parquet as pq
import pytest

from hashira_assets.assistant.definitions import defs as assistant_defs
from hashira_assets.assistant.summaries import SUMMARIZER_MODEL_NAME, summaries_path
from hashira_assets.assistant.summarizer_training import PRESET_BUDGETS
from hashira_assets.index.definitions import defs as index_defs
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.vector_index import VectorIndexResource

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
    assert meta["heldout_phrasing_rougeL"].value > meta["baseline_phrasing_rougeL"].value
    assert meta["train_examples_seen"].value == PRESET_BUDGETS["tiny"].neural.max_examples
    assert all(c.passed for c in first.get_asset_check_evaluations())
    index_meta = first.asset_materializations_for_node("product_index")[0].metadata
    assert index_meta["embedded"].value == 200
    summaries = pq.read_table(summaries_path())
    assert summaries.num_rows == 60
    assert set(summaries["sentiment"].to_pylist()) <= {"positive", "neutral", "negative"}

    # Nothing changed: the index embeds nothing and no conversation is summarized again. (The
    # summarizer is not retrained here: its gate is the shared lifecycle's, tested there.)
    again = dg.AssetSelection.assets("product_index", "conversation_summaries")
    second = dg.materialize([*assets, *checks], resources=resources, selection=again)
    assert second.success
    assert (
        second.asset_materializations_for_node("product_index")[0].metadata["embedded"].value == 0
    )
    assert (
        second.asset_materializations_for_node("conversation_summaries")[0]
        .metadata["summarized_now"]
        .value
        == 0
    )
    assert tracking.champion_version(SUMMARIZER_MODEL_NAME) == meta["model_version"].value
    assert (hashira_home / "mlflow" / "mlflow.db").exists()
