"""The latent choice model that both draws the events and computes the oracle's true probabilities.

A session of customer c on day d views products in two steps (docs/data-model.md):
1. a choice group g = (breathing style, product type) with probability softmax_g(group logits);
2. a product inside g, among those already launched, with probability softmax(item utility).
A viewed product is put in the cart, then bought, with logistic probabilities. Sharing these
functions between the simulator and the oracle is what makes the oracle the true ceiling.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import expit

from hashira_assets.raw.calendar import Promotions, ShopCalendar
from hashira_assets.raw.entities import (
    N_STYLES,
    N_TYPES,
    TYPE_IS_CONSUMABLE,
    Customers,
    Products,
)

N_GROUPS = N_STYLES * N_TYPES
STYLE_BONUS = 2.2  # logit bonus for groups of the customer's own breathing style
GROUP_SIZE_WEIGHT = 0.5  # larger groups draw more views, less than proportionally
RARITY_FIT = 0.5  # high-level slayers like rare items, beginners shy away from them
NEW_PRODUCT_BOOST = 1.2  # launch buzz, decaying with NEW_PRODUCT_DECAY_DAYS
NEW_PRODUCT_DECAY_DAYS = 21.0
PROMO_VIEW_BOOST = 4.0  # per unit of discount, on the item utility
PROMO_BUY_BOOST = 3.0  # per unit of discount, on the buy logit
REPLENISH_CART_BONUS = 1.5  # a habitual re-buy of a consumable converts more readily


@dataclasses.dataclass(frozen=True)
class Funnel:
    """Views per session and the conversion intercepts of one preset."""

    extra_views: float  # views per session = 1 + Poisson(extra_views)
    cart_intercept: float
    buy_intercept: float
    log_views: bool = True  # purchase-log presets (hm) record no view events

    @classmethod
    def for_preset(cls, purchase_heavy: bool) -> Funnel:
        if purchase_heavy:
            return cls(extra_views=0.0, cart_intercept=2.5, buy_intercept=2.5, log_views=False)
        return cls(extra_views=1.6, cart_intercept=-1.0, buy_intercept=0.3)


@dataclasses.dataclass
class DayState:
    """What the choice model needs to know about one day."""

    day: int
    n_available: np.ndarray  # int, launched products per group (products sorted by group)
    item_day_term: np.ndarray  # float32 per product: popularity + launch buzz + promotion
    discount: np.ndarray  # float32 per product
    demand_factor: float


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function; scipy's one pass is half the cost of 1 / (1 + exp(-x)), which the
    oracle pays on every (customer, product) cell twice."""
    return expit(x)


