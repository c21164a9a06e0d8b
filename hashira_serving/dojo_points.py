"""The Dojo's points and ranks, computed from a shopper's events (rules from the design documents).

- +10 for every bought weapon that won its next battle;
- +5 for every active day that continues a daily streak (an active day right after another one);
- +1 for every 10 minutes of a logged training session;
- ranks: Apprentice 0-99, Slayer 100-499, Hashira 500+.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

BATTLE_POINTS = 10
STREAK_POINTS = 5
TRAINING_MINUTES_PER_POINT = 10
RANKS = (("Apprentice", 0), ("Slayer", 100), ("Hashira", 500))


@dataclasses.dataclass(frozen=True)
class DojoScore:
    """A shopper's points by source, rank and streaks."""

    battle_points: int
    streak_points: int
    training_points: int
    battles_won: int
    battles_lost: int
    current_streak: int
    longest_streak: int

    @property
    def total(self) -> int:
        return self.battle_points + self.streak_points + self.training_points

    @property
    def rank(self) -> str:
        return rank_for(self.total)

    @property
    def next_rank(self) -> tuple[str, int] | None:
        """The next rank and the points still missing, or None at the top."""
        for name, threshold in RANKS:
            if self.total < threshold:
                return name, threshold - self.total
        return None


def rank_for(points: int) -> str:
    name = RANKS[0][0]
    for rank, threshold in RANKS:
        if points >= threshold:
            name = rank
    return name


def streaks(active_days: Iterable[dt.date], today: dt.date) -> tuple[int, int, int]:
    """(days that continue a streak, current streak length, longest streak length).

    The current streak counts consecutive active days ending today or yesterday (a streak is not
    broken before the day is over)."""
    days = sorted(set(active_days))
    continued = longest = run = 0
    previous: dt.date | None = None
    for day in days:
        if previous is not None and day - previous == dt.timedelta(days=1):
            continued += 1
            run += 1
        else:
            run = 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and (today - previous).days <= 1 else 0
    return continued, current, longest


def dojo_score(
    battle_successes: Iterable[bool],
    active_days: Iterable[dt.date],
    training_minutes: Iterable[int],
    today: dt.date,
) -> DojoScore:
    """Points from battle outcomes, active days and training sessions."""
    outcomes = list(battle_successes)
    won = sum(1 for o in outcomes if o)
    continued, current, longest = streaks(active_days, today)
    training = sum(int(m) // TRAINING_MINUTES_PER_POINT for m in training_minutes)
    return DojoScore(
        battle_points=BATTLE_POINTS * won,
        streak_points=STREAK_POINTS * continued,
        training_points=training,
        battles_won=won,
        battles_lost=len(outcomes) - won,
        current_streak=current,
        longest_streak=longest,
    )
