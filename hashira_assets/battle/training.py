"""Training the battle-fit model on a temporal split, with baselines and the oracle beside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hashira_assets.battle.evaluation import binary_metrics, top_k_overlap, true_odds
from hashira_assets.battle.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    battle_frame,
    pair_features,
)
from hashira_assets.battle.model import BattleFitModel
from hashira_assets.battle.ranking import slayer_pairs

BATTLE_MODEL_NAME = "hashira-battle-fit"
BASELINE_NAMES = ("style_rule", "logistic")
Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class BattleSettings:
    """How the battle-fit model is trained and scored."""

    eval_weeks: int = 4
    calibration_weeks: int = 4
    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 50
    seed: int = 0
    # Slayers whose top-3 is compared with the top-3 by true odds (a fixed-seed sample).
    max_ranking_slayers: int = 500


@dataclasses.dataclass(frozen=True)
class BattleSplit:
    """Battles to fit on, to calibrate on, and to evaluate on, by battle date."""

    fit: pd.DataFrame
    calibration: pd.DataFrame
    evaluation: pd.DataFrame
    eval_start: dt.date


@dataclasses.dataclass
class TrainedBattleModel:
    """The calibrated model with every ranking's metrics on the evaluation battles."""

    model: BattleFitModel
    split: BattleSplit
    results: dict[str, dict[str, float]]
    ranking: dict[str, float]

    @property
    def auc(self) -> float:
        return self.results["model"]["auc"]

    @property
    def logloss(self) -> float:
        return self.results["model"]["logloss"]


def temporal_split(frame: pd.DataFrame, settings: BattleSettings) -> BattleSplit:
    """The last eval_weeks of battle dates evaluate, the weeks before them calibrate, the rest
    fit; raises ValueError when a part is empty."""
    dates = pd.to_datetime(frame["battle_date"])
    last = dates.max()
    eval_start = last - pd.Timedelta(weeks=settings.eval_weeks) + pd.Timedelta(days=1)
    calib_start = eval_start - pd.Timedelta(weeks=settings.calibration_weeks)
    parts = {
        "fit": frame[dates < calib_start],
        "calibration": frame[(dates >= calib_start) & (dates < eval_start)],
        "evaluation": frame[dates >= eval_start],
    }
    for name, part in parts.items():
        if part.empty:
            raise ValueError(f"no {name} battles: the data spans too few weeks for this split")
    return BattleSplit(**{k: v.reset_index(drop=True) for k, v in parts.items()},
                       eval_start=eval_start.date())  # fmt: skip


def fit_booster(fit: pd.DataFrame, settings: BattleSettings) -> lgb.Booster:
    """LightGBM binary classifier on the fit battles."""
    data = lgb.Dataset(
        fit[list(FEATURES)],
        label=fit["success"].astype(int),
        categorical_feature=list(CATEGORICAL_FEATURES),
        free_raw_data=False,
    )
    params = {
        "objective": "binary",
        "learning_rate": settings.learning_rate,
        "num_leaves": settings.num_leaves,
        "min_child_samples": settings.min_child_samples,
        "seed": settings.seed,
        "deterministic": True,
        "num_threads": 1,
        "verbose": -1,
    }
    return lgb.train(params, data, num_boost_round=settings.n_estimators)


def calibrate(booster: lgb.Booster, calibration: pd.DataFrame) -> BattleFitModel:
    """Platt scaling of the booster's margin, fitted on the calibration battles."""
    uncalibrated = BattleFitModel(booster, 1.0, 0.0)
    margin = uncalibrated.raw_score(calibration).reshape(-1, 1)
    y = calibration["success"].astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        return uncalibrated
    platt = LogisticRegression(C=1e6).fit(margin, y)
    return BattleFitModel(booster, float(platt.coef_[0, 0]), float(platt.intercept_[0]))


def style_rule(train: pd.DataFrame, evaluation: pd.DataFrame) -> np.ndarray:
    """The style-match rule: the training win rate of matching or non-matching battles."""
    rates = train.groupby("match_style")["success"].mean()
    overall = train["success"].mean()
    return evaluation["match_style"].map(rates).fillna(overall).to_numpy(np.float64)


