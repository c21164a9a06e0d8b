"""Oracle answers for the evaluation windows, computed from the choice model's true probabilities.

Nothing here looks at the drawn events except to decide *who* is evaluated (customers who bought
in the window, as MAP@12 is defined); the answers themselves are expectations under the model,
conditioned on the world's state at the start of the window (which consumables each customer
last bought).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from hashira_assets.raw.choice_model import (
    PROMO_BUY_BOOST,
    ChoiceModel,
    DayState,
    sigmoid,
    softmax_rows,
)
from hashira_assets.raw.entities import TYPE_IS_CONSUMABLE
from hashira_assets.raw.forked import default_workers, map_chunks

ORACLE_TOP_K = 50
# Bound the (customers x products) matrices the oracle builds at once to ~8M cells.
_CELLS_PER_CHUNK = 8_000_000

ORACLE_TOP_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int32()),
        ("rank", pa.int16()),
        ("product_id", pa.int32()),
        ("purchase_probability", pa.float64()),
    ]
)
ORACLE_DEMAND_SCHEMA = pa.schema(
    [
        ("product_id", pa.int32()),
        ("date", pa.date32()),
        ("expected_units", pa.float64()),
        ("expected_purchases", pa.float64()),
    ]
)


def _chunks(ids: np.ndarray, n_products: int) -> list[np.ndarray]:
    size = max(16, _CELLS_PER_CHUNK // max(n_products, 1))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class _ChunkTerms:
    """Day-independent matrices of one chunk of customers, with products in group order.

    The item utility splits into a static part (taste, price, rarity) and a per-product day term
    (popularity, launch buzz, promotion), so exp(utility) = exp(static) * exp(day term): the
    expensive (customers x products) work is done once per chunk, not once per day.
    """

    def __init__(self, model: ChoiceModel, cust: np.ndarray) -> None:
        self.model = model
        self.cust = cust
        prods = model.by_group
        static = model.static_utility(cust, prods)
        # A per-row shift leaves every within-group softmax unchanged and keeps exp() in range.
        static -= static.max(axis=1, keepdims=True)
        self.weights = np.exp(static)
        # The taste/style/rarity match feeds both conversion logits: computed once.
        match = model.match(cust, prods)
        self.cart = sigmoid(model.cart_logit(cust, prods, match=match))
        no_discount = np.zeros(len(model.products), dtype=np.float32)
        self.buy_logit = model.buy_logit(cust, prods, no_discount, match=match)
        self.conv_weights = self.weights * self.cart * sigmoid(self.buy_logit)
        self.nonempty_starts = model.group_start[model.group_count > 0]
        self.nonempty = model.group_count > 0

    def window_terms(
        self, states: list[DayState], base_rate: float
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Per-day pieces of several days: the session-weighted group factors A (customers x
        groups x days), the product day weights (days x products in group order), and each day's
        promoted columns with their conversion-weighted matrix.

        A group's softmax denominator on each day is one (customers x members) @ (members x
        days) product: one pass over the chunk for all the days.
        """
        model = self.model
        prods = model.by_group
        day_weights = np.stack(
            [np.exp(s.item_day_term[prods]) * (model.launch_sorted <= s.day) for s in states]
        )
        group_sum = np.zeros((len(self.cust), len(self.nonempty), len(states)))
        for g in np.flatnonzero(self.nonempty):
            start, stop = model.group_start[g], model.group_start[g] + model.group_count[g]
            group_sum[:, g, :] = self.weights[:, start:stop] @ day_weights[:, start:stop].T
        factors = np.zeros_like(group_sum)
        promotions = []
        for i, state in enumerate(states):
            group_p = softmax_rows(model.group_logits(self.cust, state))
            sessions = model.expected_sessions(self.cust, state, base_rate)
            views = (1.0 + model.funnel.extra_views) * sessions
            day_sum = group_sum[:, :, i]
            with np.errstate(invalid="ignore", divide="ignore"):
                factors[:, :, i] = np.where(day_sum > 0, group_p / day_sum, 0.0) * views[:, None]
            promo_cols = np.flatnonzero(state.discount[prods] > 0)
            promo_conv = (
                self.weights[:, promo_cols]
                * self.cart[:, promo_cols]
                * sigmoid(
                    self.buy_logit[:, promo_cols]
                    + PROMO_BUY_BOOST * state.discount[prods[promo_cols]][None, :]
                )
            )
            promotions.append((promo_cols, promo_conv))
        return factors, day_weights, promotions

    def day_terms(
        self, state: DayState, base_rate: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`window_terms` of one day: group factor A (cust x groups), product day weights (group
        order), promoted columns and their conversion-weighted matrix."""
        factors, day_weights, [(promo_cols, promo_conv)] = self.window_terms([state], base_rate)
        return factors[:, :, 0], day_weights[0], promo_cols, promo_conv

    def replenishment(
        self, state: DayState, base_rate: float, last_consumable: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, product id, expected purchases) of each customer's habitual re-buy."""
        model = self.model
        last = last_consumable[self.cust]
        rows = np.flatnonzero(last >= 0)
        cust = self.cust[rows]
        cart, buy = model.conversion(cust, last[rows], state, replenish=1.0, outer=False)
        sessions = model.expected_sessions(cust, state, base_rate)
        return rows, last[rows], sessions * model.customers.repurchase_habit[cust] * cart * buy

    def expected_matrix(
        self, state: DayState, base_rate: float, last_consumable: np.ndarray
    ) -> np.ndarray:
        """(customers x products in group order) expected purchases on the day."""
        return self.expected_window([state], base_rate, last_consumable)

    def expected_window(
        self, states: list[DayState], base_rate: float, last_consumable: np.ndarray
    ) -> np.ndarray:
        """(customers x products in group order) expected purchases summed over `states`.

        A cell's expectation is (customer's group factor that day) x (product's day weight) x
        (conversion weight), so the days meet in one small (customers x days) @ (days x members)
        product per group; promoted columns and habitual re-buys are corrected day by day.
        """
        model = self.model
        factors, day_weights, promotions = self.window_terms(states, base_rate)
        total = np.zeros_like(self.conv_weights)
        for g in np.flatnonzero(self.nonempty):
            start, stop = model.group_start[g], model.group_start[g] + model.group_count[g]
            total[:, start:stop] = factors[:, g, :] @ day_weights[:, start:stop]
        total *= self.conv_weights
        for i, (state, (promo_cols, promo_conv)) in enumerate(zip(states, promotions, strict=True)):
            per_cell = factors[:, model.group_of_sorted[promo_cols], i] * day_weights[i, promo_cols]
            total[:, promo_cols] += per_cell * (promo_conv - self.conv_weights[:, promo_cols])
            rows, prods, rep = self.replenishment(state, base_rate, last_consumable)
            np.add.at(total, (rows, model.sorted_position[prods]), rep)
        return total

    def expected_per_product_window(
        self, states: list[DayState], base_rate: float, last_consumable: np.ndarray
    ) -> np.ndarray:
        """(days x products by id) expected purchases, summed over the chunk's customers."""
        model = self.model
        factors, day_weights, promotions = self.window_terms(states, base_rate)
        total_sorted = np.zeros((len(states), len(model.by_group)))
        for g in np.flatnonzero(self.nonempty):
            start, stop = model.group_start[g], model.group_start[g] + model.group_count[g]
            total_sorted[:, start:stop] = factors[:, g, :].T @ self.conv_weights[:, start:stop]
        out = np.zeros((len(states), len(model.products)))
        for i, (state, (promo_cols, promo_conv)) in enumerate(zip(states, promotions, strict=True)):
            promo_groups = model.group_of_sorted[promo_cols]
            total_sorted[i, promo_cols] = np.einsum(
                "ij,ij->j", factors[:, promo_groups, i], promo_conv
            )
            out[i, model.by_group] = total_sorted[i] * day_weights[i]
            _, prods, rep = self.replenishment(state, base_rate, last_consumable)
            np.add.at(out[i], prods, rep)
        return out

    def expected_per_product(
        self, state: DayState, base_rate: float, last_consumable: np.ndarray
    ) -> np.ndarray:
        """Expected purchases of each product (by id) on the day, summed over the chunk."""
        return self.expected_per_product_window([state], base_rate, last_consumable)[0]


def oracle_top_products(
    model: ChoiceModel,
    customers: np.ndarray,
    days: list[int],
    base_rate: float,
    last_consumable: np.ndarray,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> pa.Table:
    """Each customer's top-50 products by true probability of buying them in the window.

    The probability of at least one purchase is 1 - exp(-expected purchases) (purchases of a
    product are Poisson given the model), so ranking by either is the same. Chunks of customers
    run in `workers` processes (default: the usable cores).
    """
    states = [model.day_state(d) for d in days]
    k = min(ORACLE_TOP_K, len(model.products))

    def top_of_chunk(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = _ChunkTerms(model, chunk).expected_window(states, base_rate, last_consumable)
        top = np.argpartition(-total, k - 1, axis=1)[:, :k]
        top_vals = np.take_along_axis(total, top, axis=1)
        # Ties broken by product id so that the answer is deterministic.
        order = np.lexsort((top, -top_vals), axis=1)
        return np.take_along_axis(top, order, axis=1), np.take_along_axis(top_vals, order, axis=1)

    chunks = _chunks(customers, len(model.products))
    out_cust, out_rank, out_prod, out_prob = [], [], [], []
    done = 0
    results = map_chunks(top_of_chunk, chunks, default_workers() if workers is None else workers)
    for chunk, (top, top_vals) in zip(chunks, results, strict=True):
        top = model.by_group[top]
        out_cust.append(np.repeat(chunk, k))
        out_rank.append(np.tile(np.arange(1, k + 1), len(chunk)))
        out_prod.append(top.ravel())
        out_prob.append(1.0 - np.exp(-top_vals.ravel().astype(np.float64)))
        done += len(chunk)
        if progress:
            progress(done, len(customers))
    if not out_cust:
        return ORACLE_TOP_SCHEMA.empty_table()
    return pa.table(
        {
            "customer_id": np.concatenate(out_cust).astype(np.int32),
            "rank": np.concatenate(out_rank).astype(np.int16),
            "product_id": np.concatenate(out_prod).astype(np.int32),
            "purchase_probability": np.concatenate(out_prob),
        },
        schema=ORACLE_TOP_SCHEMA,
    )


def oracle_expected_demand(
    model: ChoiceModel,
    days: list[int],
    start: np.datetime64,
    base_rate: float,
    last_consumable: np.ndarray,
    customer_sample: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> pa.Table:
    """Each product's true expected units and purchases on each day.

    With customer_sample set (for very large presets), the expectation is estimated from that
    uniform sample of customers, reweighted to the whole population. Chunks of customers run in
    `workers` processes (default: the usable cores); their sums are added in chunk order.
    """
    n_customers = len(model.customers)
    customers = np.arange(n_customers) if customer_sample is None else customer_sample
    weight = n_customers / len(customers)
    n_products = len(model.products)
    consumable = TYPE_IS_CONSUMABLE[model.products.type_idx]
    # Consumables are bought 1-3 at a time (uniform), everything else one at a time.
    units_per_purchase = np.where(consumable, 2.0, 1.0)
    states = [model.day_state(day) for day in days]
    purchases = np.zeros((len(days), n_products))

    def demand_of_chunk(chunk: np.ndarray) -> np.ndarray:
        terms = _ChunkTerms(model, chunk)
        return terms.expected_per_product_window(states, base_rate, last_consumable)

    chunks = _chunks(customers, n_products)
    results = map_chunks(demand_of_chunk, chunks, default_workers() if workers is None else workers)
    done = 0
    for chunk, chunk_purchases in zip(chunks, results, strict=True):
        purchases += chunk_purchases
        done += len(chunk)
        if progress:
            progress(done, len(customers))
    purchases *= weight
    rows_prod = [np.arange(n_products, dtype=np.int32)] * len(days)
    rows_date = [np.full(n_products, start + np.timedelta64(day, "D")) for day in days]
    rows_units = [p * units_per_purchase for p in purchases]
    rows_purch = list(purchases)
    return pa.table(
        {
            "product_id": np.concatenate(rows_prod),
            "date": np.concatenate(rows_date),
            "expected_units": np.concatenate(rows_units),
            "expected_purchases": np.concatenate(rows_purch),
        },
        schema=ORACLE_DEMAND_SCHEMA,
    )
