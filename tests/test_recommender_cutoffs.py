"""The recommender's state over the `features` group's cut-off tables of the tiny lakehouse:
every cut-off of a training is there, and tables that do not match the shop are refused."""

from __future__ import annotations

import pytest

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
