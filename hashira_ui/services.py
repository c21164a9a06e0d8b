"""What the pages read, behind Streamlit's caches: clients and models as resources, data with a TTL.

A newly promoted model or a new materialization shows up within a TTL, without a restart: the
champion's version is looked up with a short TTL and the model is cached per version.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from hashira_ui import world_data
from hashira_ui.world_data import NotMaterializedError
from resources import settings
from resources.app_database import AppDatabaseResource
from resources.mlflow_tracking import MlflowTrackingResource

DATA_TTL = 60  # seconds: materializations show up within a minute
VERSION_TTL = 30  # seconds: a newly promoted champion is served within half a minute


def raw_dir() -> Path:
    return settings.raw_dir()


def _home() -> str:
    """The cache key of every entry: one process may serve (or test) several homes."""
    return str(settings.hashira_home())


@st.cache_resource
def _app_db(home: str) -> AppDatabaseResource:
    """The app database (accounts, events, feedback)."""
    return AppDatabaseResource()


@st.cache_resource
def _event_bus(home: str):
    """The event bus of this environment (Redis when HASHIRA_REDIS_URL is set)."""
    from resources.event_bus import event_bus_from_env

    return event_bus_from_env()


@st.cache_resource
def _mlflow(home: str) -> MlflowTrackingResource:
    return MlflowTrackingResource()


# ---------------------------------------------------------------------------------- catalog
@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def _products(home: str) -> pd.DataFrame:
    """The product catalog, indexed by product id."""
    columns = [
        "product_id", "name", "product_type", "department", "breathing_style", "rarity",
        "price", "weight_kg", "sharpness", "stock", "description",
    ]  # fmt: skip
    frame = world_data.read_table(raw_dir(), "products", columns)
    return frame.set_index("product_id", drop=False)


# ---------------------------------------------------------------------------------- recommender
@st.cache_data(ttl=VERSION_TTL, show_spinner=False)
def _recommender_version(home: str) -> str:
    """The champion recommender's version; raises NotMaterializedError when there is none."""
    from hashira_assets.recommender.serving import NoChampionError, champion_version

    try:
        return champion_version(mlflow())
    except NoChampionError as exc:
        raise NotMaterializedError(
            "No recommender has been trained yet: run `make demo`, or materialize "
            "`recommender_model` in the Dagster UI."
        ) from exc


@st.cache_resource(show_spinner="Loading the recommender…", max_entries=2)
def _recommender(home: str, version: str):
    """The champion recommender of one version (a new version loads once, then stays)."""
    from hashira_assets.recommender.serving import cached_champion

    champion = cached_champion(mlflow())
    return champion.model


# ---------------------------------------------------------------------------------- assistant
@st.cache_resource(show_spinner="Loading the language model…")
def _llm(home: str):
    """The LLM: Gemini when GOOGLE_API_KEY is set, else the bundled SmolLM2 (loaded once)."""
    from resources.llm import LLMResource
    from resources.model_packages import offline_models

    offline_models()
    return LLMResource(google_api_key=os.environ.get("GOOGLE_API_KEY") or None).get_provider()


@st.cache_data(ttl=VERSION_TTL, show_spinner=False)
def _index_version(home: str) -> int:
    """The product index table's version; raises NotMaterializedError when it is not built."""
    from resources.vector_index import VectorIndexResource

    table = VectorIndexResource().open_table()
    if table is None:
        raise NotMaterializedError(
            "The product index is not built yet: run `make demo`, or materialize "
            "`product_index` in the Dagster UI."
        )
    return int(table.version)


