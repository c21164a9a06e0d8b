"""Slayer portraits on request, from pluggable generators behind one interface.

Contract::

    portrait = generate_portrait(PortraitRequest(style="Water", weapon="katana", name="Giyu"))
    portrait.image_png, portrait.generator, portrait.note     # note: why a fallback was used

Generators, in the order they are tried:

- `StableDiffusionGenerator`, when HASHIRA_SD_MODEL_DIR names a local diffusers model folder
  (on the GPU when torch sees one), with the design document's prompt;
- `TrainedPortraitGenerator`: the champion `hashira-slayer-portraits`, trained in the graph.

A generator that fails hands over to the next, and the portrait's `note` says so. Raises
InvalidPortraitRequest (a ValueError) for an unknown style or weapon, NotMaterializedError when no
generator can draw (no champion yet, and no Stable Diffusion configured).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from hashira_assets.images.diffusion import PortraitDiffusion, find_model_dir, sample
from hashira_assets.images.palettes import TYPE_LABELS, WEAPON_TYPES, style_name, type_code
from hashira_assets.images.registry import load_sampling
from hashira_assets.images.training import PORTRAIT_MODEL_NAME
from hashira_assets.raw.vocabulary import BREATHING_STYLES
from hashira_serving.cache import VERSION_TTL, cache, forever, home_key
from hashira_serving.context import app_db
from hashira_serving.errors import NotMaterializedError, missing
from resources import settings
from resources.app_database import Account
from resources.app_portraits import SavedPortrait, portraits_of, save_portrait
from resources.mlflow_tracking import MlflowTrackingResource

log = logging.getLogger(__name__)

SD_MODEL_DIR_ENV = "HASHIRA_SD_MODEL_DIR"
MAX_NAME_LENGTH = 60
# The trained model draws 32 px (16 at `tiny`); shown at 256 px with hard pixel edges, not blurred.
DISPLAY_SIZE = 256


class InvalidPortraitRequest(ValueError):
    """The request names a style or weapon the shop does not know, or a name that is too long."""


@dataclasses.dataclass(frozen=True)
class PortraitRequest:
    style: str
    weapon: str
    name: str = "Slayer"
    seed: int | None = None

    def validated(self) -> PortraitRequest:
        """The request with its style and weapon in canonical form; InvalidPortraitRequest else."""
        try:
            style = style_name(self.style)
            weapon = type_code(self.weapon)
        except ValueError as exc:
            raise InvalidPortraitRequest(str(exc)) from exc
        if weapon not in WEAPON_TYPES:
            raise InvalidPortraitRequest(
                f"{TYPE_LABELS[weapon]} is not a weapon; portraits hold one of "
                f"{', '.join(WEAPON_TYPES)}"
            )
        name = " ".join(str(self.name).split()) or "Slayer"
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidPortraitRequest(f"a name has at most {MAX_NAME_LENGTH} characters")
        if self.seed is not None and not 0 <= int(self.seed) < 2**31:
            raise InvalidPortraitRequest("seed must be between 0 and 2^31 - 1")
        return PortraitRequest(style, weapon, name, self.seed)

    @property
    def prompt(self) -> str:
        """The design document's prompt."""
        return (
            f"{self.name}, {self.style} Breathing, wielding a {TYPE_LABELS[self.weapon]}, "
            "anime style, cinematic"
        )


@dataclasses.dataclass(frozen=True)
class Portrait:
    image_png: bytes
    style: str
    weapon: str
    generator: str  # e.g. "hashira-slayer-portraits v3" or "stable-diffusion (path)"
    seed: int
    seconds: float
    note: str | None = None  # set when a configured generator failed and another drew it


class PortraitGenerator(Protocol):
    name: str

    def generate(self, request: PortraitRequest, seed: int) -> Image.Image: ...


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


_versions = cache(ttl=VERSION_TTL, max_entries=4)
_models = forever(max_entries=2)


