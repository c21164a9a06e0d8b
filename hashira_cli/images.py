"""The picture commands: `hashira portrait` and `hashira bench images`."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from hashira_cli.assistant import bench_app


def _err(message: str) -> None:
    typer.echo(message, err=True)


def portrait(
    style: Annotated[str, typer.Option(help="Breathing style, e.g. Water.")],
    weapon: Annotated[str, typer.Option(help="Weapon type, e.g. katana or 'Whip Sword'.")],
    out: Annotated[Path, typer.Option(help="The PNG file to write.")],
    name: Annotated[
        str, typer.Option(help="The slayer's name (used in a Stable Diffusion prompt).")
    ] = "Slayer",
    seed: Annotated[
        int | None, typer.Option(help="Seed; the same seed draws the same portrait.")
    ] = None,
) -> None:
    """Generate a portrait of a slayer wielding a weapon, with the champion portrait model (or
    Stable Diffusion when HASHIRA_SD_MODEL_DIR is set)."""
    from hashira_serving.errors import NotMaterializedError
    from hashira_serving.portraits import InvalidPortraitRequest, PortraitRequest, generate_portrait

    try:
        made = generate_portrait(PortraitRequest(style, weapon, name, seed))
    except InvalidPortraitRequest as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    except NotMaterializedError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=1) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.image_png)
    if made.note:
        _err(f"note: {made.note}")
    typer.echo(
        f"wrote {out}: {made.style} Breathing, {made.weapon}, seed {made.seed}, "
        f"by {made.generator} in {made.seconds:.2f} s"
    )


def save_grid(
    model, path: Path, seed: int = 0, steps: int = 25, guidance: float = 3.0, eta: float = 0.0
) -> None:
    """A grid of generated portraits: one row per weapon type, one column per breathing style."""
    import numpy as np
    from PIL import Image

    from hashira_assets.images.diffusion import sample
    from hashira_assets.images.training import requests

    weapons, styles = requests(1)
    pixels = sample(model, weapons, styles, seed=seed, steps=steps, guidance=guidance, eta=eta)
    n_w, n_s = int(weapons.max()) + 1, int(styles.max()) + 1
    size = pixels.shape[1]
    grid = pixels.reshape(n_w, n_s, size, size, 3).transpose(0, 2, 1, 3, 4)
    image = Image.fromarray(np.ascontiguousarray(grid.reshape(n_w * size, n_s * size, 3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.resize((image.width * 3, image.height * 3), Image.Resampling.NEAREST).save(path)


@bench_app.command("images")
def bench_images(
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the results.")] = Path(
        "bench/results/images.json"
    ),
    steps: Annotated[
        int | None, typer.Option(help="Training steps (default: the small budget).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of renders, model and judge.")] = 0,
    portraits: Annotated[int, typer.Option(help="Single portraits timed one by one.")] = 20,
    grid: Annotated[
        Path | None, typer.Option(help="Also write a grid of generated portraits.")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="PyTorch threads (default: PyTorch's, one per core).")
    ] = None,
) -> None:
    """Train the portrait model at the `small` budget and measure it: conditional accuracy
    against the judge's ceiling (real renders) and chance (unconditional samples), novelty,
    time per portrait, training time and model size."""
    import numpy as np
    import torch

    from hashira_assets.images.diffusion import sample
    from hashira_assets.images.training import PRESET_SETTINGS, train_image_model
    from resources.torch_cpu import bf16_native

    if threads:
        torch.set_num_threads(threads)
    load_before = os.getloadavg()
    settings = PRESET_SETTINGS["small"]
    settings = dataclasses.replace(settings, seed=seed, **({"steps": steps} if steps else {}))
    started = time.perf_counter()
    trained = train_image_model(settings, progress=_err)
    m = trained.metrics
    times = []
    rng = np.random.default_rng(seed)
    for i in range(portraits):
        w, s = rng.integers(0, 9), rng.integers(0, 13)
        tick = time.perf_counter()
        sample(
            trained.model,
            np.array([w]),
            np.array([s]),
            seed=i,
            steps=settings.sample_steps,
            guidance=settings.guidance,
            eta=settings.sample_eta,
        )
        times.append(time.perf_counter() - tick)
    with tempfile.TemporaryDirectory() as tmp:
        trained.model.save(Path(tmp))
        model_bytes = sum(f.stat().st_size for f in Path(tmp).iterdir())
    if grid is not None:
        save_grid(
            trained.model,
            grid,
            seed=seed,
            steps=settings.sample_steps,
            guidance=settings.guidance,
            eta=settings.sample_eta,
        )
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "bf16_native": bf16_native(),
            "platform": platform.platform(),
            # 1, 5 and 15 minute load averages before and after: what else was running.
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {**dataclasses.asdict(settings), "channels": list(settings.channels)},
        "metrics": m,
        "portrait_seconds": {
            "median": statistics.median(times),
            "max": max(times),
            "runs": len(times),
        },
        "model_bytes": model_bytes,
        "acceptance": {
            "weapon_accuracy_at_least_0.8": m["generated_weapon_accuracy"] >= 0.8,
            "style_accuracy_at_least_0.8": m["generated_style_accuracy"] >= 0.8,
            "no_near_copies": m["near_copies"] == 0,
            "portrait_at_most_3s": statistics.median(times) <= 3.0,
        },
        "timings_s": {
            "train": m["train_seconds"],
            "judge": m["judge_seconds"],
            "score": m["score_seconds"],
            "total": time.perf_counter() - started,
        },
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2))
    typer.echo(
        f"conditional accuracy: weapon {m['generated_weapon_accuracy']:.3f}, style "
        f"{m['generated_style_accuracy']:.3f} (real renders {m['real_weapon_accuracy']:.3f} / "
        f"{m['real_style_accuracy']:.3f}; unconditional {m['unconditional_weapon_accuracy']:.3f} "
        f"/ {m['unconditional_style_accuracy']:.3f})"
    )
    typer.echo(
        f"nearest training render: min RMSE {m['nearest_train_rmse_min']:.3f}, median "
        f"{m['nearest_train_rmse_median']:.3f} ({int(m['near_copies'])} near-copies); portrait "
        f"{statistics.median(times):.2f} s median; trained in {m['train_seconds']:.0f} s, "
        f"{int(m['parameters']):,} parameters, {model_bytes / 1e6:.1f} MB; wrote {json_out}"
    )
