"""The recommender on the tiny lakehouse: no leakage, candidates, modes, the gate both ways,
the assets and the command."""

from __future__ import annotations

import dataclasses

import dagster as dg
import lightgbm as lgb
import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hashira_assets.recommender.candidates import Shopper, generate_candidates
from hashira_assets.recommender.data import PURCHASE, load_shop_data
from hashira_assets.recommender.model import LAUNCH_REASON, RecommenderModel
from hashira_assets.recommender.ranker import RankerParams, TrainingSet, fit_ranker
from hashira_assets.recommender.recommendations import recommendations_table
from hashira_assets.recommender.registry import evaluate_booster, log_and_register
from hashira_assets.recommender.serving import parse_profile
from hashira_assets.recommender.training import (
    RECOMMENDER_MODEL_NAME,
    RecommenderSettings,
    serving_model,
    train_recommender,
)
from hashira_cli.main import app
from resources.mlflow_tracking import MlflowTrackingResource
from tests.support.gate import assert_gate_both_ways

pytestmark = pytest.mark.integration

FAST = RecommenderSettings(train_weeks=2, n_estimators=60, description_embeddings=False)


@pytest.fixture(scope="module")
def shop(lakehouse):
    return load_shop_data(lakehouse.lake, lakehouse.world.path)


@pytest.fixture(scope="module")
def trained(shop, lakehouse):
    return train_recommender(shop, lakehouse.world.path, FAST)


def test_ranker_beats_popularity_and_reports_every_ranking(trained):
    results = trained.results
    assert set(results) == {
        "top_popular", "popularity_repurchase", "als", "ranker_only", "model", "oracle",
    }  # fmt: skip
    assert results["model"]["map"] > results["top_popular"]["map"]
    # The oracle ranks by the true probabilities: nothing should beat it by much.
    assert results["oracle"]["map"] >= results["model"]["map"] * 0.9
    assert 0 < trained.recalls["recall_all_sources"] <= 1
    assert trained.objective_choice.keys() == {
        "holdout_map_lambdarank", "holdout_map_binary",
        "holdout_rounds_lambdarank", "holdout_rounds_binary",
    }  # fmt: skip
    assert (
        trained.params.n_estimators
        == trained.objective_choice[f"holdout_rounds_{trained.params.objective}"]
    )


