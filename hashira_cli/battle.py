"""The battle-fit commands: `hashira battle-fit` and `hashira bench battle`."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Annotated

import typer

from hashira_cli.assistant import bench_app


def _err(message: str) -> None:
    typer.echo(message, err=True)


def battle_fit(
    user: Annotated[int, typer.Option(help="A known customer id.")],
    k: Annotated[int, typer.Option(help="How many weapons.", min=1, max=50)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """The weapons most likely to win a slayer's battles, by the champion battle-fit model."""
    from hashira_serving.battle import BattleFitService
    from hashira_serving.errors import NotFoundError, NotMaterializedError

    service = BattleFitService()
    try:
        service.champion()  # a missing model is the first thing to report
        picks = service.best_for_battles(service.profile_for_customer(user), k)
    except NotMaterializedError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=1) from exc
    except NotFoundError as exc:
        _err(f"error: {str(exc).strip(chr(39))}")
        raise typer.Exit(code=2) from exc
    for rank, pick in enumerate(picks, start=1):
        if as_json:
            typer.echo(json.dumps(dataclasses.asdict(pick)))
        else:
            typer.echo(f"{rank:>2}. [{pick.product_id}] {pick.name} "
                       f"({pick.win_chance:.0%} win chance) - {pick.reason}")  # fmt: skip
    if picks:
        _err(f"(hashira-battle-fit v{picks[0].model_version})")


@bench_app.command("battle")
def bench_battle(
    preset: Annotated[str, typer.Option(help="World size; generated if --raw is not given.")] = (
        "small"
    ),
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Where to write the results (bench/results/battle_P.json)."),
    ] = None,
    raw: Annotated[
        Path | None, typer.Option(help="A generated raw folder of this preset to train on.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the world.")] = 42,
    n_estimators: Annotated[int, typer.Option(help="Boosting rounds.")] = 300,
    slayers: Annotated[int, typer.Option(help="Slayers whose top-3 is compared.")] = 500,
) -> None:
    """AUC, log loss, Brier and ECE of the battle-fit model, both baselines and the oracle on the
    last 4 weeks of battles, top-3 overlap with the true odds, training time and peak memory."""
    from hashira_assets.battle.data import load_raw_folder
    from hashira_assets.battle.training import BattleSettings, train_battle_model
    from hashira_assets.raw.generate import generate_world
    from hashira_assets.raw.world_config import make_config
    from resources import settings as app_settings

    started = time.perf_counter()
    raw_dir = raw or app_settings.hashira_home() / "bench" / f"battle_{preset}_{seed}" / "raw"
    manifest = raw_dir / "manifest.json"
    if manifest.exists():
        config = json.loads(manifest.read_text())["config"]
        if (config["preset"], config["seed"]) != (preset, seed):
            _err(f"error: {raw_dir} holds preset {config['preset']} seed {config['seed']}")
            raise typer.Exit(code=2)
    elif raw is not None:
        _err(f"error: {raw_dir} is not a generated world (no manifest.json)")
        raise typer.Exit(code=2)
    else:
        _err(f"generating {preset} into {raw_dir}")
        generate_world(make_config(preset, seed=seed), raw_dir)
    data = load_raw_folder(raw_dir)
    config = BattleSettings(n_estimators=n_estimators, max_ranking_slayers=slayers)
    tick = time.perf_counter()
    trained = train_battle_model(data.battles, data.customers, data.products, config, progress=_err)
    train_s = time.perf_counter() - tick
    m = trained.results
    oracle_auc = m["oracle"]["auc"]
    result = {
        "preset": preset,
        "seed": seed,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "battles": len(data.battles),
        "fit_battles": len(trained.split.fit),
        "calibration_battles": len(trained.split.calibration),
        "eval_battles": len(trained.split.evaluation),
        "eval_start": str(trained.split.eval_start),
        "settings": dataclasses.asdict(config),
        "metrics": m,
        "top3": trained.ranking,
        "calibration": {"slope": trained.model.slope, "intercept": trained.model.intercept},
        "acceptance": {
            "auc_at_least_0.9x_oracle": m["model"]["auc"] >= 0.9 * oracle_auc,
            "auc_share_of_oracle": m["model"]["auc"] / oracle_auc,
            "auc_above_style_rule": m["model"]["auc"] > m["style_rule"]["auc"],
            "auc_above_logistic": m["model"]["auc"] > m["logistic"]["auc"],
            "ece_at_most_0.03": m["model"]["ece"] <= 0.03,
            "top3_overlap_at_least_0.7": trained.ranking["overlap"] >= 0.7,
        },
        "timings_s": {"train_and_score": train_s, "total": time.perf_counter() - started},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out = json_out or Path("bench/results") / f"battle_{preset}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    for name in ("model", "logistic", "style_rule", "oracle"):
        r = m[name]
        typer.echo(f"{name:<10} AUC {r['auc']:.4f}  log loss {r['logloss']:.4f}  "
                   f"Brier {r['brier']:.4f}  ECE {r['ece']:.4f}")  # fmt: skip
    typer.echo(f"top-3 overlap with true odds {trained.ranking['overlap']:.3f} "
               f"(regret {trained.ranking['regret']:.4f}; the true top 3 lead the next weapon "
               f"by a median {trained.ranking['margin_median']:.4f}); wrote {out}")  # fmt: skip
