"""Best weapons for a slayer's battles: the champion `hashira-battle-fit` at request time.

Contract::

    service = BattleFitService()                  # default lake and MLflow from the environment
    service.best_for_battles(profile, k=3)        # -> list[BattlePick], best first
    service.profile_for_customer(customer_id)     # -> profile dict of a known slayer
    best_for_battles(profile, k=3)                # the same through one shared service

A profile is {"style", "level", "strength", "dexterity", "stamina", "past_battles"?} (see
hashira_assets.battle.ranking). Raises NotMaterializedError when no champion or no catalog exists,
NotFoundError for an unknown customer, InvalidProfileError (a ValueError) for a bad profile.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc

from hashira_assets.battle.data import BATTLE_COLUMNS, load_lake_catalog
from hashira_assets.battle.features import SLAYER_COLUMNS, WEAPON_TYPES
from hashira_assets.battle.model import (
    BattleFitModel,
    IncompatibleModelError,
    find_model_dir,
)
from hashira_assets.battle.ranking import rank_weapons
from hashira_assets.battle.training import BATTLE_MODEL_NAME
from hashira_assets.lake.arrow_tables import MissingLakeTableError, read_lake_table
from hashira_assets.lake.landing import RAW_ZONE
from hashira_serving.cache import forever, home_key
from hashira_serving.errors import (
    ModelRefusedError,
    NotFoundError,
    NotMaterializedError,
    missing,
)
from resources import settings
from resources.app_database import Account
from resources.lake import LakeResource
from resources.mlflow_tracking import MlflowTrackingResource, ModelIntegrityError

# How long a looked-up champion version is trusted before the registry is asked again.
CHAMPION_REFRESH_S = 30.0


@dataclasses.dataclass(frozen=True)
class BattlePick:
    """One recommended weapon with its predicted win chance and why."""

    product_id: int
    name: str
    win_chance: float
    reason: str
    model_version: str


class BattleFitService:
    """Loads the champion once per version and ranks the catalog's weapons for a profile."""

    def __init__(
        self,
        mlflow_tracking: MlflowTrackingResource | None = None,
        lake: LakeResource | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_s: float = CHAMPION_REFRESH_S,
    ) -> None:
        self.mlflow_tracking = mlflow_tracking or MlflowTrackingResource()
        self.lake = lake or LakeResource(root=settings.default_lake_root())
        self.clock = clock
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._version: str | None = None
        self._model: BattleFitModel | None = None
        self._catalog: pd.DataFrame | None = None
        self.lookups = 0  # registry look-ups so far (the refresh interval bounds them)
        self.loads = 0  # model downloads so far (one per champion version)

    def champion(self) -> tuple[BattleFitModel, str]:
        """The champion model and its version, looking the version up at most every refresh_s."""
        with self._lock:
            now = self.clock()
            if self._checked_at is None or now - self._checked_at >= self.refresh_s:
                self.lookups += 1
                version = self.mlflow_tracking.champion_version(BATTLE_MODEL_NAME)
                self._checked_at = now
                if version is None:
                    self._version, self._model = None, None
                elif version != self._version:
                    self._model = self._load(version)
                    self._version = version
            if self._model is None or self._version is None:
                raise missing("battle_fit_model", f"the {BATTLE_MODEL_NAME} champion")
            return self._model, self._version

    def _load(self, version: str) -> BattleFitModel:
        cache = settings.hashira_home() / "battle" / "champion" / f"v{version}"
        ready = cache / ".complete"
        try:
            if not ready.exists():
                local = self.mlflow_tracking.download_version(BATTLE_MODEL_NAME, version, cache)
                (cache / ".location").write_text(str(local))
                ready.touch()
            local = Path((cache / ".location").read_text())
            # Checked on every load, not only on download: the cache is a folder anyone can
            # write to.
            self.mlflow_tracking.verify_version(BATTLE_MODEL_NAME, version, local)
        except ModelIntegrityError as exc:
            raise ModelRefusedError(str(exc)) from exc
        self.loads += 1
        try:
            return BattleFitModel.load(find_model_dir(local))
        except IncompatibleModelError as exc:
            raise NotMaterializedError(
                f"{BATTLE_MODEL_NAME} v{version} was built on other features: {exc}; "
                "rematerialize `battle_fit_model`",
                asset="battle_fit_model",
            ) from exc

    def catalog(self) -> pd.DataFrame:
        """The catalog's weapons (read once per service)."""
        if self._catalog is None:
            try:
                self._catalog = load_lake_catalog(self.lake)
            except MissingLakeTableError as exc:
                raise missing("lake_raw_products", "the product catalog") from exc
        return self._catalog

    def best_for_battles(
        self, profile: Mapping, k: int = 3, in_stock_only: bool = True
    ) -> list[BattlePick]:
        """The k weapons with the highest predicted win chance for this slayer, best first."""
        model, version = self.champion()
        weapons = self.catalog()
        if in_stock_only:
            weapons = weapons[weapons["stock"] > 0]
        ranked = rank_weapons(model, profile, weapons, k=k)
        names = weapons.set_index("product_id")["name"]
        return [
            BattlePick(
                product_id=int(row.product_id),
                name=str(names.get(int(row.product_id), "")),
                win_chance=float(row.win_chance),
                reason=str(row.reason),
                model_version=version,
            )
            for row in ranked.itertuples()
        ]

    def profile_for_customer(self, customer_id: int) -> dict:
        """A known slayer's profile with every battle they have fought (from the raw zone)."""
        try:
            slayers = read_lake_table(self.lake, RAW_ZONE, "customers", columns=SLAYER_COLUMNS)
            battles = read_lake_table(
                self.lake, RAW_ZONE, "battle_outcomes", columns=BATTLE_COLUMNS
            )
        except MissingLakeTableError as exc:
            raise missing("lake_raw_customers", "the slayers and their battles") from exc
        slayer = slayers.filter(pc.equal(slayers["customer_id"], customer_id)).to_pylist()
        if not slayer:
            raise NotFoundError(f"no customer {customer_id}")
        row = slayer[0]
        own = battles.filter(pc.equal(battles["customer_id"], customer_id)).to_pandas()
        types = self.catalog().set_index("product_id")["product_type"]
        own["product_type"] = own["product_id"].map(types)
        own = own[own["product_type"].isin(WEAPON_TYPES)]
        return {
            "style": row["breathing_style"],
            "level": row["level"],
            "strength": row["strength"],
            "dexterity": row["dexterity"],
            "stamina": row["stamina"],
            "past_battles": own[["product_type", "success"]].to_dict("records"),
        }


_services = forever(max_entries=8)


def shared_service() -> BattleFitService:
    """One service per process and HASHIRA_HOME, so the champion is loaded once."""
    return _services.get(("battle", home_key()), BattleFitService)


def profile_for_account(account: Account) -> dict:
    """The slayer behind a signed-in shopper: the published customer and their battles, else
    the onboarding answers with an average physique."""
    if account.customer_id is not None:
        try:
            return shared_service().profile_for_customer(account.customer_id)
        except NotFoundError:
            pass  # signed up in the app: not in the generated world
    profile = account.profile or {}
    if not profile.get("breathing_style"):
        raise NotFoundError("The shop does not know this slayer's breathing style yet.")
    return {
        "style": profile["breathing_style"],
        "level": int(profile.get("level", 1)),
        "strength": 0.5,
        "dexterity": 0.5,
        "stamina": 0.5,
    }


def picks_for_account(account: Account, k: int = 3) -> list[BattlePick]:
    """The weapons most likely to win the signed-in shopper's battles."""
    return best_for_battles(profile_for_account(account), k)


def best_for_battles(profile: Mapping, k: int = 3) -> list[BattlePick]:
    """The k weapons most likely to win this slayer's battles, from the shared service."""
    return shared_service().best_for_battles(profile, k)
