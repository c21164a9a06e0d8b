"""The loop on `tiny`, end to end: a shopper's events logged in the app's event store are landed by
the sensor, ingested into silver by `daily_ingest`, and the retrain that follows changes what the
app recommends to that shopper when its new model wins the gate, and changes nothing when the
gate keeps the champion; a champion that cannot be scored fails the retrain closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from hashira_assets.definitions import build_definitions
from hashira_assets.raw.world_config import make_config
from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.data import day_number
from hashira_assets.recommender.serving import cached_champion
from jobs.sensors import new_app_events, record_pipeline_failures, retrain_after_ingest
from resources.mlflow_tracking import MlflowTrackingResource
from tests.spark_layer import read_lake_table
from tests.support.homes import lakehouse_copy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# A crude ranker (one week of history, two trees) and a real one; both fast on `tiny`.
WEAK = {"train_weeks": 1, "n_estimators": 2, "objective": "binary", "description_embeddings": False}
STRONG = {"train_weeks": 2, "n_estimators": 60, "objective": "lambdarank",
          "description_embeddings": False}  # fmt: skip


def app_recommendations(customer: int) -> tuple[list[int], str, object]:
    """What the app shows a known shopper: the champion's top 12 (without the exploration slot,
    which is drawn per day), with the champion's version and serving state."""
    champion = cached_champion(MlflowTrackingResource())
    state = champion.model.state
    recs = champion.model.recommend(Shopper.known(state, customer), explore=False)
    return [r.product_id for r in recs], champion.version, state


def run_event(instance, run_id: str, kind: dg.DagsterEventType) -> dg.DagsterEvent:
    (entry,) = instance.all_logs(run_id, of_type=kind)
    return entry.dagster_event


def test_app_events_reach_silver_and_the_shoppers_recommendations(lakehouse, tmp_path, monkeypatch):
    home = lakehouse_copy(lakehouse.home, tmp_path / "home", monkeypatch)
    defs = build_definitions("local", preset="tiny")
    recommender = dg.AssetSelection.groups("recommender").resolve(defs.resolve_asset_graph())
    retrain_job = defs.resolve_job_def("retrain")
    app_db = defs.resources["app_database"]

    with dg.instance_for_test() as instance:

        def retrain(config: dict, tags: dict | None = None) -> dg.ExecuteInProcessResult:
            # The recommender's part of `retrain`; the forecaster and summarizer have own tests.
            return retrain_job.execute_in_process(
                instance=instance,
                asset_selection=list(recommender),
                run_config={"ops": {"recommender_model": {"config": config}}},
                tags=tags,
                raise_on_error=False,
            )

        assert retrain(WEAK).success
        # The demo shopper: an app account linked to a generated customer with a history.
        silver = read_lake_table(home, "silver", "interaction_events")
        purchases = silver[silver["event_type"] == "purchase"]
        customer = int(purchases["customer_id"].value_counts().index[0])
        app_db.create_account("tanjiro", "not-a-real-hash", "shopper", customer_id=customer)
        before, first_version, first_state = app_recommendations(customer)

        # The shopper buys three products they never touched, the day after the world's end.
        day = make_config("tiny").end_date + dt.timedelta(days=1)
        touched = set(silver.loc[silver["customer_id"] == customer, "product_id"])
        products = read_lake_table(home, "silver", "products")
        new = products[~products["product_id"].isin(touched) & (products["stock"] > 0)].head(3)
        at = [dt.datetime.combine(day, dt.time(10, minute)) for minute in (0, 5, 10)]
        ids = app_db.log_events(
            {"session_id": 9_000_000_001, "customer_id": customer, "product_id": int(p.product_id),
             "event_type": kind, "event_ts": ts, "price": float(p.price), "quantity": 1}
            for p, ts in zip(new.itertuples(), at, strict=True)
            for kind in ("view", "purchase")
        )  # fmt: skip

        # The sensor lands them (they are weeks old, past the age threshold) and asks for their day.
        tick = new_app_events(dg.build_sensor_context(instance=instance, resources=defs.resources))
        assert tick.cursor == str(ids[-1])
        (request,) = tick.run_requests
        ingest = defs.resolve_job_def("daily_ingest").execute_in_process(
            instance=instance, tags=request.tags
        )
        assert ingest.success
        silver = read_lake_table(home, "silver", "interaction_events")
        landed = silver[silver["event_id"].isin(ids)]
        assert sorted(landed["event_id"]) == ids
        assert set(landed["customer_id"]) == {customer}
        assert set(landed["event_date"].astype(str)) == {day.isoformat()}

        # The retrain that follows the successful ingest promotes a better model.
        follow = retrain_after_ingest(
            dg.build_run_status_sensor_context(
                sensor_name="retrain_after_ingest",
                dagster_instance=instance,
                dagster_run=ingest.dagster_run,
                dagster_event=run_event(instance, ingest.run_id, dg.DagsterEventType.RUN_SUCCESS),
            )
        )
        promoted = retrain(STRONG, tags=follow.tags)
        assert promoted.success
        (gate,) = [c for c in promoted.get_asset_check_evaluations()
                   if c.check_name == "beats_champion"]  # fmt: skip
        assert gate.passed and gate.metadata["promoted"].value is True, gate.metadata
        after, second_version, second_state = app_recommendations(customer)
        assert second_version != first_version
        assert after != before
        # The new champion serves from a state that has the shopper's new purchases in it.
        assert second_state.cutoff_day == day_number(day) + 1 == first_state.cutoff_day + 1
        history = pd.DataFrame(second_state.history_of(customer))
        bought_today = history[history["last_buy_day"] == day_number(day)]
        assert set(bought_today["item"]) == set(new["product_id"])
        assert not np.isin(new["product_id"], first_state.history_of(customer)["item"]).any()

        # A worse model trained on the same data is kept out: the run passes with a warning, and
        # the app keeps what it showed (the recommendations are rebuilt from the same champion).
        kept = retrain(WEAK)
        (gate,) = [c for c in kept.get_asset_check_evaluations()
                   if c.check_name == "beats_champion"]  # fmt: skip
        assert kept.success and gate.passed
        assert gate.metadata["gate_outcome"].value == "kept", gate.metadata
        assert "does not beat" in gate.metadata["reason"].value
        republished = kept.asset_materializations_for_node("user_recommendations")
        assert republished[0].metadata["model_version"].value == second_version
        assert app_recommendations(customer)[:2] == (after, second_version)

        # A champion whose stored files changed cannot be scored: the retrain fails closed, the
        # champion stays, and the failed run shows on the Models & pipeline page.
        tracking = MlflowTrackingResource()
        source = tracking.client().get_model_version("hashira-recommender", second_version).source
        stored = next(p for p in Path(source.removeprefix("file://")).rglob("*") if p.is_file())
        stored.write_bytes(stored.read_bytes() + b"\n")
        refused = retrain(STRONG)
        assert not refused.success
        assert tracking.champion_version("hashira-recommender") == second_version
        failure = run_event(instance, refused.run_id, dg.DagsterEventType.RUN_FAILURE)
        record_pipeline_failures(
            dg.build_run_status_sensor_context(
                sensor_name="record_pipeline_failures",
                dagster_instance=instance,
                dagster_run=refused.dagster_run,
                dagster_event=failure,
                resources={"app_database": app_db},
            ).for_run_failure()
        )
        (row,) = app_db.pipeline_failures().to_dict("records")
        assert row["run_id"] == refused.run_id and row["job_name"] == "retrain"
