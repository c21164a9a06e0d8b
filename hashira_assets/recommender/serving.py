"""Loading the champion recommender once, for the asset, the CLI and the app."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np

from hashira_assets.recommender.model import SERVING_STATE_FILE, RecommenderModel
from hashira_assets.recommender.training import RECOMMENDER_MODEL_NAME
from resources import settings


class NoChampionError(LookupError):
    """No recommender has been promoted yet; the message says how to train one."""


@dataclasses.dataclass
class Champion:
    """The champion ranker with its serving state, and its registry version."""

    model: RecommenderModel
    version: str
    folder: Path  # where its files are: worker processes load it from there

    @property
    def state_bytes(self) -> int:
        """Size of the saved serving state: what the app and the API load."""
        return (self.folder / SERVING_STATE_FILE).stat().st_size


def champion_version(mlflow_tracking) -> str:
    version = mlflow_tracking.champion_version(RECOMMENDER_MODEL_NAME)
    if version is None:
        raise NoChampionError(
            f"no champion version of {RECOMMENDER_MODEL_NAME}; materialize `recommender_model` "
            "first (hashira materialize --select recommender_model)"
        )
    return version


def load_champion(mlflow_tracking, folder: str | Path) -> Champion:
    """Download the champion into `folder` and load it."""
    version = champion_version(mlflow_tracking)
    local = mlflow_tracking.download_version(RECOMMENDER_MODEL_NAME, version, folder)
    return Champion(model=RecommenderModel.load(local), version=version, folder=Path(local))


def cached_champion(mlflow_tracking, version: str | None = None) -> Champion:
    """The champion (or one `version`), downloaded once per version under
    $HASHIRA_HOME/recommender/champion."""
    version = version or champion_version(mlflow_tracking)
    cache = settings.hashira_home() / "recommender" / "champion" / f"v{version}"
    ready = cache / ".complete"
    if not ready.exists():
        shutil.rmtree(cache, ignore_errors=True)
        local = mlflow_tracking.download_version(RECOMMENDER_MODEL_NAME, version, cache)
        # download_artifacts may nest the files one level down; remember where they are.
        (cache / ".location").write_text(str(local))
        ready.touch()
    local = Path((cache / ".location").read_text())
    # Checked on every load, not only on download: the cache is a folder anyone can write to.
    mlflow_tracking.verify_version(RECOMMENDER_MODEL_NAME, version, local)
    return Champion(model=RecommenderModel.load(local), version=version, folder=local)


def parse_profile(text: str, median_price: float) -> dict:
    """A new customer's profile from `style=Water,level=35,budget=400` (budget in the shop's
    currency, optional; strength, dexterity and stamina in [0, 1] are optional too)."""
    from hashira_assets.raw.vocabulary import BREATHING_STYLES

    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"profile part {part!r} is not key=value")
        key, value = (s.strip() for s in part.split("=", 1))
        fields[key.lower()] = value
    unknown = set(fields) - {"style", "level", "budget", "strength", "dexterity", "stamina"}
    if unknown:
        raise ValueError(f"unknown profile keys: {', '.join(sorted(unknown))}")
    styles = {s.lower(): i for i, s in enumerate(BREATHING_STYLES)}
    style = fields.get("style", "").lower().removesuffix(" breathing")
    if style not in styles:
        raise ValueError(f"style must be one of {', '.join(BREATHING_STYLES)}")
    profile: dict = {"style_code": styles[style]}
    try:
        profile["level"] = float(fields.get("level", 20))
        for key in ("strength", "dexterity", "stamina"):
            profile[key] = float(fields.get(key, 0.5))
        budget = float(fields["budget"]) if "budget" in fields else None
    except ValueError as exc:
        raise ValueError(f"profile numbers must be numbers: {exc}") from exc
    if not 1 <= profile["level"] <= 100:
        raise ValueError("level must be between 1 and 100")
    if budget is not None:
        if budget <= 0:
            raise ValueError("budget must be positive")
        # The ranker sees price as log(price / typical price); a budget maps onto that scale.
        profile["budget_rel_price"] = float(np.log(budget / median_price))
    return profile
