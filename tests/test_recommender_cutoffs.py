"""The recommender's state over the `features` group's cut-off tables of the tiny lakehouse:
every cut-off of a training is there, tables that do not match the shop are refused, a state
never sees its label window, and the candidates built from it have every feature."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hashira_assets.recommender.candidates import (
    FEATURE_NAMES,
    Shopper,
    generate_candidates,
    generate_candidates_many,
)
from hashira_assets.recommender.content import content_vectors
from hashira_assets.recommender.cutoff_state import CutoffState
from hashira_assets.recommender.cutoff_tables import MissingCutoffError, training_cutoffs
from hashira_assets.recommender.data import load_shop_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shop(lakehouse):
    return load_shop_data(lakehouse.lake, lakehouse.world.path)


def test_the_features_group_wrote_every_cutoff_of_a_training(shop):
    for cutoff in training_cutoffs(shop.end_day, 4):
        assert shop.cutoff_tables(cutoff).histories["customer_id"].nunique() > 0
    with pytest.raises(MissingCutoffError, match="recommender_cutoff_tables"):
        shop.cutoff_tables(shop.eval_start_day - 7 * 5)


def test_tables_of_other_events_than_the_shops_are_refused(shop):
    tables = shop.cutoff_tables(shop.eval_start_day)
    stranger = int(shop.customer_ids.max()) + 1
    tables.histories.loc[0, "customer_id"] = stranger
    content = content_vectors(shop.products, None)
    with pytest.raises(ValueError, match="materialize the features group"):
        CutoffState(shop, tables, 7, content)


def test_a_cutoff_state_never_sees_its_label_window(shop):
    cutoff = shop.eval_start_day
    content = content_vectors(shop.products, None)
    full = CutoffState(shop, shop.cutoff_tables(cutoff), 7, content)
    # The tables see only earlier events (tests/test_recommender_tables.py); nor may the rest.
    before = dataclasses.replace(shop, events=shop.events[shop.events["day"] < cutoff])
    truncated = CutoffState(before, before.cutoff_tables(cutoff), 7, content)
    customers = sorted(shop.purchases_between(cutoff, shop.end_day))[:25]
    for customer in customers:
        a = generate_candidates(full, Shopper.known(full, customer))
        b = generate_candidates(truncated, Shopper.known(truncated, customer))
        np.testing.assert_array_equal(a.items, b.items)
        np.testing.assert_allclose(a.features, b.features, rtol=1e-5, atol=1e-6)


def test_every_candidate_row_has_every_feature(shop):
    state = CutoffState(
        shop, shop.cutoff_tables(shop.eval_start_day), 7, content_vectors(shop.products, None)
    )
    customer = int(shop.events["customer_id"].iloc[0])
    cands = generate_candidates(state, Shopper.known(state, customer))
    assert cands.features.shape == (len(cands.items), len(FEATURE_NAMES))
    assert len(set(cands.items.tolist())) == len(cands.items)
    win = FEATURE_NAMES.index("battle_win_chance")
    assert np.isfinite(np.delete(cands.features, win, axis=1)).all()
    assert state.available[cands.items].all()
    # Without a battle-fit model the win chance is missing; with one, it is the model's chance
    # for this shopper's style and profile.
    assert np.isnan(cands.features[:, win]).all()

    class RecordingWinChance:
        def of_rows(self, style_codes, profiles, items):
            self.asked = (np.asarray(style_codes), np.asarray(profiles))
            return (items % 7 / 10 + np.asarray(profiles)[:, 0]).astype(np.float32)

    state.win_chance = RecordingWinChance()
    # Two shoppers in one call: each candidate row gets its own shopper's style and profile.
    other = int(next(c for c in shop.events["customer_id"] if c != customer and state.knows(c)))
    shoppers = [Shopper.known(state, customer), Shopper.known(state, other)]
    shoppers[1].level = shoppers[0].level + 7.0
    many = generate_candidates_many(state, shoppers)
    for shopper, with_model in zip(shoppers, many, strict=True):
        np.testing.assert_allclose(
            with_model.features[:, win], with_model.items % 7 / 10 + shopper.level, rtol=1e-6
        )
    styles, profiles = state.win_chance.asked
    counts = [len(c.items) for c in many]
    assert styles.tolist() == np.repeat([s.style_code for s in shoppers], counts).tolist()
    assert (
        profiles.tolist()
        == np.repeat(
            [(s.level, s.strength, s.dexterity, s.stamina) for s in shoppers], counts, axis=0
        ).tolist()
    )
    # One shopper alone gets the same rows as in the call with two.
    alone = generate_candidates(state, shoppers[1])
    np.testing.assert_array_equal(alone.features, many[1].features)
