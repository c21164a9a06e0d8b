"""One training of the recommender: temporal split, ranker, baselines and oracle (its MLflow
lifecycle and promotion gate are in `registry`).

Split: the evaluation window is the world's last 7 days (the window the oracle answers for);
the ranker learns from the `train_weeks` weeks before it, each labelled by its own week's
purchases with candidates and features from a state cut off at that week's start. The objective
(LambdaRank or binary) is chosen on the most recent training week, held out, before the final
fit on all weeks; the evaluation window is never used to choose anything.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from hashira_assets.recommender.als import AlsConfig
from hashira_assets.recommender.battle_fit import WinChance
from hashira_assets.recommender.candidates import Shopper
from hashira_assets.recommender.content import content_vectors, embed_descriptions
from hashira_assets.recommender.cutoff_state import CutoffState
from hashira_assets.recommender.data import ShopData, load_oracle_top
from hashira_assets.recommender.evaluation import (
    baselines,
    evaluate_all,
    exploration_cost,
    source_recalls,
)
from hashira_assets.recommender.metrics import evaluate_rankings
from hashira_assets.recommender.model import RecommenderModel
from hashira_assets.recommender.ranker import (
    OBJECTIVES,
    RankerParams,
    TrainingSet,
    fit_ranker,
    training_set,
)

RECOMMENDER_MODEL_NAME = "hashira-recommender"
GATE_METRIC = "map12"
BASELINE_NAMES = ("top_popular", "popularity_repurchase", "als")

Progress = Callable[[str], None]


@dataclasses.dataclass
class RecommenderSettings:
    """What one training run does; every field is logged as an MLflow parameter."""

    train_weeks: int = 4
    objective: str = "auto"  # lambdarank, binary, or auto (chosen on the held-out week)
    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 63
    als_factors: int = 48
    als_iterations: int = 12
    description_embeddings: bool = True
    seed: int = 0
    # Buyers sampled per training week. A week of `medium` has about 8,500 buyers (2.5M
    # candidate rows over 4 weeks, a 3-minute fit); one of `hm` has 320,000, whose rows would
    # cost fit time and memory linearly for little new signal beyond a few times `medium`'s.
    train_customers_per_week: int = 20_000
    # Customers the evaluation window is scored on (a seeded sample of the window's buyers that
    # the oracle answers for); `medium` has 8,519, so only larger worlds are sampled.
    eval_customers: int = 20_000

    def __post_init__(self) -> None:
        if self.objective not in ("auto", *OBJECTIVES):
            raise ValueError(
                f"objective must be auto, lambdarank or binary, not {self.objective!r}"
            )
        if self.train_customers_per_week < 100 or self.eval_customers < 100:
            raise ValueError("train_customers_per_week and eval_customers must be at least 100")
        if self.train_weeks < 1 or (self.objective == "auto" and self.train_weeks < 2):
            raise ValueError("train_weeks must be at least 1 (2 when the objective is auto)")

    def ranker_params(self, objective: str) -> RankerParams:
        return RankerParams(
            objective=objective,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            seed=self.seed,
        )

    def als(self) -> AlsConfig:
        return AlsConfig(factors=self.als_factors, iterations=self.als_iterations, seed=self.seed)


@dataclasses.dataclass
class TrainedRecommender:
    """A fitted ranker with everything measured about it on the evaluation window."""

    booster: lgb.Booster
    params: RankerParams
    eval_state: CutoffState
    actual: dict[int, set[int]]
    results: dict[str, dict[str, float]]
    recalls: dict[str, float]
    exploration: dict[str, float]
    objective_choice: dict[str, float]
    train_rows: int
    train_seconds: float
    timings: dict[str, float]
    content: np.ndarray

    @property
    def model_map(self) -> float:
        return self.results["model"]["map"]

    def summary(self) -> dict[str, float]:
        """The acceptance ratios: against the best baseline, the oracle and top popular."""
        best = max(self.results[b]["map"] for b in BASELINE_NAMES)
        oracle = self.results.get("oracle", {}).get("map")
        top_cold = self.results["top_popular"]["cold_map"]
        oracle_new = self.results.get("oracle", {}).get("new_items_recall")
        return {
            "best_baseline_map": best,
            "ratio_to_best_baseline": self.model_map / best if best else float("nan"),
            "share_of_oracle": self.model_map / oracle if oracle else float("nan"),
            "cold_ratio_to_top_popular": (
                self.results["model"]["cold_map"] / top_cold if top_cold else float("nan")
            ),
            # How often the window's launches reach their buyers' top 12, against the oracle's.
            "new_items_recall_vs_oracle": (
                self.results["model"]["new_items_recall"] / oracle_new
                if oracle_new
                else float("nan")
            ),
        }


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def rank_customers(model: RecommenderModel, customers: list[int]) -> dict[int, list[int]]:
    shoppers = [Shopper.known(model.state, c) for c in customers]
    return dict(zip(customers, model.rank_many(shoppers), strict=True))


def sample_customers(
    bought: dict[int, set[int]], limit: int, seed: int, among: set[int] | None = None
) -> dict[int, set[int]]:
    """All buyers when there are at most `limit`; else a seeded uniform sample of `limit` of
    them (drawn from those in `among` when given), in id order."""
    customers = sorted(bought)
    if len(customers) <= limit:
        return bought
    if among is not None:
        customers = [c for c in customers if c in among]
    if len(customers) > limit:
        rng = np.random.default_rng(seed)
        customers = sorted(rng.choice(customers, size=limit, replace=False).tolist())
    return {int(c): bought[c] for c in customers}


def _validation_map(booster: lgb.Booster, state: CutoffState, bought, names) -> float:
    model = RecommenderModel(state, booster, names)
    customers = [c for c in sorted(bought) if state.knows(c)]
    lists = rank_customers(model, customers)
    return evaluate_rankings(bought, lists, int(state.available.sum()))["map"]


def train_recommender(
    data: ShopData,
    raw_dir: Path,
    settings: RecommenderSettings,
    progress: Progress | None = None,
    win_chance: WinChance | None = None,
) -> TrainedRecommender:
    """Fit the ranker on the weeks before the evaluation window and score it, the baselines
    and the oracle on that window; `win_chance` (the battle-fit model's) feeds its feature."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    embeddings = embed_descriptions(data.products) if settings.description_embeddings else None
    content = content_vectors(data.products, embeddings)
    timings["content_seconds"] = time.perf_counter() - started
    names = data.products["name"]
    eval_start = data.eval_start_day
    parts: list[TrainingSet] = []
    holdout: tuple[CutoffState, dict[int, set[int]]] | None = None
    tick = time.perf_counter()
    for week in range(1, settings.train_weeks + 1):
        cutoff = eval_start - 7 * week
        buyers = data.purchases_between(cutoff, cutoff + 6)
        bought = sample_customers(
            buyers, settings.train_customers_per_week, seed=settings.seed * 1_000 + week
        )
        state = CutoffState(
            data, data.cutoff_tables(cutoff), 7, content, settings.als(), win_chance
        )
        parts.append(training_set(state, bought))
        customers, rows = len(parts[-1].groups), len(parts[-1].labels)
        _say(progress, f"training week {week}/{settings.train_weeks}: {len(bought):,} of "
                       f"{len(buyers):,} buyers sampled, {customers:,} with a purchase among "
                       f"their candidates, {rows:,} candidates")  # fmt: skip
        if week == 1 and settings.objective == "auto":
            holdout = (state, bought)
        # Let the state go before the next is built: at `hm` building one takes about 9 GiB
        # more at its peak, and with the previous week's still alive the process reached 20 GiB.
        del state
    timings["candidates_seconds"] = time.perf_counter() - tick

    tick = time.perf_counter()
    objective_choice: dict[str, float] = {}
    objective = settings.objective
    n_estimators = settings.n_estimators
    if objective == "auto":
        assert holdout is not None
        earlier = TrainingSet.concat(parts[1:])
        rounds = {}
        for candidate in OBJECTIVES:
            booster = fit_ranker(earlier, settings.ranker_params(candidate), valid=parts[0])
            rounds[candidate] = booster.best_iteration or settings.n_estimators
            objective_choice[f"holdout_map_{candidate}"] = _validation_map(
                booster, holdout[0], holdout[1], names
            )
            objective_choice[f"holdout_rounds_{candidate}"] = float(rounds[candidate])
        objective = max(OBJECTIVES, key=lambda o: objective_choice[f"holdout_map_{o}"])
        # The final fit sees a quarter more data than the held-out fit; give it as many rounds
        # as early stopping found, no more (fewer trees also keep request-time scoring fast).
        n_estimators = rounds[objective]
        _say(progress, f"objective {objective} chosen on the held-out week: {objective_choice}")
    holdout = None
    train = TrainingSet.concat(parts)
    params = dataclasses.replace(settings.ranker_params(objective), n_estimators=n_estimators)
    booster = fit_ranker(train, params)
    train_seconds = time.perf_counter() - tick
    timings["fit_seconds"] = train_seconds

    tick = time.perf_counter()
    eval_state = CutoffState(
        data, data.cutoff_tables(eval_start), 7, content, settings.als(), win_chance
    )
    oracle = load_oracle_top(raw_dir)
    # A large world's oracle answers for a sample of the window's buyers: sample among those.
    actual = sample_customers(
        data.purchases_between(eval_start, data.end_day), settings.eval_customers,
        seed=settings.seed, among=set(oracle) if oracle else None,
    )  # fmt: skip
    customers = [c for c in sorted(actual) if eval_state.knows(c)]
    _say(progress, f"evaluating on {len(customers):,} of the window's buyers")
    model = RecommenderModel(eval_state, booster, names)
    # The ranker's own order beside the served one (what the launch slot costs and brings), and
    # the served list with exploration, from one scoring per customer.
    shoppers = [Shopper.known(eval_state, c) for c in customers]
    lists = dict(zip(customers, model.evaluation_lists_many(shoppers), strict=True))
    ranked = {c: lists[c]["model"] for c in customers}
    explored = {c: lists[c]["explored"] for c in customers}
    rankings: dict[str, Any] = {
        **baselines(eval_state),
        "ranker_only": {c: lists[c]["ranker_only"] for c in customers},
        "model": ranked,
    }
    if oracle:
        rankings["oracle"] = oracle
    results = evaluate_all(eval_state, actual, rankings)
    recalls = source_recalls(eval_state, actual, customers)
    exploration = exploration_cost(ranked, explored, actual, int(eval_state.available.sum()))
    timings["evaluation_seconds"] = time.perf_counter() - tick
    _say(progress, f"MAP@12 {results['model']['map']:.4f} on {len(customers)} customers")
    return TrainedRecommender(
        booster=booster,
        params=params,
        eval_state=eval_state,
        actual=actual,
        results=results,
        recalls=recalls,
        exploration=exploration,
        objective_choice=objective_choice,
        train_rows=len(train.labels),
        train_seconds=train_seconds,
        timings=timings,
        content=content,
    )


def serving_model(
    data: ShopData, trained: TrainedRecommender, settings: RecommenderSettings
) -> RecommenderModel:
    """The ranker bound to the shop's state after the last day: what customers are served."""
    state = CutoffState(
        data,
        data.cutoff_tables(data.end_day + 1),
        7,
        trained.content,
        settings.als(),
        trained.eval_state.win_chance,
    )
    return RecommenderModel(state, trained.booster, data.products["name"])
