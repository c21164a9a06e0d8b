"""What the shop knows at a cut-off day: popularity, histories, co-visitation, ALS factors.

A `CutoffState` is built only from events strictly before its cut-off day (and from what is
published ahead: the catalog's launch dates and the promotions), so training states and the
evaluation state never see their own label window. Arrays are indexed by product id and
customer id, so one customer's candidates and features take a few array lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_assets.recommender.als import AlsConfig, fit_als, interaction_matrix
from hashira_assets.recommender.data import (
    LEVEL_BANDS,
    PURCHASE,
    TYPE_NAMES,
    VIEW,
    ShopData,
)
from hashira_assets.recommender.histories import aggregate_pairs, decay

if TYPE_CHECKING:
    from hashira_assets.recommender.battle_fit import WinChance

N_STYLES = len(BREATHING_STYLES)
N_TYPES = len(TYPE_NAMES)
N_BANDS = len(LEVEL_BANDS) - 1
# Popularity half-life: a week's sales say most about next week's.
POPULARITY_TAU_DAYS = 7.0
CO_VISIT_DAYS = 90
CO_VISIT_NEIGHBOURS = 20
MAX_SESSION_ITEMS = 30
FRESH_DAYS = 30
TYPE_TOP = 10


class CutoffState:
    """The shop's knowledge at the start of `cutoff_day`, for a label window of `window_days`."""

    def __init__(
        self,
        data: ShopData,
        cutoff_day: int,
        window_days: int,
        content: np.ndarray,
        als: AlsConfig | None = None,
        win_chance: WinChance | None = None,
    ) -> None:
        self.cutoff_day = cutoff_day
        self.window_days = window_days
        # The battle-fit model's win chances of weapons; None leaves that feature missing.
        self.win_chance = win_chance
        products, customers = data.products, data.customers
        self.n_items = int(products.index.max()) + 1
        # Customer arrays are indexed by row, not by id: app sign-ups start at id 1,000,000, so
        # sizing arrays by the largest id would allocate a million rows for a few shoppers.
        self.user_ids, event_rows = data.customer_rows
        self.n_users = len(self.user_ids)
        # Views into the shop's events, not copies: the history is a slice of day-ordered columns.
        history = data.events_before(cutoff_day)
        rows = event_rows[: len(history)]
        self._catalog(products, data.promotions, content)
        self._customers(customers)
        self._item_stats(history)
        self._histories(history, rows)
        self._segments(history, rows)
        self._co_visitation(history)
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
    def _item_stats(self, history: pd.DataFrame) -> None:
        n, cutoff = self.n_items, self.cutoff_day
        etype = history["event_type"].to_numpy()
        pid = history["product_id"].to_numpy()
        ago = (cutoff - 1 - history["day"].to_numpy()).astype(np.float64)
        bought, viewed = etype == PURCHASE, etype == VIEW
        self.pop_decayed = np.bincount(
            pid[bought], decay(ago[bought], POPULARITY_TAU_DAYS), minlength=n
        ).astype(np.float32)
        self.purchases_7d = np.bincount(pid[bought & (ago < 7)], minlength=n).astype(np.float32)
        self.purchases_30d = np.bincount(pid[bought & (ago < 30)], minlength=n).astype(np.float32)
        self.views_30d = np.bincount(pid[viewed & (ago < 30)], minlength=n).astype(np.float32)
        self.purchases_all = np.bincount(pid[bought], minlength=n).astype(np.float32)
        prior = (self.purchases_30d.sum() + 1.0) / (self.views_30d.sum() + 1.0)
        self.conversion = ((self.purchases_30d + 20 * prior) / (self.views_30d + 20)).astype(
            np.float32
        )
        ranked = np.flatnonzero(self.available)
        order = np.argsort(-(self.pop_decayed[ranked] + 1e-6 * self.purchases_all[ranked]))
        self.popular_items = ranked[order][:100]

    def _segments(self, history: pd.DataFrame, rows: np.ndarray) -> None:
        """Decayed popularity per (style, level band) and per style, and the type mix of each
        style's purchases."""
        bought = history["event_type"].to_numpy() == PURCHASE
        cust = rows[bought]
        pid = history["product_id"].to_numpy()[bought]
        days = history["day"].to_numpy()[bought]
        weight = decay((self.cutoff_day - 1 - days).astype(float), 14.0)
        style, band = self.user_style[cust], self.user_band[cust]
        ok = style >= 0
        segment = style.astype(np.int64) * N_BANDS + band
        self.segment_pop = np.zeros((N_STYLES * N_BANDS, self.n_items), np.float32)
        np.add.at(self.segment_pop, (segment[ok], pid[ok]), weight[ok])
        self.style_pop = self.segment_pop.reshape(N_STYLES, N_BANDS, -1).sum(axis=1)
        # Normalised so that segments of different sizes are comparable features.
        for matrix in (self.segment_pop, self.style_pop):
            matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1e-9)
            matrix[:, ~self.available] = 0.0
        type_counts = np.zeros((N_STYLES, N_TYPES), np.float64)
        np.add.at(type_counts, (style[ok], self.item_type[pid[ok]]), 1.0)
        self.style_type_share = (type_counts + 1) / (type_counts.sum(1, keepdims=True) + N_TYPES)
        self.segment_top = np.argsort(-self.segment_pop, axis=1)[:, :60].astype(np.int32)
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
    def _histories(self, history: pd.DataFrame, rows: np.ndarray) -> None:
        """Per customer: the products they touched, with counts and last days (CSR layout)."""
        pair_row, self.hist = aggregate_pairs(
            rows,
            history["product_id"].to_numpy(),
            history["event_type"].to_numpy(),
            history["day"].to_numpy(),
            self.n_items,
            self.cutoff_day,
        )
        self.hist_ptr = np.zeros(self.n_users + 1, np.int64)
        np.cumsum(np.bincount(pair_row, minlength=self.n_users), out=self.hist_ptr[1:])
        self._customer_stats(pair_row, rows)

    def _customer_stats(self, pair_row: np.ndarray, rows: np.ndarray) -> None:
        """Per customer: purchases, events, days since the last purchase, type, style and price
        tastes, from the aggregated (customer, product) pairs."""
        n, hist = self.n_users, self.hist
        item = hist["item"]
        self.user_purchases = np.bincount(pair_row, hist["bought"], minlength=n).astype(np.float32)
        self.user_events = np.bincount(rows, minlength=n).astype(np.float32)
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
    def _co_visitation(self, history: pd.DataFrame) -> None:
        """Top neighbours of each product by co-views in a session and co-purchases in a day."""
        first = np.searchsorted(history["day"].to_numpy(), self.cutoff_day - CO_VISIT_DAYS)
        recent = history.iloc[first:]
        etype = recent["event_type"].to_numpy()
        views = recent.loc[etype == VIEW, ["session_id", "product_id"]].drop_duplicates()
        baskets = recent.loc[etype == PURCHASE, ["customer_id", "day", "product_id"]]
        baskets = baskets.assign(
            session_id=baskets["customer_id"].astype(np.int64) * 100_000 + baskets["day"]
        )[["session_id", "product_id"]].drop_duplicates()
        co_view = self._pair_matrix(views, 1.0)
        co_buy = self._pair_matrix(baskets, 1.0)
        # A shared basket says more than a shared browsing session.
        combined = (co_view + 3.0 * co_buy).tocsr()
        self.covis_ptr, self.covis_item, self.covis_weight = self._top_neighbours(combined)
        self.cobuy_ptr, self.cobuy_item, self.cobuy_weight = self._top_neighbours(co_buy)

    def _pair_matrix(self, groups: pd.DataFrame, weight: float) -> sp.csr_matrix:
        sizes = groups.groupby("session_id")["product_id"].transform("size").to_numpy()
        groups = groups[(sizes > 1) & (sizes <= MAX_SESSION_ITEMS)]
        if groups.empty:
            return sp.csr_matrix((self.n_items, self.n_items), dtype=np.float32)
        codes, _ = pd.factorize(groups["session_id"])
        incidence = sp.csr_matrix(
            (np.full(len(codes), weight, np.float32), (codes, groups["product_id"].to_numpy())),
            shape=(codes.max() + 1, self.n_items),
        )
        pairs = (incidence.T @ incidence).tocsr()
        pairs.setdiag(0)
        pairs.eliminate_zeros()
        return pairs

    @staticmethod
    def _top_neighbours(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = matrix.shape[0]
        ptr, items, weights = [0], [], []
        for i in range(n):
            lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
            cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
            if len(vals) > CO_VISIT_NEIGHBOURS:
                keep = np.argpartition(-vals, CO_VISIT_NEIGHBOURS - 1)[:CO_VISIT_NEIGHBOURS]
                cols, vals = cols[keep], vals[keep]
            items.append(cols)
            weights.append(vals)
            ptr.append(ptr[-1] + len(cols))
        return (
            np.asarray(ptr, np.int64),
            np.concatenate(items).astype(np.int32) if items else np.zeros(0, np.int32),
            np.concatenate(weights).astype(np.float32) if weights else np.zeros(0, np.float32),
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
