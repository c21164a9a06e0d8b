"""The app's plain logic: Dojo points, sign-in, views, profiles, registry tables and charts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hashira_serving import accounts as auth
from hashira_serving.dojo_points import dojo_score, rank_for, streaks
from hashira_serving.models import age_text, group_freshness, recommender_comparison
from hashira_serving.recommendations import merge_views, profile_text, validate_profile
from hashira_ui.forecast_view import backtest_table, chart_frame
from resources.app_database import AccountError, AppDatabaseResource

D = dt.date


@pytest.mark.parametrize(
    ("points", "rank"),
    [(0, "Apprentice"), (99, "Apprentice"), (100, "Slayer"), (499, "Slayer"), (500, "Hashira")],
)
def test_ranks_follow_the_design_tiers(points, rank):
    assert rank_for(points) == rank


def test_streaks_count_days_that_continue_a_run():
    days = [D(2026, 11, 1), D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 10), D(2026, 11, 20),
            D(2026, 11, 21), D(2026, 11, 21)]  # fmt: skip
    # Continuing days: Nov 2, Nov 3, Nov 21 -> 3; the run ending today is 2 long; longest 3.
    assert streaks(days, today=D(2026, 11, 21)) == (3, 2, 3)
    # Yesterday's run still counts today; two days later it is broken.
    assert streaks(days, today=D(2026, 11, 22))[1] == 2
    assert streaks(days, today=D(2026, 11, 23))[1] == 0
    assert streaks([], today=D(2026, 11, 23)) == (0, 0, 0)


def test_dojo_points_add_battles_streaks_and_training():
    score = dojo_score(
        [True, False, True, True],
        [D(2026, 1, 1), D(2026, 1, 2)],
        [25, 9, 60],  # 2 + 0 + 6 points
        today=D(2026, 1, 2),
    )
    assert (score.battle_points, score.streak_points, score.training_points) == (30, 5, 8)
    assert score.total == 43 and score.rank == "Apprentice"
    assert score.next_rank == ("Slayer", 57)
    assert (score.battles_won, score.battles_lost) == (3, 1)
    top = dojo_score([True] * 50, [], [], today=D(2026, 1, 1))
    assert top.rank == "Hashira" and top.next_rank is None


def test_sign_in_checks_the_argon2_hash_and_never_says_which_part_was_wrong(tmp_path):
    db = AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")
    created = auth.sign_up_shopper(db, "Giyu", "still-water-1", "Giyu")
    assert created.username == "giyu" and created.role == "shopper"
    assert auth.sign_in(db, "giyu", "still-water-1") == created
    assert auth.sign_in(db, " GIYU ", "still-water-1") == created
    assert auth.sign_in(db, "giyu", "still-water-2") is None
    assert auth.sign_in(db, "nobody", "still-water-1") is None
    with pytest.raises(AccountError, match="taken"):
        auth.sign_up_shopper(db, "giyu", "another-pass")
    with pytest.raises(AccountError, match="at least 8"):
        auth.sign_up_shopper(db, "sabito", "short")


def test_an_outdated_hash_is_upgraded_at_sign_in(tmp_path):
    from argon2 import PasswordHasher

    db = AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("makomo-pass")
    db.create_account("makomo", weak, "staff")
    assert auth.sign_in(db, "makomo", "makomo-pass") is not None
    _, stored = db.account_with_hash("makomo")
    assert stored != weak and not auth.HASHER.check_needs_rehash(stored)


def test_demo_accounts_are_created_once(tmp_path, tiny_world):
    db = AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")
    first = auth.ensure_demo_accounts(db, tiny_world.out_dir)
    again = auth.ensure_demo_accounts(db, tiny_world.out_dir)
    assert [(d.username, c) for d, c in first] == [(d.username, c) for d, c in again]
    shopper = dict((d.username, c) for d, c in first)["tanjiro"]
    assert shopper == auth.most_active_customer(tiny_world.out_dir) and 0 <= shopper < 500


def test_views_merge_newest_first_without_repeats():
    assert merge_views([5, 3], [3, 9, 1], limit=4) == (5, 3, 9, 1)
    assert merge_views([], [], limit=4) == ()
    assert len(merge_views(range(30))) == 10


def test_onboarding_answers_are_checked_and_become_a_profile():
    profile = validate_profile("Flame", 40, 300.0)
    assert profile_text(profile) == "style=Flame,level=40,budget=300.0"
    assert profile_text(validate_profile("Water", 1, None)) == "style=Water,level=1"
    with pytest.raises(ValueError, match="breathing styles"):
        validate_profile("Fire", 40, None)
    with pytest.raises(ValueError, match="between 1 and 100"):
        validate_profile("Flame", 0, None)
    with pytest.raises(ValueError, match="positive"):
        validate_profile("Flame", 10, -5.0)


def test_group_freshness_takes_the_latest_materialization_per_group():
    now = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
    groups = {"a": "raw", "b": "raw", "c": "gold"}
    seen = {"a": now - dt.timedelta(hours=5), "b": now - dt.timedelta(minutes=3)}
    table = group_freshness(groups, seen, now)
    assert table.loc["raw", "assets"] == 2 and table.loc["raw", "materialized"] == 2
    assert table.loc["raw", "age"] == "3 min"
    assert table.loc["gold", "materialized"] == 0 and table.loc["gold", "age"] is None
    assert age_text(dt.timedelta(days=3, hours=2)) == "3 d"


def test_recommender_comparison_lines_up_ranker_baselines_and_oracle():
    metrics = {"model_map": 0.3, "model_recall": 0.5, "oracle_map": 0.4, "als_map": 0.1,
               "model_cold_map": 0.08, "holdout_map_binary": 0.2}  # fmt: skip
    table = recommender_comparison(metrics)
    assert list(table.index) == ["ranker (champion)", "baseline: ALS",
                                 "oracle (the generator's truth)"]  # fmt: skip
    assert table.loc["ranker (champion)", "MAP@12"] == 0.3
    assert table.loc["ranker (champion)", "cold-start MAP@12"] == 0.08


def test_backtest_table_relates_each_model_to_seasonal_naive():
    metrics = {"total/seasonal_naive/mase": 2.0, "total/lightgbm/mase": 1.5,
               "total/reconciled/mase": 1.0, "total/holdout/mase": 9.0,
               "product/lightgbm/mase": 7.0}  # fmt: skip
    table = backtest_table(metrics, "total")
    assert list(table.index) == ["reconciled", "lightgbm", "seasonal_naive"]
    assert table["MASE / naive"].tolist() == pytest.approx([0.5, 0.75, 1.0])


def test_chart_frame_puts_history_before_the_forecast():
    history = pd.DataFrame({"date": pd.date_range("2026-10-30", periods=2), "units": [3.0, 4.0]})
    forecast = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, 1)],
            "units": [5.0],
            "units_lower_80": [4.0],
            "units_upper_80": [6.0],
            "units_lower_95": [3.0],
            "units_upper_95": [7.0],
        }
    )
    frame = chart_frame(history, forecast)
    assert frame["kind"].tolist() == ["history", "history", "forecast"]
    assert frame["units"].tolist() == [3.0, 4.0, 5.0]
    assert frame["units_upper_95"].iloc[-1] == 7.0


def test_pasted_transcripts_become_speaker_turns():
    from hashira_ui.support import parse_transcript

    text = (
        "Customer: My blade is chipped.\n  it arrived like that\n\nAgent: Sorry! A new one ships."
    )
    assert parse_transcript(text) == [
        ("customer", "My blade is chipped. it arrived like that"),
        ("agent", "Sorry! A new one ships."),
    ]
    with pytest.raises(ValueError, match="Line 1 does not start"):
        parse_transcript("hello there\nAgent: hi")
    with pytest.raises(ValueError, match="no `Customer:`"):
        parse_transcript("   \n")
