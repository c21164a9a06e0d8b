"""The battle-fit model on the tiny world: training, the promotion gate both ways, the asset,
the serving service, ranking and the CLI."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashira_assets.battle.assets import battle_fit_model
from hashira_assets.battle.data import BATTLE_INPUTS, load_battle_data
from hashira_assets.battle.evaluation import binary_metrics
from hashira_assets.battle.features import FEATURES, WEAPON_TYPES
from hashira_assets.battle.ranking import (
    InvalidProfileError,
    rank_weapons,
    reasons,
    validate_profile,
)
from hashira_assets.battle.registry import log_and_register
from hashira_assets.battle.training import (
    BATTLE_MODEL_NAME,
    BattleSettings,
    train_battle_model,
)
from hashira_assets.lake.landing import land_table
from hashira_assets.lake.versions import table_versions
from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.battle_fit import WinChance
from hashira_assets.reproduce import reproduce
from hashira_cli.main import app
from hashira_serving.battle import BattleFitService
from hashira_serving.errors import ModelRefusedError, NotFoundError, NotMaterializedError
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource
from resources.model_runs import recorded_inputs
from tests.support.gate import assert_gate_both_ways

FAST = BattleSettings(n_estimators=60, max_ranking_slayers=40)
# A deliberately weak model: two stumps cannot separate much.
WEAK = BattleSettings(n_estimators=2, num_leaves=2, learning_rate=0.01, max_ranking_slayers=10)
PROFILE = {"style": "Water", "level": 35, "strength": 0.3, "dexterity": 0.7, "stamina": 0.5}
runner = CliRunner()


def tracking_in(home) -> MlflowTrackingResource:
    # The same store and artifact root the defaults resolve to with HASHIRA_HOME=home.
    return MlflowTrackingResource(
        tracking_uri=f"sqlite:///{home}/mlflow/mlflow.db",
        artifact_root=(home / "mlflow" / "artifacts").as_uri(),
    )


@pytest.fixture(scope="module")
def battle_home(tiny_world, tmp_path_factory):
    """A home with the three raw tables landed in its lake, no model yet."""
    home = tmp_path_factory.mktemp("battle-home")
    (home / "mlflow").mkdir()
    lake = LakeResource(root=str(home / "lake"))
    for table in ("battle_outcomes", "customers", "products"):
        land_table(lake, tiny_world.out_dir, table)
    return {"home": home, "lake": lake, "data": load_battle_data(lake)}


@pytest.fixture(scope="module")
def trained(battle_home):
    data = battle_home["data"]
    return train_battle_model(data.battles, data.customers, data.products, FAST)


def test_training_splits_by_date_and_scores_baselines_and_oracle(trained):
    split = trained.split
    assert split.fit["battle_date"].max() < split.calibration["battle_date"].min()
    assert split.calibration["battle_date"].max() < split.evaluation["battle_date"].min()
    assert split.evaluation["battle_date"].min() == pd.Timestamp(split.eval_start)
    assert set(trained.results) == {"model", "style_rule", "logistic", "oracle"}
    evaluation = split.evaluation
    oracle = binary_metrics(evaluation["success"], evaluation["success_probability"])
    assert trained.results["oracle"] == pytest.approx(oracle)
    # The style rule predicts two values only: its AUC is that of a single split.
    assert trained.results["style_rule"]["auc"] < trained.results["oracle"]["auc"]
    assert trained.results["model"]["auc"] > 0.6
    assert 0 <= trained.ranking["overlap"] <= 1 and trained.ranking["slayers"] == 40
    assert np.isfinite(trained.model.slope) and trained.model.slope > 0


def test_the_gate_both_ways_through_the_shared_lifecycle(battle_home, trained):
    tracking = tracking_in(battle_home["home"] / "gate")
    data = battle_home["data"]
    weak = train_battle_model(data.battles, data.customers, data.products, WEAK)
    *_, better, worse = assert_gate_both_ways(
        tracking,
        BATTLE_MODEL_NAME,
        register_worse=lambda: log_and_register(weak, WEAK, tracking),
        register_better=lambda: log_and_register(trained, FAST, tracking),
    )
    # The champion was scored on the candidate's evaluation battles: those of the better model.
    assert worse.decision.champion_score == pytest.approx(trained.logloss)
    assert worse.decision.champion_metrics["auc"] == pytest.approx(trained.auc)
    run = tracking.client().get_run(better.run_id)
    assert {"auc", "logloss", "oracle_auc", "logistic_auc", "top3_overlap"} <= set(run.data.metrics)


def _checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        ev.event_specific_data.asset_check_key.name: ev.event_specific_data
        for ev in result.all_events
        if ev.event_type_value == "ASSET_CHECK_EVALUATION"
    }


@pytest.fixture(scope="module")
def materialized(battle_home):
    """The asset materialized with fast settings (promoted), then with a weak one (kept out)."""
    home = battle_home["home"]
    resources = {"lake": battle_home["lake"], "mlflow_tracking": tracking_in(home)}

    def run(config: dict) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [battle_fit_model],
            resources=resources,
            run_config={"ops": {"battle_fit_model": {"config": config}}},
            raise_on_error=False,
        )

    good = run({"n_estimators": 60, "ranking_slayers": 40})
    weak = run({"n_estimators": 1, "ranking_slayers": 10})
    return {"good": good, "weak": weak}


def test_asset_materializes_and_its_gate_keeps_a_worse_model_out_with_a_warning(materialized):
    good, weak = materialized["good"], materialized["weak"]
    assert good.success and _checks(good)["beats_champion"].passed
    metadata = good.asset_materializations_for_node("battle_fit_model")[0].metadata
    assert metadata["model_version"].value == "1" and metadata["promoted"].value is True
    assert {"auc", "oracle_auc", "logistic_auc", "style_rule_auc", "ece", "top3_overlap"} <= set(
        metadata
    )
    kept = _checks(weak)["beats_champion"]
    assert weak.success and kept.passed
    assert kept.metadata["gate_outcome"].value == "kept" and kept.metadata["margin"].value < 0
    assert "candidate v2 kept out" in kept.metadata["warning"].value


def test_service_serves_the_champion_and_refreshes_at_most_every_30_s(battle_home, trained):
    home = battle_home["home"] / "serving"
    tracking = tracking_in(home)
    now = [0.0]
    service = BattleFitService(tracking, battle_home["lake"], clock=lambda: now[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHIRA_HOME", str(home))
        with pytest.raises(NotMaterializedError, match="battle_fit_model"):
            service.best_for_battles(PROFILE)
        now[0] = 31.0
        first = log_and_register(trained, FAST, tracking)
        picks = service.best_for_battles(PROFILE, k=3)
        assert len(picks) == 3 and {p.model_version for p in picks} == {first.version}
        assert [p.win_chance for p in picks] == sorted((p.win_chance for p in picks), reverse=True)
        assert all(p.reason and p.name for p in picks)
        for t in (40.0, 50.0, 60.9):
            now[0] = t
            service.best_for_battles(PROFILE)
        assert service.lookups == 2 and service.loads == 1
        # A new champion is picked up on the first look-up after the interval.
        tracking.set_champion(BATTLE_MODEL_NAME, log_and_register(trained, FAST, tracking).version)
        now[0] = 61.0
        assert service.best_for_battles(PROFILE)[0].model_version == "2"
        assert service.lookups == 3 and service.loads == 2


def test_a_changed_cached_champion_is_refused_not_unpickled(battle_home, trained):
    home = battle_home["home"] / "tampered"
    tracking = tracking_in(home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHIRA_HOME", str(home))
        log_and_register(trained, FAST, tracking)
        assert BattleFitService(tracking, battle_home["lake"]).best_for_battles(PROFILE)
        cached = home / "battle" / "champion" / "v1"
        model_file = next(p for p in cached.rglob("*") if p.is_file() and p.suffix != "")
        model_file.write_bytes(model_file.read_bytes() + b" ")
        with pytest.raises(ModelRefusedError, match="checksum mismatch"):
            BattleFitService(tracking, battle_home["lake"]).best_for_battles(PROFILE)


def test_profiles_of_known_slayers_and_unknown_ids(battle_home):
    service = BattleFitService(tracking_in(battle_home["home"]), battle_home["lake"])
    battles = battle_home["data"].battles
    customer = int(battles["customer_id"].value_counts().index[0])
    profile = service.profile_for_customer(customer)
    assert len(profile["past_battles"]) == int((battles["customer_id"] == customer).sum())
    assert validate_profile(profile)["style"] == profile["style"]
    with pytest.raises(NotFoundError):
        service.profile_for_customer(10**6)


def test_ranking_orders_every_weapon_and_explains_style(battle_home, trained):
    weapons = battle_home["data"].products
    ranked = rank_weapons(trained.model, PROFILE, weapons)
    assert len(ranked) == int(weapons["product_type"].isin(WEAPON_TYPES).sum())
    assert ranked["win_chance"].is_monotonic_decreasing
    water = set(weapons.loc[weapons["breathing_style"] == "Water", "product_id"])
    styled = ranked[ranked["reason"].str.contains("suits your Water breathing")]
    assert len(styled) > 0 and set(styled["product_id"]) <= water
    with pytest.raises(ValueError, match="k must be"):
        rank_weapons(trained.model, PROFILE, weapons, k=0)


def test_reasons_name_the_two_groups_that_raised_the_chance_most():
    pairs = pd.DataFrame(
        {
            "slayer_style": ["Water", "Water", "Flame"],
            "product_type": ["Katana", "Nodachi", "Katana"],
            "weight_kg": [1.2, 2.6, 1.0],
            "past_type_battles": [4, 0, 0],
            "past_type_wins": [3, 0, 0],
        }
    )
    contributions = pd.DataFrame(0.0, index=pairs.index, columns=list(FEATURES))
    contributions.loc[0, ["match_style", "weight_kg", "past_type_success_rate"]] = [0.5, 0.2, 0.3]
    # Row 1: weight helps most and its record group is positive but it has no past battles.
    contributions.loc[1, ["weight_kg", "level_weight_diff", "past_type_success_rate"]] = [
        0.2, 0.1, 0.4,
    ]  # fmt: skip
    contributions.loc[2, ["match_style", "sharpness"]] = [-0.4, -0.1]
    assert reasons(pairs, contributions) == [
        "suits your Water breathing; you won 3 of 4 battles with a Katana",
        "your strength carries its 2.6 kg",
        "no strong fit for your profile",
    ]


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({**PROFILE, "style": "Rock"}, "style must be one of"),
        ({**PROFILE, "level": 0}, "level must be between"),
        ({**PROFILE, "level": float("nan")}, "level must be between"),
        ({**PROFILE, "strength": 1.5}, "strength must be between"),
        ({**PROFILE, "dexterity": "quick"}, "must be numbers"),
        ({k: v for k, v in PROFILE.items() if k != "stamina"}, "needs 'stamina'"),
        ({**PROFILE, "past_battles": [{"success": True}]}, "each past battle"),
    ],
)
def test_bad_profiles_are_refused_with_a_reason(profile, message):
    with pytest.raises(InvalidProfileError, match=message):
        validate_profile(profile)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    profile=st.dictionaries(
        st.sampled_from(["style", "level", "strength", "dexterity", "stamina", "past_battles"]),
        st.one_of(
            st.none(),
            st.text(max_size=8),
            st.floats(allow_nan=True),
            st.integers(),
            st.lists(st.dictionaries(st.text(max_size=12), st.booleans()), max_size=3),
        ),
    )
)
def test_any_profile_is_ranked_or_refused_with_invalid_profile(profile):
    try:
        clean = validate_profile(profile)
    except InvalidProfileError:
        return
    assert 1 <= clean["level"] <= 100
    assert all(0 <= clean[k] <= 1 for k in ("strength", "dexterity", "stamina"))


def test_cli_lists_the_best_weapons_for_a_customer(battle_home, materialized):
    env = {"HASHIRA_HOME": str(battle_home["home"]), "HASHIRA_LAKE_ROOT": ""}
    customer = int(battle_home["data"].battles["customer_id"].iloc[0])
    result = runner.invoke(app, ["battle-fit", "--user", str(customer), "--k", "2", "--json"],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 2 and lines[0]["win_chance"] >= lines[1]["win_chance"]
    assert lines[0]["model_version"] == "1"
    missing = runner.invoke(app, ["battle-fit", "--user", "999999"], env=env)
    assert missing.exit_code == 2


def test_cli_without_a_champion_says_what_to_materialize(tmp_path):
    env = {"HASHIRA_HOME": str(tmp_path), "HASHIRA_LAKE_ROOT": ""}
    result = runner.invoke(app, ["battle-fit", "--user", "1"], env=env)
    assert result.exit_code == 1
    assert "battle_fit_model" in result.output


def test_bench_writes_acceptance_figures(tiny_world, tmp_path):
    out = tmp_path / "battle_tiny.json"
    args = ["bench", "battle", "--preset", "tiny", "--raw", str(tiny_world.out_dir),
            "--json", str(out), "--n-estimators", "40", "--slayers", "20"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["eval_battles"] > 0 and report["top3"]["slayers"] == 20
    assert set(report["metrics"]) == {"model", "style_rule", "logistic", "oracle"}
    assert report["acceptance"]["auc_share_of_oracle"] == pytest.approx(
        report["metrics"]["model"]["auc"] / report["metrics"]["oracle"]["auc"]
    )
    wrong = runner.invoke(app, [*args[:3], "small", *args[4:]])
    assert wrong.exit_code == 2


def test_the_purchase_rankers_win_chance_is_the_shop_rows_chance(battle_home, trained):
    products = battle_home["data"].products.set_index("product_id", drop=False)
    chance = WinChance(trained.model, "1", products)
    ranked = rank_weapons(trained.model, PROFILE, battle_home["data"].products)
    items = products.index.to_numpy()
    style = BREATHING_STYLES.index(PROFILE["style"])
    profile = (PROFILE["level"], PROFILE["strength"], PROFILE["dexterity"], PROFILE["stamina"])
    got = pd.Series(chance.of(style, profile, items), index=items)
    weapons = got.loc[ranked["product_id"]].to_numpy()
    np.testing.assert_allclose(weapons, ranked["win_chance"].to_numpy(), rtol=1e-6)
    accessories = ~products["product_type"].isin(WEAPON_TYPES).to_numpy()
    assert accessories.any() and np.isnan(got.to_numpy()[accessories]).all()
    # A shopper without a breathing style matches no weapon's style: a lower chance, not an error.
    unstyled = chance.of(-1, profile, items)
    assert np.isfinite(unstyled[~accessories]).all()


def test_a_battle_fit_version_records_its_inputs_and_reproduces_its_log_loss(battle_home, trained):
    tracking = tracking_in(battle_home["home"] / "reproduce")
    lake = battle_home["lake"]
    inputs = table_versions(lake, None, BATTLE_INPUTS)
    version = log_and_register(trained, FAST, tracking, inputs).version
    assert set(recorded_inputs(tracking, BATTLE_MODEL_NAME, version)) == set(BATTLE_INPUTS)
    result = reproduce("battle-fit", version, tracking, lake, raw_dir=None)
    assert result.metric == "logloss" and result.exact, result
    assert result.recorded == pytest.approx(trained.logloss)