class TrainedPortraitGenerator:
    """The champion portrait model, loaded once per version (its files checked)."""

    def __init__(self, tracking: MlflowTrackingResource | None = None) -> None:
        self.tracking = tracking or MlflowTrackingResource()
        self.version: str | None = None
        self.name = PORTRAIT_MODEL_NAME

    def _champion(self) -> tuple[PortraitDiffusion, dict, str]:
        version = _versions.get(
            (home_key(), PORTRAIT_MODEL_NAME),
            lambda: self.tracking.champion_version(PORTRAIT_MODEL_NAME),
        )
        if version is None:
            raise missing("slayer_image_model", f"the {PORTRAIT_MODEL_NAME} champion")

        def load() -> tuple[PortraitDiffusion, dict]:
            folder = settings.hashira_home() / "images" / "champion" / f"v{version}"
            local = self.tracking.download_version(PORTRAIT_MODEL_NAME, version, folder)
            return PortraitDiffusion.load(find_model_dir(local)), load_sampling(local)

        model, sampling = _models.get((home_key(), PORTRAIT_MODEL_NAME, version), load)
        return model, sampling, version

    def generate(self, request: PortraitRequest, seed: int) -> Image.Image:
        model, sampling, version = self._champion()
        self.name = f"{PORTRAIT_MODEL_NAME} v{version}"
        weapon = np.array([WEAPON_TYPES.index(request.weapon)])
        style = np.array([BREATHING_STYLES.index(request.style)])
        pixels = sample(
            model,
            weapon,
            style,
            seed=seed,
            steps=int(sampling["steps"]),
            guidance=float(sampling["guidance"]),
            # Models saved before sampling had an eta sampled deterministically.
            eta=float(sampling.get("eta", 0.0)),
        )[0]
        image = Image.fromarray(pixels, "RGB")
        return image.resize((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.NEAREST)


_pipelines = forever(max_entries=1)
_sd_lock = threading.Lock()


class StableDiffusionGenerator:
    """A Stable Diffusion pipeline from a local diffusers folder (nothing is downloaded)."""

    def __init__(self, model_dir: str) -> None:
        self.model_dir = model_dir
        self.name = f"stable-diffusion ({Path(model_dir).name})"

    def _pipeline(self):
        def load():
            import torch
            from diffusers import AutoPipelineForText2Image

            device = "cuda" if torch.cuda.is_available() else "cpu"
            dtype = torch.float16 if device == "cuda" else torch.float32
            pipe = AutoPipelineForText2Image.from_pretrained(
                self.model_dir, local_files_only=True, torch_dtype=dtype, safety_checker=None
            )
            return pipe.to(device)

        return _pipelines.get(("sd", self.model_dir), load)

    def generate(self, request: PortraitRequest, seed: int) -> Image.Image:
        import torch

        pipe = self._pipeline()
        steps = int(os.environ.get("HASHIRA_SD_STEPS", "25"))
        with _sd_lock:  # one pipeline, one request at a time
            generator = torch.Generator(device=pipe.device).manual_seed(seed)
            result = pipe(
                request.prompt, guidance_scale=7.5, num_inference_steps=steps, generator=generator
            )
        return result.images[0]


def generators() -> list[PortraitGenerator]:
    """The generators to try, first choice first."""
    chain: list[PortraitGenerator] = []
    sd_dir = os.environ.get(SD_MODEL_DIR_ENV)
    if sd_dir:
        chain.append(StableDiffusionGenerator(sd_dir))
    chain.append(TrainedPortraitGenerator())
    return chain


def generate_portrait(
    request: PortraitRequest, chain: list[PortraitGenerator] | None = None
) -> Portrait:
    """One portrait from the first generator that can draw it; a failed one is named in `note`."""
    request = request.validated()
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    failures: list[str] = []
    last_missing: NotMaterializedError | None = None
    for generator in chain if chain is not None else generators():
        started = time.monotonic()
        try:
            image = generator.generate(request, seed)
        except NotMaterializedError as exc:
            last_missing = exc
            failures.append(f"{generator.name}: {exc}")
            continue
        except Exception as exc:  # any failure of a generator hands over to the next one
            log.warning("portrait generator %s failed: %s", generator.name, exc)
            failures.append(f"{generator.name} failed ({type(exc).__name__}: {exc})")
            continue
        note = None
        if failures:
            note = "; ".join(failures) + f"; drawn by {generator.name} instead"
        return Portrait(
            image_png=_png(image.convert("RGB")),
            style=request.style,
            weapon=request.weapon,
            generator=generator.name,
            seed=seed,
            seconds=time.monotonic() - started,
            note=note,
        )
    if last_missing is not None and len(failures) == 1:
        raise last_missing
    raise NotMaterializedError("No portrait generator could draw it: " + "; ".join(failures))


def save_to_profile(username: str, portrait: Portrait) -> int:
    """Keep a portrait on a shopper's profile; returns its id."""
    return save_portrait(
        app_db(),
        username,
        portrait.image_png,
        portrait.style,
        portrait.weapon,
        portrait.generator,
        portrait.note,
    )


def profile_portraits(username: str) -> list[SavedPortrait]:
    """A shopper's saved portraits, newest first."""
    return portraits_of(app_db(), username)


@dataclasses.dataclass(frozen=True)
class PortraitChoices:
    """What the Dojo offers a shopper: their breathing style and the weapon types they own."""

    style: str | None
    owned_weapons: tuple[str, ...]  # type codes, most recently bought first


def choices_for_account(account: Account) -> PortraitChoices:
    """The shopper's breathing style (onboarding answer or published profile) and owned weapons."""
    from hashira_serving import battle, catalog, customers

    style = None
    try:
        style = style_name(battle.profile_for_account(account)["style"])
    except (LookupError, ValueError):
        style = None
    owned: list[str] = []
    try:
        events = customers.customer_events(account.customer_id)
        products = catalog.products()
    except NotMaterializedError:
        return PortraitChoices(style, ())
    bought = events[events["event_type"] == "purchase"].sort_values("event_date", ascending=False)
    for product_id in bought["product_id"]:
        if int(product_id) not in products.index:
            continue
        code = type_code(str(products.loc[int(product_id), "product_type"]))
        if code in WEAPON_TYPES and code not in owned:
            owned.append(code)
    return PortraitChoices(style, tuple(owned))
