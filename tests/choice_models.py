"""A small choice model built from a preset's entities, for generator and oracle tests."""

import numpy as np

from hashira_assets.raw import calendar as cal
from hashira_assets.raw import entities
from hashira_assets.raw.choice_model import ChoiceModel, Funnel
from hashira_assets.raw.world_config import make_config


def small_choice_model(n_customers: int, n_products: int) -> ChoiceModel:
    """The `tiny` preset's shapes with this many customers and products (seed 0)."""
    config = make_config("tiny", n_customers=n_customers, n_products=n_products)
    rng = np.random.default_rng(0)
    customers = entities.make_customers(config, rng)
    products = entities.make_products(config, rng)
    calendar = cal.make_calendar(config)
    promotions = cal.make_promotions(config, rng)
    return ChoiceModel(customers, products, calendar, promotions, Funnel.for_preset(False))