def test_the_table_holds_what_a_request_for_each_customer_gets(trained, shop):
    # The table scores its customers in batches (ALS scores in blocks of 64, one ranker call
    # for many); a request scores one. Both must give the same products, scores and reasons.
    model = RecommenderModel(trained.eval_state, trained.booster, shop.products["name"])
    known = model.state.user_ids[model.state.user_known]
    customers = known[:: max(len(known) // 150, 1)][:150]
    assert len(customers) > 64
    table = recommendations_table(model, customers, "v").to_pylist()
    expected = [
        (int(c), r.rank, r.product_id, np.float32(r.score), r.reason, r.explored)
        for c in customers
        for r in model.recommend(Shopper.known(model.state, int(c)))
    ]
    got = [
        (row["customer_id"], row["rank"], row["product_id"], np.float32(row["score"]),
         row["reason"], row["explored"])
        for row in table
    ]  # fmt: skip
    assert got == expected


def test_recommendations_have_reasons_and_a_reproducible_exploration_slot(trained, shop):
    model = RecommenderModel(trained.eval_state, trained.booster, shop.products["name"])
    customer = sorted(trained.actual)[0]
    first = model.recommend(Shopper.known(model.state, customer), day=100)
    again = model.recommend(Shopper.known(model.state, customer), day=100)
    assert [r.product_id for r in first] == [r.product_id for r in again]
    assert [r.rank for r in first] == list(range(1, 13))
    assert len({r.product_id for r in first}) == 12
    assert all(r.reason for r in first)
    explored = [r.explored for r in first]
    # The last slot explores, or the one before it when the last is the launch slot.
    last = 10 if first[-1].reason == LAUNCH_REASON else 11
    assert explored[:last] == [False] * last and not any(explored[last + 1 :])


def test_the_launch_slot_gives_the_last_place_to_the_best_ranked_launch(trained, shop):
    names = shop.products["name"]
    plain = RecommenderModel(trained.eval_state, trained.booster, names, launch_slot=False)
    model = RecommenderModel(trained.eval_state, trained.booster, names)
    shopper = Shopper.known(model.state, sorted(trained.actual)[0])
    cands, scores = plain.score(shopper)
    order = cands.items[np.lexsort((cands.items, -scores))]
    assert len(order) > 20
    # This week's launches, as the shop publishes them: two candidates ranked below the top 12.
    model.launching = np.zeros_like(model.launching)
    model.launching[order[[20, 15]]] = True
    assert model.rank(shopper) == [*order[:11].tolist(), int(order[15])]
    assert plain.rank(shopper) == order[:12].tolist()
    listed = model.recommend(shopper, explore=False)
    assert listed[-1].product_id == order[15] and listed[-1].reason == LAUNCH_REASON
    explored = model.recommend(shopper, day=100)
    assert explored[-1].product_id == order[15] and not explored[-1].explored
    assert not any(r.explored for r in explored[:10])
    assert len({r.product_id for r in explored}) == 12
    lists = model.evaluation_lists_many([shopper])[0]
    assert lists["ranker_only"] == plain.rank(shopper)
    assert lists["model"] == model.rank(shopper)
    assert lists["explored"] == [r.product_id for r in model.recommend(shopper)]
    # A list that already holds a launch stays as the ranker made it.
    model.launching[order[3]] = True
    assert model.rank(shopper) == order[:12].tolist()


def test_a_repeat_buyer_is_told_to_restock(trained, shop):
    model = RecommenderModel(trained.eval_state, trained.booster, shop.products["name"])
    state = model.state
    buys = shop.events[
        (shop.events["event_type"] == PURCHASE) & (shop.events["day"] < state.cutoff_day)
    ]
    consumable = buys[state.item_consumable[buys["product_id"].to_numpy()]]
    customer = int(consumable["customer_id"].value_counts().index[0])
    recs = model.recommend(Shopper.known(state, customer), explore=False)
    bought = set(consumable.loc[consumable["customer_id"] == customer, "product_id"])
    restock = [r for r in recs if r.product_id in bought]
    assert restock and all("restock" in r.reason for r in restock)


def test_new_customer_profile_and_product_modes(trained, shop):
    model = RecommenderModel(trained.eval_state, trained.booster, shop.products["name"])
    median = float(np.median(shop.products["price"]))
    profile = parse_profile("style=Water,level=12,budget=150", median)
    viewed = tuple(int(p) for p in shop.products.index[:2])
    recs = model.recommend(Shopper(viewed=viewed, **profile))
    assert len(recs) == 12
    product = int(shop.products.index[0])
    similar = model.similar(product, 5)
    assert product not in [r.product_id for r in similar] and len(similar) == 5
    assert all(r.reason.startswith("similar to") for r in similar)
    cross = model.cross_sell([product], 5)
    assert product not in [r.product_id for r in cross]
    with pytest.raises(KeyError, match="unknown product"):
        model.similar(10**7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("style=Fire", "style must be one of"),
        ("style=Water,level=500", "level must be between"),
        ("style=Water,budget=-3", "budget must be positive"),
        ("style=Water,colour=red", "unknown profile keys"),
        ("Water", "is not key=value"),
    ],
)
def test_bad_profiles_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_profile(text, 100.0)


def test_the_gate_both_ways_through_the_shared_lifecycle(trained, shop, tmp_path):
    tracking = MlflowTrackingResource(
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_root=(tmp_path / "art").as_uri()
    )
    names = shop.products["name"]
    # A deliberately worse ranker: a few trees fitted to shuffled labels.
    state = trained.eval_state
    rows = [generate_candidates(state, Shopper.known(state, c)) for c in sorted(trained.actual)]
    features = np.vstack([r.features for r in rows])
    labels = np.random.default_rng(0).permutation(
        np.concatenate([np.isin(r.items, list(trained.actual[c]))
                        for r, c in zip(rows, sorted(trained.actual), strict=False)]).astype(float)
    )  # fmt: skip
    bad = fit_ranker(
        TrainingSet(features, labels, np.asarray([len(r.items) for r in rows])),
        RankerParams(objective="binary", n_estimators=3),
    )
    assert isinstance(bad, lgb.Booster)
    bad_map = evaluate_booster(bad, trained, names)
    assert bad_map < trained.model_map
    worse = dataclasses.replace(
        trained,
        booster=bad,
        results={**trained.results, "model": {**trained.results["model"], "map": bad_map}},
    )
    serving = RecommenderModel(state, bad, names)

    first, tie, better, kept = assert_gate_both_ways(
        tracking,
        RECOMMENDER_MODEL_NAME,
        register_worse=lambda: log_and_register(worse, serving, FAST, tracking, names),
        register_better=lambda: log_and_register(trained, serving, FAST, tracking, names),
    )
    assert first.decision.reason == "no champion yet"
    assert "ties champion" in tie.decision.reason
    # Both scored on the same evaluation window: the champion's MAP@12 is the worse ranker's.
    assert better.decision.champion_score == pytest.approx(bad_map)
    assert kept.decision.champion_score == pytest.approx(trained.model_map)


def test_assets_materialize_recommendations_for_every_customer(lakehouse, tmp_path, monkeypatch):
    from hashira_assets.definitions import build_definitions
    from hashira_assets.recommender.recommendations import recommendations_path

    monkeypatch.setenv("HASHIRA_HOME", str(tmp_path))
    defs = build_definitions("local", preset="tiny")
    tracking = MlflowTrackingResource()
    result = dg.materialize(
        [defs.get_assets_def("recommender_model"), defs.get_assets_def("user_recommendations")],
        resources={**defs.resources, "world": lakehouse.world, "lake": lakehouse.lake,
                   "mlflow_tracking": tracking},
        run_config={"ops": {"recommender_model": {"config": {
            "train_weeks": 2, "n_estimators": 60, "description_embeddings": False}}}},
    )  # fmt: skip
    assert result.success
    gate = result.get_asset_check_evaluations()[0]
    assert gate.passed and gate.check_name == "beats_champion"
    table = pq.read_table(recommendations_path()).to_pandas()
    customers = load_shop_data(lakehouse.lake, lakehouse.world.path).customers
    assert set(table["customer_id"]) == set(customers.index)
    assert (table.groupby("customer_id")["product_id"].nunique() == 12).all()
    assert table["reason"].str.len().min() > 0
    assert table.groupby("customer_id")["explored"].sum().max() <= 1

    runner = CliRunner()
    out = runner.invoke(app, ["recommend", "--user", str(int(customers.index[0])), "--k", "3"])
    assert out.exit_code == 0, out.output
    assert out.stdout.count("\n") == 3
    out = runner.invoke(app, ["recommend", "--profile", "style=Mist,level=40", "--k", "2"])
    assert out.exit_code == 0 and out.stdout.startswith(" 1.")
    out = runner.invoke(app, ["recommend", "--user", "99999999"])
    assert out.exit_code == 2 and "unknown customer" in out.output


def test_recommend_without_a_champion_says_what_to_do(hashira_home):
    out = CliRunner().invoke(app, ["recommend", "--user", "1"])
    assert out.exit_code == 1
    assert "materialize `recommender_model`" in out.output


def test_serving_model_knows_the_last_day(trained, shop):
    model = serving_model(shop, trained, FAST)
    assert model.state.cutoff_day == shop.end_day + 1
    last_day_buyers = shop.purchases_between(shop.end_day, shop.end_day)
    customer = next(iter(last_day_buyers))
    assert model.state.history_of(customer)["last_day"].max() == shop.end_day


def test_a_view_on_the_event_bus_changes_the_next_recommendations(trained, shop, tmp_path):
    from hashira_assets.recommender.online import recommend_with_online_views
    from hashira_assets.stream_consumer import ConsumerSettings, consume
    from resources.event_bus import TableEventBus

    model = RecommenderModel(trained.eval_state, trained.booster, shop.products["name"])
    state = model.state
    customer = sorted(trained.actual)[0]
    bus = TableEventBus(app_db_url=f"sqlite:///{tmp_path / 'app.db'}")
    store = bus.online_store()
    before = recommend_with_online_views(model, customer, store, explore=False)
    assert before == model.recommend(Shopper.known(state, customer), explore=False)
    # Products the shopper never touched and is not being shown: only the views can bring them.
    touched = set(state.history_of(customer)["item"].tolist()) | {r.product_id for r in before}
    viewed = [int(p) for p in np.flatnonzero(state.available) if p not in touched][:3]
    bus.publish(
        {"session_id": 1, "customer_id": customer, "product_id": p, "event_type": "view"}
        for p in viewed
    )
    consume(bus, store, ConsumerSettings(max_events=3, idle_exit_s=5))
    assert store.last_views(customer) == viewed[::-1]
    after = recommend_with_online_views(model, customer, store, explore=False)
    assert [r.product_id for r in after] != [r.product_id for r in before]
    assert after == model.recommend(
        Shopper.known(state, customer, tuple(viewed[::-1])), explore=False
    )
    # What the views brought in: a viewed product, or a new entry whose reason is the views (a
    # named viewed product, or the content source's "similar to items you viewed").
    names = [str(model.names[p]) for p in viewed]
    shown_before = {r.product_id for r in before}
    from_views = [
        r
        for r in after
        if r.product_id in viewed
        or any(n in r.reason for n in names)
        or (r.product_id not in shown_before and "you viewed" in r.reason)
    ]
    assert from_views, [r.reason for r in after]


def test_worker_processes_write_the_same_recommendations_as_one_process(
    trained, shop, tmp_path, monkeypatch
):
    from hashira_assets.recommender import recommendations as recs
    from hashira_assets.recommender.ranker import save_ranker

    model = serving_model(shop, trained, FAST)
    folder = tmp_path / "model"
    save_ranker(trained.booster, trained.params, folder)
    model.save(folder)
    monkeypatch.setattr(recs, "CHUNK_CUSTOMERS", 150)  # several chunks of the tiny shop
    said: list[str] = []
    one = recs.write_all_recommendations(model, "7", tmp_path / "one.parquet", progress=said.append)
    two = recs.write_all_recommendations(
        model, "7", tmp_path / "two.parquet", model_folder=folder, workers=2
    )
    assert (one.workers, two.workers) == (1, 2)
    customers = int(model.state.user_known.sum())
    assert one.customers == two.customers == customers and one.rows == 12 * customers
    assert pq.read_table(tmp_path / "two.parquet").equals(pq.read_table(tmp_path / "one.parquet"))
    assert pq.ParquetFile(tmp_path / "one.parquet").num_row_groups == -(-customers // 150)
    assert "left" in said[0] and said[-1].endswith(f"{customers:,} customers (100%)")
    assert not (tmp_path / "one.partial").exists()
    with pytest.raises(ValueError, match="model_folder"):
        recs.write_all_recommendations(model, "7", tmp_path / "three.parquet", workers=2)


def test_a_state_pickled_without_its_fresh_rows_gets_them_on_load(trained, shop):
    import pickle

    state = serving_model(shop, trained, FAST).state
    assert state.fresh.any()
    assert np.array_equal(state.fresh_items, np.flatnonzero(state.fresh))
    assert np.array_equal(state.fresh_content, state.content[state.fresh])
    old = pickle.loads(pickle.dumps(state))
    del old.fresh_items, old.fresh_content  # what a state saved before they were kept holds
    loaded = pickle.loads(pickle.dumps(old))
    assert np.array_equal(loaded.fresh_items, state.fresh_items)
    assert np.array_equal(loaded.fresh_content, state.fresh_content)


def test_the_serving_bench_times_a_saved_model(trained, shop, tmp_path):
    import json

    from hashira_cli.recommender_bench import save_model

    model = serving_model(shop, trained, FAST)
    save_model(model, (trained.booster, trained.params), tmp_path / "model")
    out = tmp_path / "serving.json"
    args = ["bench", "recommender-serving", "--model", str(tmp_path / "model"), "--json", str(out)]
    result = CliRunner().invoke(app, [*args, "--requests", "50", "--repeats", "2",
                                      "--customers", "40"])  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert [r["requests"] for r in figures["request_latency_ms"]] == [50, 50]
    assert 0 < figures["median_known_customer_p50"] <= figures["median_known_customer_p99"]
    assert figures["user_recommendations"]["customers"] == 40
    assert figures["user_recommendations"]["rows"] == 12 * 40
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = CliRunner().invoke(app, ["bench", "recommender-serving", "--model", str(empty)])
    assert refused.exit_code == 2 and "--keep-model" in refused.output
