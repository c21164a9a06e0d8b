"""The latent structure is real and learnable: the acceptance checks of the tiny world."""

import numpy as np
import pandas as pd

from tests.world_frames import purchases, read


def test_customers_buy_their_own_breathing_style_far_more_than_chance(tiny_world):
    world = tiny_world.out_dir
    bought = purchases(world)
    customers = read(world, "customers").set_index("customer_id")["breathing_style"]
    products = read(world, "products").set_index("product_id")["breathing_style"]
    own = customers.loc[bought["customer_id"]].values == products.loc[bought["product_id"]].values
    # Chance: the share of the catalog in the buyer's own style.
    style_share = products.value_counts(normalize=True)
    chance = customers.loc[bought["customer_id"]].map(style_share).fillna(0).mean()
    assert own.mean() > 4 * chance


def test_weekly_seasonality_shows_in_daily_sales(tiny_world):
    bought = purchases(tiny_world.out_dir)
    daily = bought.groupby("event_date")["quantity"].sum()
    by_weekday = daily.groupby(daily.index.dayofweek).mean()
    weekend, weekday = by_weekday.loc[[5, 6]].mean(), by_weekday.loc[[0, 1, 2, 3]].mean()
    assert weekend > 1.2 * weekday


def test_oracle_top_products_beat_the_most_popular_products(tiny_world):
    world = tiny_world.out_dir
    bought = purchases(world)
    window_start = bought["event_date"].max() - pd.Timedelta(days=6)
    in_window = bought[bought["event_date"] >= window_start]
    before = bought[bought["event_date"] < window_start]
    popular = set(before["product_id"].value_counts().index[:12])
    oracle = read(world, "oracle_top_products")
    oracle_top12 = oracle[oracle["rank"] <= 12].groupby("customer_id")["product_id"].apply(set)
    truth = in_window.groupby("customer_id")["product_id"].apply(set)
    assert set(oracle_top12.index) == set(truth.index)  # every evaluated customer is ranked
    oracle_hits = np.mean([len(oracle_top12[c] & items) for c, items in truth.items()])
    popular_hits = np.mean([len(popular & items) for c, items in truth.items()])
    assert oracle_hits > 2 * popular_hits


def test_oracle_expected_demand_matches_the_drawn_sales(tiny_world):
    world = tiny_world.out_dir
    demand = read(world, "oracle_expected_demand")
    bought = purchases(world)
    window = bought[bought["event_date"] >= bought["event_date"].max() - pd.Timedelta(days=27)]
    assert demand["date"].nunique() == 28
    expected, actual = demand["expected_units"].sum(), window["quantity"].sum()
    # Poisson noise on ~1,400 units is about 3%; 10% leaves room without hiding a wrong model.
    assert abs(expected - actual) / actual < 0.10
    assert (demand["expected_units"] >= 0).all()


def test_oracle_probabilities_are_ranked_and_bounded(tiny_world):
    oracle = read(tiny_world.out_dir, "oracle_top_products")
    assert (
        oracle.groupby("customer_id")["rank"]
        .agg(["min", "max", "count"])
        .eq([1, 50, 50])
        .all()
        .all()
    )
    assert oracle["purchase_probability"].between(0, 1).all()
    ordered = oracle.sort_values(["customer_id", "rank"])
    diffs = ordered.groupby("customer_id")["purchase_probability"].diff().dropna()
    assert (diffs <= 1e-12).all()
