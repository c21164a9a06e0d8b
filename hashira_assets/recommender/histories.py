"""Customers' histories at a cut-off: events aggregated per (customer, product), in bounded
memory at any size of shop."""

from __future__ import annotations

import itertools

import numpy as np

from hashira_assets.recommender.data import CART, PURCHASE, VIEW

HISTORY_TAU_DAYS = 60.0
# Events per chunk of the aggregation: its index arrays take about 40 bytes an event.
PAIR_CHUNK_EVENTS = 16_000_000
COLUMNS = ("item", "bought", "carted", "viewed", "last_day", "last_buy_day", "decayed")


def decay(days_ago: np.ndarray, tau: float) -> np.ndarray:
    return np.exp(-days_ago / tau)


def aggregate_pairs(
    rows: np.ndarray,
    products: np.ndarray,
    event_types: np.ndarray,
    days: np.ndarray,
    n_items: int,
    cutoff_day: int,
    chunk_events: int = PAIR_CHUNK_EVENTS,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Events aggregated per (customer row, product): purchases, carts, views, last day, last
    purchase day and time-decayed purchases. Returns each pair's row and the columns, sorted by
    row and, within a customer, by when the product was first touched.

    Customers are aggregated in ranges of rows of about `chunk_events` events each, so that the
    sort's index arrays stay bounded: at `hm` (77M events) a pandas group-by over a frame of
    every column took 8 to 9 GiB at its peak, one sort over all of them 5 GiB."""
    n_chunks = -(-len(rows) // chunk_events)
    if n_chunks <= 1:
        return _aggregate_events(rows, products, event_types, days, n_items, cutoff_day)
    bounds = np.linspace(0, int(rows.max()) + 1, n_chunks + 1).astype(np.int64)
    parts = []
    for low, high in itertools.pairwise(bounds):
        # Indices in ascending order: each range keeps its events in time order.
        picked = np.flatnonzero((rows >= low) & (rows < high))
        parts.append(_aggregate_events(
            rows[picked], products[picked], event_types[picked], days[picked], n_items, cutoff_day
        ))  # fmt: skip
        del picked
    pair_rows = np.concatenate([part[0] for part in parts])
    # One column at a time, each chunk's copy let go as soon as it is joined.
    columns = {name: np.concatenate([part[1].pop(name) for part in parts]) for name in COLUMNS}
    return pair_rows, columns


def _aggregate_events(
    rows: np.ndarray,
    products: np.ndarray,
    event_types: np.ndarray,
    days: np.ndarray,
    n_items: int,
    cutoff_day: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`aggregate_pairs` in one sort: by (row, product), then each run reduced column by column."""
    key = rows.astype(np.int64) * n_items + products
    order = np.argsort(key, kind="stable")  # stable: a pair's events stay in time order
    key = key[order]
    boundary = np.ones(len(key), bool)
    np.not_equal(key[1:], key[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    del boundary
    pair_key = key[starts]
    del key
    pair_row = pair_key // n_items
    # Sorted by (row, first event): a customer's products in the order they were first touched.
    by_first = np.argsort(pair_row * (len(rows) + 1) + order[starts], kind="stable")
    columns = {"item": (pair_key % n_items).astype(np.int32)[by_first]}
    del pair_key

    def per_pair(values: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
        if len(starts) == 0:
            return values[:0]
        return ufunc.reduceat(values[order], starts)[by_first]

    purchase = event_types == PURCHASE
    for name, code in (("bought", PURCHASE), ("carted", CART), ("viewed", VIEW)):
        columns[name] = per_pair((event_types == code).astype(np.float32), np.add)
    columns["last_day"] = per_pair(days, np.maximum)
    columns["last_buy_day"] = per_pair(np.where(purchase, days, -(10**6)), np.maximum)
    days_ago = cutoff_day - 1 - days
    decay_by_age = decay(np.arange(days_ago.max(initial=0) + 1, dtype=float), HISTORY_TAU_DAYS)
    columns["decayed"] = per_pair(np.where(purchase, decay_by_age[days_ago], 0.0), np.add)
    return pair_row[by_first], columns