@st.cache_resource(show_spinner="Opening the product index…", max_entries=2)
def _chat_engine(home: str, index_version: int):
    """The RAG chat engine over one version of the product index (a re-index opens a new one)."""
    from hashira_assets.assistant.chat import ChatEngine
    from hashira_assets.index.search import ProductSearch
    from resources.vector_index import VectorIndexResource

    table = VectorIndexResource().open_table()
    return ChatEngine(ProductSearch(table), _llm(home))


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def _summaries(home: str) -> pd.DataFrame:
    """Every conversation's summary with its transcript."""
    from hashira_assets.assistant.summaries import read_summaries, summaries_path

    table = read_summaries(summaries_path())
    if table is None:
        raise NotMaterializedError(
            "Conversation summaries are not materialized yet: run `make demo`, or materialize "
            "`conversation_summaries` in the Dagster UI."
        )
    frame = table.to_pandas()
    transcripts = world_data.read_table(
        raw_dir(), "support_conversations", ["conversation_id", "transcript"]
    )
    return frame.merge(transcripts, on="conversation_id", how="left")


@st.cache_data(ttl=VERSION_TTL, show_spinner=False)
def _summarizer_version(home: str) -> str | None:
    from hashira_assets.assistant.summaries import SUMMARIZER_MODEL_NAME

    return mlflow().champion_version(SUMMARIZER_MODEL_NAME)


@st.cache_resource(show_spinner="Loading the summarizer…", max_entries=2)
def _summarizer(home: str, version: str | None):
    """The champion summarizer, or the extractive baseline with a notice when none is trained."""
    from hashira_assets.assistant.summaries import SUMMARIZER_MODEL_NAME
    from hashira_assets.assistant.summarizers import ExtractiveSummarizer, load_summarizer

    tracking = mlflow()
    if version is None:
        return ExtractiveSummarizer(), "extractive baseline (no trained summarizer yet)"
    folder = tempfile.mkdtemp(prefix="hashira-summarizer-")
    model = load_summarizer(tracking.download_version(SUMMARIZER_MODEL_NAME, version, folder))
    return model, f"{SUMMARIZER_MODEL_NAME} v{version}"


# ---------------------------------------------------------------------------------- forecasts
@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def _forecasts(home: str) -> pd.DataFrame:
    """The materialized sales forecasts of every product, category and the total."""
    from hashira_assets.forecast.training import forecasts_path, read_forecasts

    path = forecasts_path()
    if not path.exists():
        raise NotMaterializedError(
            "Sales forecasts are not materialized yet: run `make demo`, or materialize "
            "`sales_forecasts` in the Dagster UI."
        )
    return read_forecasts(path)


@st.cache_resource(show_spinner="Reading sales history from the lake…", ttl=600)
def _sales_series(home: str):
    """Daily units of every product, category and the total, from the gold tables."""
    from hashira_assets.forecast.series import load_sales_series
    from resources.lake import LakeResource

    try:
        return load_sales_series(LakeResource(root=settings.default_lake_root()))
    except (FileNotFoundError, OSError) as exc:
        raise NotMaterializedError(
            "Gold sales tables are not materialized yet: run `make demo`, or materialize the "
            "`gold` group in the Dagster UI."
        ) from exc


# ---------------------------------------------------------------------------------- pipeline
@st.cache_resource(show_spinner="Reading the asset graph…")
def _asset_groups(home: str) -> dict:
    """Asset key -> group name, from the project's definitions (imported once)."""
    from hashira_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}


# ---------------------------------------------------------------------------------- public API
def app_db() -> AppDatabaseResource:
    return _app_db(_home())


def event_bus():
    return _event_bus(_home())


def mlflow() -> MlflowTrackingResource:
    return _mlflow(_home())


def products() -> pd.DataFrame:
    return _products(_home())


def recommender_version() -> str:
    return _recommender_version(_home())


def recommender(version: str):
    return _recommender(_home(), version)


def chat_engine():
    return _chat_engine(_home(), _index_version(_home()))


def summaries() -> pd.DataFrame:
    return _summaries(_home())


def summarizer():
    return _summarizer(_home(), _summarizer_version(_home()))


def forecasts() -> pd.DataFrame:
    return _forecasts(_home())


def sales_series():
    return _sales_series(_home())


def asset_groups() -> dict:
    return _asset_groups(_home())