def logistic_baseline(train: pd.DataFrame, settings: BattleSettings):
    """Logistic regression on the same features (numeric scaled, weapon type one-hot)."""
    columns = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("type", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    pipeline = make_pipeline(columns, LogisticRegression(max_iter=1000))
    return pipeline.fit(train[list(FEATURES)], train["success"].astype(int))


def ranking_quality(
    model: BattleFitModel,
    frame: pd.DataFrame,
    customers: pd.DataFrame,
    products: pd.DataFrame,
    eval_start: dt.date,
    settings: BattleSettings,
) -> dict[str, float]:
    """Top-3 overlap with true odds for a sample of evaluation slayers over the whole catalog,
    each profiled with the battles they had fought before the evaluation window (and once more
    as a new slayer without any, reported with a `_new_slayer` suffix)."""
    dates = pd.to_datetime(frame["battle_date"])
    evaluated = np.unique(frame.loc[dates >= pd.Timestamp(eval_start), "customer_id"])
    rng = np.random.default_rng(settings.seed)
    if len(evaluated) > settings.max_ranking_slayers:
        evaluated = np.sort(rng.choice(evaluated, settings.max_ranking_slayers, replace=False))
    history = frame[dates < pd.Timestamp(eval_start)]
    by_id = customers.set_index("customer_id")
    scores, fresh, truths, owners = [], [], [], []
    for customer_id in evaluated:
        row = by_id.loc[customer_id]
        past = history[history["customer_id"] == customer_id]
        profile = {
            "style": row["breathing_style"],
            "level": row["level"],
            "strength": row["strength"],
            "dexterity": row["dexterity"],
            "stamina": row["stamina"],
            "past_battles": past[["product_type", "success"]].to_dict("records"),
        }
        pairs = slayer_pairs(profile, products)
        scores.append(model.predict(pair_features(pairs)))
        new = slayer_pairs({**profile, "past_battles": []}, products)
        fresh.append(model.predict(pair_features(new)))
        truths.append(true_odds(pairs))
        owners.append(np.full(len(pairs), customer_id))
    owner, truth = np.concatenate(owners), np.concatenate(truths)
    result = top_k_overlap(owner, np.concatenate(scores), truth)
    new_slayer = top_k_overlap(owner, np.concatenate(fresh), truth)
    result["overlap_new_slayer"] = new_slayer["overlap"]
    result["regret_new_slayer"] = new_slayer["regret"]
    return result


def score_frame(model: BattleFitModel, evaluation: pd.DataFrame) -> dict[str, float]:
    """The model's metrics on evaluation battles (what the promotion gate compares)."""
    return binary_metrics(evaluation["success"].to_numpy(), model.predict(evaluation))


def train_battle_model(
    battles: pd.DataFrame,
    customers: pd.DataFrame,
    products: pd.DataFrame,
    settings: BattleSettings,
    progress: Progress | None = None,
) -> TrainedBattleModel:
    """Fit, calibrate and score the model, the two baselines and (with true odds) the oracle."""
    say = progress or (lambda _msg: None)
    frame = battle_frame(battles, customers, products)
    split = temporal_split(frame, settings)
    say(f"{len(split.fit)} fit, {len(split.calibration)} calibration, "
        f"{len(split.evaluation)} evaluation battles from {split.eval_start}")  # fmt: skip
    model = calibrate(fit_booster(split.fit, settings), split.calibration)
    evaluation = split.evaluation
    y = evaluation["success"].to_numpy()
    train = pd.concat([split.fit, split.calibration], ignore_index=True)
    results = {
        "model": binary_metrics(y, model.predict(evaluation)),
        "style_rule": binary_metrics(y, style_rule(train, evaluation)),
        "logistic": binary_metrics(
            y, logistic_baseline(train, settings).predict_proba(evaluation[list(FEATURES)])[:, 1]
        ),
    }
    if "success_probability" in evaluation.columns:
        results["oracle"] = binary_metrics(y, evaluation["success_probability"].to_numpy())
    say("ranking the catalog for sampled evaluation slayers")
    ranking = ranking_quality(model, frame, customers, products, split.eval_start, settings)
    return TrainedBattleModel(model=model, split=split, results=results, ranking=ranking)


def flat_metrics(trained: TrainedBattleModel) -> dict[str, float]:
    """Every metric as `<ranking>_<metric>` (the model's without prefix), plus top-3 figures."""
    flat = {}
    for name, metrics in trained.results.items():
        for key, value in metrics.items():
            flat[key if name == "model" else f"{name}_{key}"] = value
    flat["top3_overlap"] = trained.ranking["overlap"]
    flat["top3_regret"] = trained.ranking["regret"]
    flat["top3_true_margin_median"] = trained.ranking["margin_median"]
    flat["top3_overlap_new_slayer"] = trained.ranking["overlap_new_slayer"]
    flat["eval_battles"] = float(len(trained.split.evaluation))
    flat["train_battles"] = float(len(trained.split.fit) + len(trained.split.calibration))
    return flat
