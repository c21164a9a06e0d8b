"""The index and assistant assets as the tiny graph materialized them, and materialized again."""

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


def test_the_graph_promoted_a_fine_tuned_summarizer_and_summarized_every_chat(app_home_copy):
    # The app's tiny home was built by materializing the graph (tests/app_fixtures.py); what
    # the summarizer run recorded is read back from its MLflow store.
    tracking = MlflowTrackingResource()
    champion = tracking.champion_version(SUMMARIZER_MODEL_NAME)
    assert champion is not None
    run_id = tracking.client().get_model_version(SUMMARIZER_MODEL_NAME, champion).run_id
    metrics = tracking.client().get_run(run_id).data.metrics
    assert metrics["heldout_phrasing_rougeL"] > metrics["baseline_phrasing_rougeL"]
    assert metrics["train_examples_seen"] == PRESET_BUDGETS["tiny"].neural.max_examples
    summaries = pq.read_table(summaries_path())
    assert summaries.num_rows == 60
    assert set(summaries["model_version"].to_pylist()) == {champion}
    assert set(summaries["sentiment"].to_pylist()) <= {"positive", "neutral", "negative"}


def test_materialized_again_with_nothing_changed_nothing_is_redone(app_home_copy):
    assets = [*index_defs.assets, *assistant_defs.assets]
    checks = [*index_defs.asset_checks, *assistant_defs.asset_checks]
    tracking = MlflowTrackingResource()
    resources = {
        "world": SyntheticWorldResource(raw_dir=str(app_home_copy / "raw"), preset="tiny"),
        "vector_index": VectorIndexResource(),
        "mlflow_tracking": tracking,
    }
    again = dg.AssetSelection.assets("product_index", "conversation_summaries")
    second = dg.materialize([*assets, *checks], resources=resources, selection=again)
    assert second.success
    assert all(c.passed for c in second.get_asset_check_evaluations())
    index_meta = second.asset_materializations_for_node("product_index")[0].metadata
    assert (index_meta["embedded"].value, index_meta["dagster/row_count"].value) == (0, 200)
    summaries_meta = second.asset_materializations_for_node("conversation_summaries")[0].metadata
    assert summaries_meta["summarized_now"].value == 0
    assert summaries_meta["reused"].value == 60
    assert summaries_meta["model_version"].value == tracking.champion_version(SUMMARIZER_MODEL_NAME)
