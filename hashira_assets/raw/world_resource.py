"""The synthetic world generator as a resource: which preset, seed and overrides to generate."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from hashira_assets.raw.generate import GenerationResult, Progress, generate_world
from hashira_assets.raw.world_config import WorldConfig, make_config


class SyntheticWorldResource(ConfigurableResource):
    """Generates the HashiraMart world into a local raw folder."""

    raw_dir: str = Field(description="Folder the raw tables are written to.")
    preset: str = Field(default="tiny", description="tiny, small, medium or hm.")
    seed: int = Field(default=42, description="Random seed; the same seed gives identical tables.")
    n_customers: int | None = Field(default=None, description="Override the preset's customers.")
    n_products: int | None = Field(default=None, description="Override the preset's products.")
    n_events: int | None = Field(default=None, description="Override the preset's events.")
    n_conversations: int | None = Field(default=None, description="Override conversations.")
    corrupt_rate: float = Field(default=0.0, description="Share of event rows written faulty.")

    def world_config(self) -> WorldConfig:
        return make_config(
            self.preset,
            seed=self.seed,
            n_customers=self.n_customers,
            n_products=self.n_products,
            n_events=self.n_events,
            n_conversations=self.n_conversations,
            corrupt_rate=self.corrupt_rate,
        )

    def generate(self, progress: Progress | None = None) -> GenerationResult:
        return generate_world(self.world_config(), self.raw_dir, progress=progress)

    @property
    def path(self) -> Path:
        return Path(self.raw_dir)
