import datetime as dt

import pytest

from hashira_assets.raw.world_config import PRESETS, WorldConfigError, make_config


@pytest.mark.parametrize(
    ("preset", "customers", "products", "days"),
    [("tiny", 500, 200, 120), ("small", 5_000, 1_000, 730), ("medium", 50_000, 10_000, 730),
     ("hm", 1_370_000, 105_000, 730)],
)  # fmt: skip
def test_presets_have_documented_sizes(preset, customers, products, days):
    config = make_config(preset)
    assert (config.n_customers, config.n_products, config.n_days) == (customers, products, days)


def test_overrides_replace_preset_values():
    config = make_config("tiny", n_customers=77, seed=3, end_date="2026-06-30")
    assert config.n_customers == 77
    assert config.seed == 3
    assert config.end_date == dt.date(2026, 6, 30)
    assert config.n_days == 120  # the preset's span moves with the end date


def test_eval_and_demand_windows_are_the_last_7_and_28_days():
    config = make_config("tiny")
    assert (config.end_date - config.eval_start).days == 6
    assert (config.end_date - config.demand_start).days == 27


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_customers": -1}, "n_customers must not be negative"),
        ({"n_products": 5}, "n_products must be at least 20"),
        ({"n_events": 2.5}, "n_events must be a whole number"),
        ({"start_date": "2026-05-01", "end_date": "2026-01-01"}, "is before start_date"),
        ({"start_date": "2026-01-01", "end_date": "2026-01-10"}, "at least 28 days"),
        ({"end_date": "31/10/2026"}, "YYYY-MM-DD"),
        ({"seed": -4}, "seed must be a non-negative"),
        ({"colour": "red"}, "unknown setting"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(overrides, message):
    with pytest.raises(WorldConfigError, match=message):
        make_config("tiny", **overrides)


def test_unknown_preset_names_the_choices():
    with pytest.raises(WorldConfigError, match="choose one of " + ", ".join(PRESETS)):
        make_config("huge")
