"""Day-by-day simulation of shopping sessions: views, carts, purchases, returns and battles."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
import pyarrow as pa

from hashira_assets.raw import vocabulary as voc
from hashira_assets.raw.choice_model import ChoiceModel, DayState, sigmoid
from hashira_assets.raw.entities import TYPE_IS_CONSUMABLE
from hashira_assets.raw.gumbel import gumbel_argmax

EVENT_TYPES = ("view", "cart", "purchase", "return")
_VIEW, _CART, _PURCHASE, _RETURN = range(4)
_HOUR_P = np.array(voc.HOUR_SHARES) / sum(voc.HOUR_SHARES)
_TYPE_PHYSIQUE = np.array([t.physique for t in voc.PRODUCT_TYPES], dtype=np.float32)
_IS_WEAPON = np.array([t.category == "weapon" for t in voc.PRODUCT_TYPES])
RETURN_AFTER_LOST_BATTLE = 0.3
ACCESSORY_RETURN_RATE = 0.02

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("session_id", pa.int64()),
        ("customer_id", pa.int32()),
        ("product_id", pa.int32()),
        ("event_type", pa.string()),
        # Raw events carry timestamps as ISO-8601 text, as a client sends them; silver parses them.
        ("event_ts", pa.string()),
        ("price", pa.float64()),
        ("quantity", pa.int16()),
    ]
)
BATTLE_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int32()),
        ("product_id", pa.int32()),
        ("purchase_date", pa.date32()),
        ("battle_date", pa.date32()),
        ("success", pa.bool_()),
        # The probability `success` was drawn from: the oracle battle-fit models are scored on.
        ("success_probability", pa.float64()),
    ]
)


@dataclasses.dataclass
class DayEvents:
    """The events and battle outcomes of one simulated day."""

    events: pa.Table
    battles: pa.Table
    n_sessions: int


@dataclasses.dataclass
class SessionDraw:
    """A day's sessions and regular views, and the day's generator left where they stopped."""

    day: int
    owners: np.ndarray  # int32 customer of each session
    habit_draw: np.ndarray  # uniform per session, against the owner's repurchase habit
    regular_sess: np.ndarray  # session index of each regular view
    regular_prod: np.ndarray  # int32 product of each regular view
    rng: np.random.Generator

    @classmethod
    def empty(cls, day: int, rng: np.random.Generator) -> SessionDraw:
        nothing = np.empty(0, dtype=np.int32)
        return cls(day, nothing, np.empty(0), nothing, nothing, rng)


def battle_success_probability(
    same_style: np.ndarray,
    physique: np.ndarray,
    type_idx: np.ndarray,
    level: np.ndarray,
    weight_kg: np.ndarray,
) -> np.ndarray:
    """True odds of winning a battle with a weapon: style, physique fit, level, weight."""
    physique_fit = np.einsum("ij,ij->i", physique, _TYPE_PHYSIQUE[type_idx])
    heavy_for_weak = (weight_kg > 4.0) & (physique[:, 0] < 0.5)
    return sigmoid(
        -0.6
        + 1.4 * same_style
        + 3.0 * (physique_fit - 0.5)
        + 0.02 * (level - 30)
        - 0.8 * heavy_for_weak
    )


class SessionSimulator:
    """Draws each day's sessions from the choice model, carrying state between days."""

    def __init__(self, model: ChoiceModel, base_rate: float, start: np.datetime64) -> None:
        self.model = model
        self.base_rate = base_rate
        self.start = start
        n = len(model.customers)
        # The consumable each customer last bought: what a replenishment visit comes back for.
        self.last_consumable = np.full(n, -1, dtype=np.int32)
        self.cum_activity = np.cumsum(model.customers.activity.astype(np.float64))
        # Returns fall due on later days; keyed by day offset.
        self.pending_returns: dict[int, list[tuple]] = defaultdict(list)
        self.next_session_id = 0
        self.next_event_id = 0

    def signed_up(self, day: int) -> int:
        """How many customers have signed up by the day (a prefix of the id range)."""
        return int(np.searchsorted(self.model.customers.signup_day, day, side="right"))

    def expected_sessions_total(self, day: int, state: DayState) -> float:
        n = self.signed_up(day)
        return self.base_rate * state.demand_factor * (self.cum_activity[n - 1] if n else 0.0)

    def simulate_day(
        self, day: int, rng: np.random.Generator, n_sessions: int | None = None
    ) -> DayEvents:
        """Simulate one day; n_sessions forces the session count (used for calibration)."""
        return self.finish_day(self.draw_sessions(day, rng, n_sessions))

    def draw_sessions(
        self, day: int, rng: np.random.Generator, n_sessions: int | None = None
    ) -> SessionDraw:
        """The day's sessions and regular views: the part of a day that reads nothing earlier
        days changed, so worker processes can draw days ahead (`finish_day` does the rest)."""
        model = self.model
        state = model.day_state(day)
        n_active = self.signed_up(day)
        if n_sessions is None:
            n_sessions = int(rng.poisson(self.expected_sessions_total(day, state)))
        if n_active == 0 or n_sessions == 0:
            return SessionDraw.empty(day, rng)
        owners = np.searchsorted(
            self.cum_activity[:n_active], rng.random(n_sessions) * self.cum_activity[n_active - 1]
        ).astype(np.int32)
        # Drawn for every session whatever it last bought: the day's later draws stay the same.
        habit_draw = rng.random(len(owners))
        regular_sess, regular_prod = self._draw_regular_views(owners, state, rng)
        return SessionDraw(day, owners, habit_draw, regular_sess, regular_prod, rng)

    def finish_day(self, draw: SessionDraw) -> DayEvents:
        """Replenishment visits, carts, purchases, returns and battles of a drawn day, in order
        after the days before it (they change what customers come back for)."""
        day, owners, rng = draw.day, draw.owners, draw.rng
        if len(owners) == 0:
            return self._empty(day)
        model = self.model
        # Recomputed here (about 2 ms at `hm`) rather than sent back from the worker (1 MB a day).
        state = model.day_state(day)
        session_ids = self.next_session_id + np.arange(len(owners), dtype=np.int64)
        self.next_session_id += len(owners)
        view_sess, view_prod, replenish = self._with_replenishment(draw)
        view_cust = owners[view_sess]
        cart_p, buy_p = model.conversion(view_cust, view_prod, state, replenish, outer=False)
        carted = rng.random(len(view_prod)) < cart_p
        bought = carted & (rng.random(len(view_prod)) < buy_p)
        return self._assemble(
            day, state, rng, owners, session_ids, view_sess, view_prod, carted, bought
        )

    def _draw_regular_views(
        self, owners: np.ndarray, state: DayState, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Views drawn from the choice model, as (session index, product id) arrays."""
        model = self.model
        n_regular = 1 + rng.poisson(model.funnel.extra_views, size=len(owners))
        reg_sess = np.repeat(np.arange(len(owners)), n_regular)
        reg_cust = owners[reg_sess]
        group_logit = model.group_logits(reg_cust, state)
        groups = gumbel_argmax(rng, group_logit)
        reg_prod = np.empty(len(reg_sess), dtype=np.int32)
        for g in np.unique(groups):
            rows = np.flatnonzero(groups == g)
            start = model.group_start[g]
            members = model.by_group[start : start + state.n_available[g]]
            util = model.item_utility(reg_cust[rows], members, state)
            pick = gumbel_argmax(rng, util)
            reg_prod[rows] = members[pick]
        return reg_sess, reg_prod

    def _with_replenishment(self, draw: SessionDraw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All views as (session index, product id, is-replenishment) arrays, in session order."""
        # Replenishment: a returning buyer of a consumable comes back for it first.
        last = self.last_consumable[draw.owners]
        habit = self.model.customers.repurchase_habit[draw.owners]
        rep_sess = np.flatnonzero((last >= 0) & (draw.habit_draw < habit))
        rep_prod = last[rep_sess]
        sess = np.concatenate([rep_sess, draw.regular_sess])
        prod = np.concatenate([rep_prod, draw.regular_prod])
        replenish = np.concatenate(
            [np.ones(len(rep_sess), bool), np.zeros(len(draw.regular_sess), bool)]
        )
        order = np.argsort(sess, kind="stable")
        return sess[order], prod[order], replenish[order]

    def _assemble(
        self,
        day: int,
        state: DayState,
        rng: np.random.Generator,
        owners: np.ndarray,
        session_ids: np.ndarray,
        view_sess: np.ndarray,
        view_prod: np.ndarray,
        carted: np.ndarray,
        bought: np.ndarray,
    ) -> DayEvents:
        model = self.model
        products = model.products
        day_ms = (self.start + np.timedelta64(day, "D")).astype("datetime64[ms]")
        # Session start times follow the hourly profile; views are 30-180 s apart.
        hours = rng.choice(24, size=len(owners), p=_HOUR_P)
        session_start = hours * 3_600_000 + rng.integers(0, 3_000_000, size=len(owners))
        step = rng.integers(30_000, 180_000, size=len(view_sess))
        first_in_session = np.r_[True, view_sess[1:] != view_sess[:-1]]
        offsets = np.cumsum(step)
        offsets -= np.maximum.accumulate(np.where(first_in_session, offsets - step, 0))
        view_ms = session_start[view_sess] + offsets
        unit_price = np.round(products.price[view_prod] * (1 - state.discount[view_prod]), 2)
        consumable = TYPE_IS_CONSUMABLE[products.type_idx[view_prod]]
        quantity = np.where(consumable, rng.integers(1, 4, size=len(view_prod)), 1)

        cart_ms = view_ms + rng.integers(5_000, 120_000, size=len(view_ms))
        buy_ms = cart_ms + rng.integers(20_000, 600_000, size=len(view_ms))
        parts = []
        if model.funnel.log_views:
            parts.append((view_sess, view_prod, _VIEW, view_ms, unit_price, np.ones_like(quantity)))
        parts.append((view_sess[carted], view_prod[carted], _CART, cart_ms[carted],
                      unit_price[carted], quantity[carted]))  # fmt: skip
        parts.append((view_sess[bought], view_prod[bought], _PURCHASE, buy_ms[bought],
                      unit_price[bought], quantity[bought]))  # fmt: skip

        cust_b, prod_b = owners[view_sess[bought]], view_prod[bought]
        battles = self._battles_and_returns(
            day, rng, cust_b, prod_b, session_ids[view_sess[bought]], unit_price[bought],
            quantity[bought],
        )  # fmt: skip
        cons = TYPE_IS_CONSUMABLE[products.type_idx[prod_b]]
        # Later purchases in the day win, as they would in a live shop.
        self.last_consumable[cust_b[cons]] = prod_b[cons]

        sess_col = np.concatenate([session_ids[p[0]] for p in parts])
        cust_col = np.concatenate([owners[p[0]] for p in parts])
        prod_col = np.concatenate([p[1] for p in parts])
        type_col = np.concatenate([np.full(len(p[1]), p[2], np.int8) for p in parts])
        ms_col = np.concatenate([p[3] for p in parts]).astype(np.int64)
        price_col = np.concatenate([p[4] for p in parts])
        qty_col = np.concatenate([p[5] for p in parts])
        due = self.pending_returns.pop(day, [])
        if due:
            r = np.array(due, dtype=object)
            sess_col = np.concatenate([sess_col, r[:, 0].astype(np.int64)])
            cust_col = np.concatenate([cust_col, r[:, 1].astype(np.int32)])
            prod_col = np.concatenate([prod_col, r[:, 2].astype(np.int32)])
            type_col = np.concatenate([type_col, np.full(len(due), _RETURN, np.int8)])
            ms_col = np.concatenate([ms_col, rng.integers(8 * 3_600_000, 20 * 3_600_000, len(due))])
            price_col = np.concatenate([price_col, r[:, 3].astype(np.float64)])
            qty_col = np.concatenate([qty_col, r[:, 4].astype(np.int64)])
        # Events past midnight stay on their session's day: the day partition is the session's.
        ms_col = np.minimum(ms_col, 86_399_999)
        order = np.lexsort((type_col, ms_col))
        n = len(order)
        event_ids = self.next_event_id + np.arange(n, dtype=np.int64)
        self.next_event_id += n
        events = pa.table(
            {
                "event_id": event_ids,
                "session_id": sess_col[order],
                "customer_id": cust_col[order].astype(np.int32),
                "product_id": prod_col[order].astype(np.int32),
                "event_type": np.array(EVENT_TYPES)[type_col[order]],
                "event_ts": np.datetime_as_string(
                    day_ms + ms_col[order].astype("timedelta64[ms]"), unit="ms"
                ),
                "price": price_col[order].astype(np.float64),
                "quantity": qty_col[order].astype(np.int16),
            },
            schema=EVENT_SCHEMA,
        )
        return DayEvents(events=events, battles=battles, n_sessions=len(owners))

    def _battles_and_returns(
        self,
        day: int,
        rng: np.random.Generator,
        cust: np.ndarray,
        prod: np.ndarray,
        sessions: np.ndarray,
        price: np.ndarray,
        quantity: np.ndarray,
    ) -> pa.Table:
        """Battle outcomes of bought weapons; lost battles and some accessories come back."""
        c, p = self.model.customers, self.model.products
        weapon = _IS_WEAPON[p.type_idx[prod]]
        success_p = battle_success_probability(
            c.style[cust] == p.style[prod],
            c.physique[cust],
            p.type_idx[prod],
            c.level[cust],
            p.weight_kg[prod],
        )
        success = rng.random(len(prod)) < success_p
        battle_day = day + rng.integers(1, 15, size=len(prod))
        returned = np.where(
            weapon,
            ~success & (rng.random(len(prod)) < RETURN_AFTER_LOST_BATTLE),
            rng.random(len(prod)) < ACCESSORY_RETURN_RATE,
        )
        for i in np.flatnonzero(returned):
            self.pending_returns[int(battle_day[i])].append(
                (int(sessions[i]), int(cust[i]), int(prod[i]), float(price[i]), int(quantity[i]))
            )
        w = np.flatnonzero(weapon)
        start = self.start
        return pa.table(
            {
                "customer_id": cust[w].astype(np.int32),
                "product_id": prod[w].astype(np.int32),
                "purchase_date": np.full(len(w), start + np.timedelta64(day, "D")),
                "battle_date": start + battle_day[w].astype("timedelta64[D]"),
                "success": success[w],
                "success_probability": success_p[w].astype(np.float64),
            },
            schema=BATTLE_SCHEMA,
        )

    def _empty(self, day: int) -> DayEvents:
        self.pending_returns.pop(day, None)
        return DayEvents(EVENT_SCHEMA.empty_table(), BATTLE_SCHEMA.empty_table(), 0)
