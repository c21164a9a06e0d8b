"""What the shop knows at a cut-off day: popularity, histories, co-visitation, ALS factors.

A `CutoffState` indexes one cut-off's tables, which the `features` group computes in Spark from
events strictly before the cut-off day (see `cutoff_tables`), plus what is published ahead: the
catalog's launch dates and the promotions. So training states and the evaluation state never see
their own label window. Arrays are indexed by product id and customer row, so one customer's
candidates and features take a few array lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.als import AlsConfig, fit_als, interaction_matrix
from hashira_assets.recommender.cutoff_tables import CutoffTables
from hashira_assets.recommender.data import LEVEL_BANDS, TYPE_NAMES, ShopData

if TYPE_CHECKING:
    from hashira_assets.recommender.battle_fit import WinChance

N_STYLES = len(BREATHING_STYLES)
N_TYPES = len(TYPE_NAMES)
N_BANDS = len(LEVEL_BANDS) - 1
# Shrinks a product's 30-day conversion towards the shop's rate as if it had this many views.
CONVERSION_PRIOR_VIEWS = 20.0
SEGMENT_TOP = 60
FRESH_DAYS = 30
TYPE_TOP = 10


class CutoffState:
    """The shop's knowledge at the start of `tables.cutoff_day`, for a label window of
    `window_days`."""

    def __init__(
        self,
        data: ShopData,
        tables: CutoffTables,
        window_days: int,
        content: np.ndarray,
        als: AlsConfig | None = None,
        win_chance: WinChance | None = None,
    ) -> None:
        self.cutoff_day = tables.cutoff_day
        self.window_days = window_days
        # The battle-fit model's win chances of weapons; None leaves that feature missing.
        self.win_chance = win_chance
        products, customers = data.products, data.customers
        self.n_items = int(products.index.max()) + 1
        # Customer arrays are indexed by row, not by id: app sign-ups start at id 1,000,000, so
        # sizing arrays by the largest id would allocate a million rows for a few shoppers.
        self.user_ids = data.customer_ids
        self.n_users = len(self.user_ids)
        self._catalog(products, data.promotions, content)
        self._customers(customers)
        self._item_stats(tables.item_activity)
        self._histories(tables.histories)
        self._segments(tables.segments)
        self._co_visitation(tables.co_visitation)
        self.user_factors, self.item_factors, self.user_in_als = fit_als(
            interaction_matrix(self.hist_ptr, self.hist, self.n_items), als or AlsConfig()
        )
        self.item_factors[~self.available] = 0.0

    # ------------------------------------------------------------------ customer ids
    def rows_of(self, customer_ids: np.ndarray) -> np.ndarray:
        """Array rows of customer ids that are in this state (all of them must be)."""
        return np.searchsorted(self.user_ids, customer_ids)

    def row_of(self, customer_id: int | None) -> int:
        """The array row of a customer id, or -1 for an id this state has never seen."""
        if customer_id is None:
            return -1
        pos = int(np.searchsorted(self.user_ids, customer_id))
        found = pos < self.n_users and self.user_ids[pos] == customer_id
        return pos if found else -1

    def knows(self, customer_id: int | None) -> bool:
        """Whether the customer has a profile here (signed up by the cut-off or in the window)."""
        row = self.row_of(customer_id)
        return row >= 0 and bool(self.user_known[row])

    # ------------------------------------------------------------------ catalog
    def _catalog(self, products: pd.DataFrame, promotions: pd.DataFrame, content: np.ndarray):
        n, ids = self.n_items, products.index.to_numpy()
        window_end = self.cutoff_day + self.window_days - 1
        self.exists = np.zeros(n, bool)
        self.exists[ids] = True
        self.launch_day = np.full(n, 10**6, np.int64)
        self.launch_day[ids] = products["launch_day"].to_numpy()
        # Launched by the window's end: scheduled launches are published, like promotions.
        self.available = self.exists & (self.launch_day <= window_end)
        self.item_style = np.full(n, -1, np.int16)
        self.item_style[ids] = products["style_code"].to_numpy()
        self.item_type = np.full(n, -1, np.int16)
        self.item_type[ids] = products["type_code"].to_numpy()
        self.item_rarity = np.zeros(n, np.int16)
        self.item_rarity[ids] = products["rarity_code"].to_numpy()
        self.item_consumable = np.zeros(n, bool)
        self.item_consumable[ids] = products["is_consumable"].to_numpy()
        self.item_log_price = np.zeros(n, np.float32)
        self.item_log_price[ids] = np.log1p(products["price"].to_numpy())
        self.item_rel_price = np.zeros(n, np.float32)
        self.item_rel_price[ids] = products["log_relative_price"].to_numpy()
        self.content = np.zeros((n, content.shape[1]), np.float32)
        self.content[ids] = content
        # Biggest discount and promoted days inside the label window.
        self.discount = np.zeros(n, np.float32)
        self.promo_days = np.zeros(n, np.float32)
        live = promotions[
            (promotions["start_day"] <= window_end) & (promotions["end_day"] >= self.cutoff_day)
        ]
        pid = live["product_id"].to_numpy()
        overlap = np.minimum(live["end_day"], window_end) - np.maximum(
            live["start_day"], self.cutoff_day
        )
        np.maximum.at(self.discount, pid, live["discount"].to_numpy(np.float32))
        np.add.at(self.promo_days, pid, overlap.to_numpy(np.float32) + 1)
        # Choice groups are (style, type): a product in a small group gets more of its views.
        group = self.item_style.astype(np.int64) * N_TYPES + self.item_type
        launched = self.available & (self.launch_day < self.cutoff_day)
        sizes = np.bincount(group[launched], minlength=N_STYLES * N_TYPES)
        self.item_group = np.clip(group, 0, None)
        self.log_group_size = np.log1p(sizes[self.item_group]).astype(np.float32)
        self.group_size = np.maximum(sizes, 1)
        self.fresh = self.available & (self.launch_day >= self.cutoff_day - FRESH_DAYS)
        self._fresh_rows()

    def _fresh_rows(self) -> None:
        """The fresh products and their content rows, gathered once: every request scores them,
        and gathering the rows per request was a large share of its time at `hm`."""
        self.fresh_items = np.flatnonzero(self.fresh)
        self.fresh_content = self.content[self.fresh_items]

    def __setstate__(self, saved: dict) -> None:
        # A serving state pickled before the fresh rows were kept gets them on load.
        self.__dict__.update(saved)
        if "fresh_items" not in saved:
            self._fresh_rows()

    def _customers(self, customers: pd.DataFrame) -> None:
        n, ids = self.n_users, self.rows_of(customers.index.to_numpy())
        self.user_known = np.zeros(n, bool)
        self.user_known[ids] = True
        self.user_style = np.full(n, -1, np.int16)
        self.user_style[ids] = customers["style_code"].to_numpy()
        self.user_band = np.zeros(n, np.int16)
        self.user_band[ids] = customers["band"].to_numpy()
        self.user_profile = np.zeros((n, 4), np.float32)  # level, strength, dexterity, stamina
        self.user_profile[ids] = customers[["level", "strength", "dexterity", "stamina"]]
        self.user_signup_day = np.full(n, self.cutoff_day, np.int64)
        self.user_signup_day[ids] = customers["signup_day"].to_numpy()

    # ------------------------------------------------------------------ popularity
    def _by_item(self, ids: np.ndarray, values: pd.Series) -> np.ndarray:
        column = np.zeros(self.n_items, np.float32)
        column[ids] = values.to_numpy(np.float32)
        return column

    def _item_stats(self, activity: pd.DataFrame) -> None:
        ids = activity["product_id"].to_numpy()
        self.pop_decayed = self._by_item(ids, activity["pop_decayed"])
        self.purchases_7d = self._by_item(ids, activity["purchases_7d"])
        self.purchases_30d = self._by_item(ids, activity["purchases_30d"])
        self.views_30d = self._by_item(ids, activity["views_30d"])
        self.purchases_all = self._by_item(ids, activity["purchases_all"])
        prior = (self.purchases_30d.sum() + 1.0) / (self.views_30d.sum() + 1.0)
        self.conversion = (
            (self.purchases_30d + CONVERSION_PRIOR_VIEWS * prior)
            / (self.views_30d + CONVERSION_PRIOR_VIEWS)
        ).astype(np.float32)
        ranked = np.flatnonzero(self.available)
        order = np.argsort(-(self.pop_decayed[ranked] + 1e-6 * self.purchases_all[ranked]))
        self.popular_items = ranked[order][:100]

    def _segments(self, segments: pd.DataFrame) -> None:
        """Decayed popularity per (style, level band) and per style, and the type mix of each
        style's purchases."""
        style = segments["style_code"].to_numpy(np.int64)
        pid = segments["product_id"].to_numpy()
        segment = style * N_BANDS + segments["band"].to_numpy(np.int64)
        self.segment_pop = np.zeros((N_STYLES * N_BANDS, self.n_items), np.float32)
        np.add.at(self.segment_pop, (segment, pid), segments["weight"].to_numpy(np.float32))
        self.style_pop = self.segment_pop.reshape(N_STYLES, N_BANDS, -1).sum(axis=1)
        # Normalised so that segments of different sizes are comparable features.
        for matrix in (self.segment_pop, self.style_pop):
            matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1e-9)
            matrix[:, ~self.available] = 0.0
        type_counts = np.zeros((N_STYLES, N_TYPES), np.float64)
        np.add.at(type_counts, (style, self.item_type[pid]), segments["purchases"].to_numpy())
        self.style_type_share = (type_counts + 1) / (type_counts.sum(1, keepdims=True) + N_TYPES)
        self.segment_top = np.argsort(-self.segment_pop, axis=1)[:, :SEGMENT_TOP].astype(np.int32)
        # What an average product of each (style, type) group sells to each style: the prior a
        # brand-new product inherits from its group before it has sales of its own.
        group_pop = np.zeros((N_STYLES, N_STYLES * N_TYPES), np.float32)
        for s in range(N_STYLES):
            np.add.at(group_pop[s], self.item_group, self.style_pop[s])
        self.style_group_prior = group_pop / self.group_size[None, :]
        # Each style's favourite products of each type: where a customer's type tastes point.
        self.style_type_top = np.full((N_STYLES, N_TYPES, TYPE_TOP), -1, np.int32)
        for t in range(N_TYPES):
            of_type = np.flatnonzero(self.available & (self.item_type == t))
            if len(of_type) == 0:
                continue
            scores = self.style_pop[:, of_type] + 1e-6 * self.pop_decayed[of_type]
            order = np.argsort(-scores, axis=1, kind="stable")[:, :TYPE_TOP]
            self.style_type_top[:, t, : order.shape[1]] = of_type[order]

    # ------------------------------------------------------------------ customers' histories
    def _histories(self, pairs: pd.DataFrame) -> None:
        """Per customer: the products they touched, with counts and last days (CSR layout by
        customer row; a customer's products in the order they were first touched)."""
        customer_ids = pairs["customer_id"].to_numpy()
        pair_row = self.rows_of(customer_ids)
        # Tables written from other silver events than the shop's would index the wrong rows.
        if len(pair_row) and not np.array_equal(
            self.user_ids[np.minimum(pair_row, self.n_users - 1)], customer_ids
        ):
            raise ValueError(
                f"cut-off {self.cutoff_day}'s histories name customers the silver events do not: "
                "materialize the features group's recommender_* assets again"
            )
        first = pairs["first_ts"].to_numpy().astype("datetime64[us]").astype(np.int64)
        order = np.lexsort((pairs["product_id"].to_numpy(), first, pair_row))
        pair_row = pair_row[order]
        self.hist = {
            "item": pairs["product_id"].to_numpy(np.int32)[order],
            **{k: pairs[k].to_numpy(np.float32)[order] for k in ("bought", "carted", "viewed")},
            "last_day": pairs["last_day"].to_numpy(np.int32)[order],
            "last_buy_day": pairs["last_buy_day"].to_numpy(np.int64)[order],
            "decayed": pairs["decayed"].to_numpy(np.float64)[order],
        }
        self.hist_ptr = np.zeros(self.n_users + 1, np.int64)
        np.cumsum(np.bincount(pair_row, minlength=self.n_users), out=self.hist_ptr[1:])
        events = pairs["events"].to_numpy(np.float64)[order]
        self._customer_stats(pair_row, events)

    def _customer_stats(self, pair_row: np.ndarray, events: np.ndarray) -> None:
        """Per customer: purchases, events, days since the last purchase, type, style and price
        tastes, from the aggregated (customer, product) pairs."""
        n, hist = self.n_users, self.hist
        item = hist["item"]
        self.user_purchases = np.bincount(pair_row, hist["bought"], minlength=n).astype(np.float32)
        self.user_events = np.bincount(pair_row, events, minlength=n).astype(np.float32)
        last_buy = np.full(n, -(10**6), np.int64)
        np.maximum.at(last_buy, pair_row, hist["last_buy_day"])
        self.user_days_since_purchase = np.minimum(self.cutoff_day - last_buy, 9999).astype(
            np.float32
        )
        self.user_type_share = np.zeros((n, N_TYPES), np.float32)
        self.user_style_share = np.zeros((n, N_STYLES), np.float32)
        # Purchases and carts say what a customer likes; weight views less.
        weight = hist["bought"] * 3 + hist["carted"] * 2 + hist["viewed"]
        np.add.at(self.user_type_share, (pair_row, self.item_type[item]), weight)
        np.add.at(self.user_style_share, (pair_row, self.item_style[item]), weight)
        for matrix in (self.user_type_share, self.user_style_share):
            matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1e-9)
        sums = np.bincount(
            pair_row, hist["bought"].astype(np.float64) * self.item_rel_price[item], minlength=n
        )
        self.user_rel_price = np.where(
            self.user_purchases > 0, sums / np.maximum(self.user_purchases, 1), 0.0
        ).astype(np.float32)

    def history_of(self, customer_id: int | None) -> dict[str, np.ndarray]:
        """The products one customer touched before the cut-off, with counts and days."""
        user = self.row_of(customer_id)
        if user < 0:
            return {k: v[:0] for k, v in self.hist.items()}
        lo, hi = self.hist_ptr[user], self.hist_ptr[user + 1]
        return {k: v[lo:hi] for k, v in self.hist.items()}

    # ------------------------------------------------------------------ co-visitation
    def _co_visitation(self, neighbours: pd.DataFrame) -> None:
        """Top neighbours of each product (CSR by product id, strongest first): by co-views and
        co-purchases, and by co-purchases alone."""
        together = neighbours["bought_together"].to_numpy(bool)
        self.covis_ptr, self.covis_item, self.covis_weight = self._neighbour_rows(
            neighbours[~together]
        )
        self.cobuy_ptr, self.cobuy_item, self.cobuy_weight = self._neighbour_rows(
            neighbours[together]
        )

    def _neighbour_rows(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        product = rows["product_id"].to_numpy(np.int64)
        order = np.lexsort((rows["rank"].to_numpy(), product))
        ptr = np.zeros(self.n_items + 1, np.int64)
        np.cumsum(np.bincount(product, minlength=self.n_items), out=ptr[1:])
        return (
            ptr,
            rows["neighbour_id"].to_numpy(np.int32)[order],
            rows["weight"].to_numpy(np.float32)[order],
        )

    def neighbours(self, items: np.ndarray, bought_together: bool = False):
        """(neighbour, weight, anchor) triples of co-visitation for the given products."""
        ptr, nb, wt = (
            (self.cobuy_ptr, self.cobuy_item, self.cobuy_weight)
            if bought_together
            else (self.covis_ptr, self.covis_item, self.covis_weight)
        )
        out_items, out_weights, out_anchor = [], [], []
        for anchor in items:
            if 0 <= anchor < self.n_items:
                lo, hi = ptr[anchor], ptr[anchor + 1]
                out_items.append(nb[lo:hi])
                out_weights.append(wt[lo:hi])
                out_anchor.append(np.full(hi - lo, anchor, np.int32))
        if not out_items:
            empty = np.zeros(0, np.int32)
            return empty, np.zeros(0, np.float32), empty
        return np.concatenate(out_items), np.concatenate(out_weights), np.concatenate(out_anchor)
