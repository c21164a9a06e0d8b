"""A simulated day splits into a draw that reads no earlier day and a finish that does."""

import numpy as np
import pytest

from hashira_assets.raw.simulator import SessionSimulator
from tests.choice_models import small_choice_model

START = np.datetime64("2026-07-04")


@pytest.fixture(scope="module")
def model():
    return small_choice_model(300, 120)


def _after_days(model, days):
    sim = SessionSimulator(model, base_rate=0.5, start=START)
    for day in range(days):
        sim.simulate_day(day, np.random.default_rng([1, day]))
    return sim


def test_a_days_draw_does_not_depend_on_the_days_before(model):
    fresh, lived = _after_days(model, 0), _after_days(model, 60)
    assert (lived.last_consumable >= 0).any()  # the earlier days left something behind
    one = fresh.draw_sessions(60, np.random.default_rng([1, 60]))
    two = lived.draw_sessions(60, np.random.default_rng([1, 60]))
    assert len(one.owners) > 0
    for field in ("owners", "habit_draw", "regular_sess", "regular_prod"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    assert one.rng.bit_generator.state == two.rng.bit_generator.state


def test_finishing_a_draw_is_simulating_the_day(model):
    whole, split = _after_days(model, 60), _after_days(model, 60)
    expected = whole.simulate_day(60, np.random.default_rng([1, 60]))
    drawn = split.draw_sessions(60, np.random.default_rng([1, 60]))
    # The finish adds the visits that come back for what earlier days bought.
    _, _, replenish = split._with_replenishment(drawn)
    assert replenish.any()
    finished = split.finish_day(drawn)
    assert finished.events.num_rows > 0
    assert finished.events.equals(expected.events)
    assert finished.battles.equals(expected.battles)
    np.testing.assert_array_equal(whole.last_consumable, split.last_consumable)
    assert whole.next_session_id == split.next_session_id
    assert whole.next_event_id == split.next_event_id


def test_a_day_with_no_sessions_drops_the_returns_due(model):
    sim = _after_days(model, 30)
    sim.pending_returns[30].append((0, 0, 0, 1.0, 1))
    empty = sim.finish_day(sim.draw_sessions(30, np.random.default_rng(3), n_sessions=0))
    assert empty.events.num_rows == 0 and empty.n_sessions == 0
    assert 30 not in sim.pending_returns