class ChoiceModel:
    """Probabilities of viewing and buying, shared by the simulator and the oracle."""

    def __init__(
        self,
        customers: Customers,
        products: Products,
        calendar: ShopCalendar,
        promotions: Promotions,
        funnel: Funnel,
    ) -> None:
        self.customers = customers
        self.products = products
        self.calendar = calendar
        self.promotions = promotions
        self.funnel = funnel
        group = products.group
        # Products ordered by group, then id (= launch order): launched products form a prefix
        # of each group's slice.
        self.by_group = np.lexsort((np.arange(len(group)), group)).astype(np.int32)
        counts = np.bincount(group, minlength=N_GROUPS)
        self.group_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.group_count = counts
        self.group_of_sorted = group[self.by_group]
        self.launch_sorted = products.launch_day[self.by_group]
        self.group_style = np.repeat(np.arange(N_STYLES), N_TYPES)
        self.group_type = np.tile(np.arange(N_TYPES), N_STYLES)
        self.log_rel_price = products.log_relative_price
        self.is_consumable = TYPE_IS_CONSUMABLE[products.type_idx]
        self.sorted_position = np.empty(len(group), dtype=np.int64)
        self.sorted_position[self.by_group] = np.arange(len(group))

    def day_state(self, day: int) -> DayState:
        """Availability, promotions and launch buzz on one day."""
        products = self.products
        n_available = np.zeros(N_GROUPS, dtype=np.int64)
        for g in np.flatnonzero(self.group_count):
            start, count = self.group_start[g], self.group_count[g]
            launches = self.launch_sorted[start : start + count]
            n_available[g] = np.searchsorted(launches, day, side="right")
        age = (day - products.launch_day).astype(np.float32)
        launched_in_window = products.launch_day >= 0
        buzz = np.where(
            launched_in_window & (age >= 0),
            NEW_PRODUCT_BOOST * np.exp(-np.maximum(age, 0) / NEW_PRODUCT_DECAY_DAYS),
            0.0,
        )
        discount = self.promotions.discounts_on(day, len(products))
        term = products.log_popularity + buzz + PROMO_VIEW_BOOST * discount
        return DayState(
            day=day,
            n_available=n_available,
            item_day_term=term.astype(np.float32),
            discount=discount,
            demand_factor=float(self.calendar.demand_factor[day]),
        )

    def group_logits(self, cust: np.ndarray, state: DayState) -> np.ndarray:
        """(len(cust), N_GROUPS) logits of the group a view lands in; -inf for empty groups."""
        c = self.customers
        own = self.group_style[None, :] == c.style[cust][:, None]
        logits = STYLE_BONUS * own + c.type_logit[cust][:, self.group_type]
        with np.errstate(divide="ignore"):
            size_term = GROUP_SIZE_WEIGHT * np.log(state.n_available.astype(np.float64))
        return (logits + size_term[None, :]).astype(np.float64)

    def static_utility(self, cust: np.ndarray, prods: np.ndarray) -> np.ndarray:
        """(len(cust), len(prods)) part of the item utility that does not change by day."""
        c, p = self.customers, self.products
        util = c.taste[cust] @ p.vector[prods].T
        util -= c.price_sensitivity[cust][:, None] * self.log_rel_price[prods][None, :]
        util += self._rarity_fit(cust, prods)
        return util

    def item_utility(self, cust: np.ndarray, prods: np.ndarray, state: DayState) -> np.ndarray:
        """(len(cust), len(prods)) utility of each product to each customer on the day."""
        return self.static_utility(cust, prods) + state.item_day_term[prods][None, :]

    def _rarity_fit(self, cust: np.ndarray, prods: np.ndarray, outer: bool = True) -> np.ndarray:
        level, rarity = _pair(
            self.customers.level[cust].astype(np.float32) / 50.0 - 1.0,
            self.products.rarity[prods],
            outer,
        )
        return RARITY_FIT * level * rarity

    def match(self, cust: np.ndarray, prods: np.ndarray, outer: bool = True) -> np.ndarray:
        """How well products suit customers beyond price: taste, style and rarity fit.

        With outer=True the result is a (len(cust), len(prods)) matrix; with outer=False cust and
        prods are paired row by row (one view each) and the result is a vector.
        """
        c, p = self.customers, self.products
        if outer:
            taste = c.taste[cust] @ p.vector[prods].T
        else:
            taste = np.einsum("ij,ij->i", c.taste[cust], p.vector[prods])
        own_style, product_style = _pair(c.style[cust], p.style[prods], outer)
        return (
            0.5 * taste + 0.8 * (own_style == product_style) + self._rarity_fit(cust, prods, outer)
        )

    def cart_logit(
        self,
        cust: np.ndarray,
        prods: np.ndarray,
        outer: bool = True,
        match: np.ndarray | None = None,
    ) -> np.ndarray:
        """Logit of carting a viewed product; `match` is `self.match(cust, prods, outer)` when
        the caller has it already."""
        sensitivity, rel_price = _pair(
            self.customers.price_sensitivity[cust], self.log_rel_price[prods], outer
        )
        if match is None:
            match = self.match(cust, prods, outer)
        return self.funnel.cart_intercept + 0.6 * match - 0.4 * (sensitivity * rel_price)

    def buy_logit(
        self,
        cust: np.ndarray,
        prods: np.ndarray,
        discount: np.ndarray,
        outer: bool = True,
        match: np.ndarray | None = None,
    ) -> np.ndarray:
        """Logit of buying a carted product; discount holds each product's discount that day."""
        promo = PROMO_BUY_BOOST * discount[prods]
        if match is None:
            match = self.match(cust, prods, outer)
        return self.funnel.buy_intercept + 0.3 * match + promo

    def conversion(
        self,
        cust: np.ndarray,
        prods: np.ndarray,
        state: DayState,
        replenish: np.ndarray | float = 0.0,
        outer: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities that a view is carted, and that a carted product is bought."""
        bonus = REPLENISH_CART_BONUS * np.asarray(replenish, dtype=np.float32)
        cart = sigmoid(self.cart_logit(cust, prods, outer) + bonus)
        return cart, sigmoid(self.buy_logit(cust, prods, state.discount, outer))

    def expected_sessions(self, cust: np.ndarray, state: DayState, base_rate: float) -> np.ndarray:
        """Expected number of sessions of each customer on the day (0 before signup)."""
        c = self.customers
        signed_up = c.signup_day[cust] <= state.day
        return base_rate * state.demand_factor * c.activity[cust] * signed_up


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    top = np.max(logits, axis=1, keepdims=True)
    weights = np.exp(logits - top)
    return weights / weights.sum(axis=1, keepdims=True)


def _pair(
    cust_values: np.ndarray, prod_values: np.ndarray, outer: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Shape per-customer and per-product values for an outer (matrix) or paired (row) result."""
    if outer:
        return cust_values[:, None], prod_values[None, :]
    return cust_values, prod_values
