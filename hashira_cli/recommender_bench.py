"""The recommender's benches: `hashira bench recommender` (train, evaluate, time) and
`hashira bench recommender-serving` (time a kept model without training)."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import platform
import random
import resource
import time
from pathlib import Path
from typing import Annotated

import typer


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_recommender(
    preset: Annotated[str, typer.Option(help="World size; its lakehouse is built if missing.")] = (
        "small"
    ),
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the results.")] = Path(
        "bench/results/recommender.json"
    ),
    train_weeks: Annotated[int, typer.Option(help="Labelled weeks before the window.")] = 4,
    requests: Annotated[int, typer.Option(help="Request-time calls timed.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the world and the models.")] = 42,
    battle_fit: Annotated[
        bool, typer.Option(help="Train a battle-fit model and give the ranker its win chance.")
    ] = True,
    ablation: Annotated[
        bool, typer.Option(help="Also train without the win chance and report the MAP@12 change.")
    ] = True,
    all_customers: Annotated[
        bool,
        typer.Option(
            help="Also write every known customer's top 12 as `user_recommendations` "
            "does (to a temporary file) and time it."
        ),
    ] = False,
    keep_model: Annotated[
        Path | None,
        typer.Option(
            help="Also save the serving model (ranker and state) into this folder, for "
            "`hashira bench recommender-serving`."
        ),
    ] = None,
) -> None:
    """MAP@12, recall, NDCG and coverage of the ranker, baselines and oracle, per-source
    recall, training time, request latency p50/p99 and peak memory."""
    from hashira_assets.lakehouse import ensure_lakehouse, ensure_recommender_tables
    from hashira_assets.recommender.data import load_shop_data
    from hashira_assets.recommender.training import (
        RecommenderSettings,
        serving_model,
        train_recommender,
    )
    from resources import settings
    from resources.lake import LakeResource

    started = time.perf_counter()
    raw_dir = ensure_lakehouse(preset, seed, log=_err)
    lake = LakeResource(root=settings.default_lake_root())
    data = load_shop_data(lake, raw_dir)
    ensure_recommender_tables(preset, seed, data.end_day, train_weeks, log=_err)
    config = RecommenderSettings(train_weeks=train_weeks)
    win_chance = _battle_win_chance(lake, data.products) if battle_fit else None
    trained = train_recommender(data, raw_dir, config, progress=_err, win_chance=win_chance)
    without = None
    if win_chance is not None and ablation:
        _err("ablation: the same training without the win-chance feature")
        without = train_recommender(data, raw_dir, config, progress=_err)
    tick = time.perf_counter()
    model = serving_model(data, trained, config)
    serving_build_s = time.perf_counter() - tick
    if keep_model is not None:
        save_model(model, (trained.booster, trained.params), keep_model)
        _err(f"kept the serving model in {keep_model}")
    latency = request_latencies(model, requests, seed)
    summary = trained.summary()
    state_figures = _serving_state_figures(model, (trained.booster, trained.params))
    known_customers = int(model.state.user_known.sum())
    result = {
        "preset": preset,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "customers": len(data.customers),
        "products": len(data.products),
        "events": len(data.events),
        "evaluated_customers": trained.results["model"]["customers"],
        "cold_start_customers": trained.results["model"]["cold_customers"],
        "objective": trained.params.objective,
        "objective_choice": trained.objective_choice,
        "metrics": trained.results,
        "summary": summary,
        "acceptance": {
            "ranker_vs_best_baseline_at_least_1.5x": summary["ratio_to_best_baseline"] >= 1.5,
            "ranker_at_least_70pct_of_oracle": summary["share_of_oracle"] >= 0.7,
            "cold_start_at_least_1.5x_top_popular": summary["cold_ratio_to_top_popular"] >= 1.5,
            "request_p99_under_10ms": latency["known_customer_p99"] < 10,
            "launches_reach_at_least_half_the_oracle": summary["new_items_recall_vs_oracle"] >= 0.5,
        },
        "battle_fit_feature": _ablation_figures(trained, without, win_chance),
        "candidate_sources": trained.recalls,
        "exploration": trained.exploration,
        "train_rows": trained.train_rows,
        "timings_s": {**trained.timings, "serving_state_s": serving_build_s},
        "request_latency_ms": latency,
        "serving_state": state_figures,
        "known_customers": known_customers,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_s": time.perf_counter() - started,
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2, default=float))
    m = trained.results
    typer.echo(
        f"MAP@12 ranker {m['model']['map']:.4f}, best baseline {summary['best_baseline_map']:.4f} "
        f"({summary['ratio_to_best_baseline']:.2f}x), oracle "
        f"{m.get('oracle', {}).get('map', 0):.4f}"
        f" ({summary['share_of_oracle']:.0%}); cold start {m['model']['cold_map']:.4f} vs top "
        f"popular {m['top_popular']['cold_map']:.4f}"
    )
    typer.echo(
        f"launches in the window reach their buyers' top 12: {m['model']['new_items_recall']:.3f} "
        f"(ranker alone {m['ranker_only']['new_items_recall']:.3f}, oracle "
        f"{m.get('oracle', {}).get('new_items_recall', float('nan')):.3f}); MAP@12 ranker alone "
        f"{m['ranker_only']['map']:.4f}"
    )
    typer.echo(
        f"request p50 {result['request_latency_ms']['known_customer_p50']:.2f} ms, "
        f"p99 {result['request_latency_ms']['known_customer_p99']:.2f} ms; "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB"
    )
    typer.echo(
        f"serving state {state_figures['mib']:,.0f} MiB, loaded in "
        f"{state_figures['load_seconds']:.1f} s"
    )
    if without is not None:
        change = result["battle_fit_feature"]
        typer.echo(f"win-chance feature: MAP@12 {change['map_without']:.4f} without, "
                   f"{change['map_with']:.4f} with ({change['map_change']:+.4f})")  # fmt: skip
    typer.echo(f"wrote {json_out}")
    if all_customers:
        # Written after the figures above, so a write stopped part way loses none of them.
        _err(f"writing every known customer's recommendations ({known_customers:,})")
        ranker = (trained.booster, trained.params)
        # What the asset's process holds is the champion alone: let the training's shop data and
        # evaluation state go first (at `hm` they are most of this process's memory).
        del data, trained, without, win_chance
        gc.collect()
        result["serving_state"] = _serving_state_figures(model, ranker, all_customers=True)
        json_out.write_text(json.dumps(result, indent=2, default=float))
        written = result["serving_state"]["user_recommendations"]
        typer.echo(
            f"user_recommendations: {written['rows']:,} rows in {written['seconds']:,.0f} s, "
            f"{written['workers']} scoring process(es)"
        )


def request_latencies(model, requests: int, seed: int) -> dict:
    """Request time in ms of `recommend` for a seeded sample of known customers (p50, p99), and
    for new shoppers described by a profile and three viewed products."""
    import numpy as np

    from hashira_assets.recommender.candidates import Shopper

    state = model.state
    rng = random.Random(seed)
    known = [int(c) for c in state.user_ids[state.user_known]]
    sample = rng.sample(known, min(requests, len(known)))
    model.recommend(Shopper.known(state, sample[0]))  # warm caches once
    full_collections = gc.get_stats()[2]["collections"]
    latencies = []
    for customer in sample:
        tick = time.perf_counter()
        model.recommend(Shopper.known(state, customer))
        latencies.append((time.perf_counter() - tick) * 1000)
    full_collections = gc.get_stats()[2]["collections"] - full_collections
    profile_latencies = []
    viewed = rng.sample([int(p) for p in np.flatnonzero(state.exists)], 3)
    for style in range(min(requests, 200)):
        shopper = Shopper(style_code=style % 13, level=20 + style % 60, viewed=tuple(viewed))
        tick = time.perf_counter()
        model.recommend(shopper)
        profile_latencies.append((time.perf_counter() - tick) * 1000)
    return {
        "known_customer_p50": _percentile(latencies, 50),
        "known_customer_p99": _percentile(latencies, 99),
        "profile_p50": _percentile(profile_latencies, 50),
        "profile_p99": _percentile(profile_latencies, 99),
        "requests": len(latencies),
        # Full garbage collections during the known customers' requests (each walks every
        # tracked object of the process).
        "full_gc_collections": full_collections,
    }


def save_model(model, ranker, folder: Path) -> None:
    """The ranker and the serving state in one folder, as `RecommenderModel.load` reads them."""
    from hashira_assets.recommender.ranker import save_ranker

    save_ranker(*ranker, folder)
    model.save(folder)


def bench_recommender_serving(
    model_dir: Annotated[
        Path, typer.Option("--model", help="A folder written by `bench recommender --keep-model`.")
    ],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the results.")] = Path(
        "bench/results/recommender_serving.json"
    ),
    requests: Annotated[
        int, typer.Option(help="Request-time calls timed per repeat.", min=1)
    ] = 1000,
    repeats: Annotated[int, typer.Option(help="Times the request sample is timed.", min=1)] = 3,
    customers: Annotated[
        int,
        typer.Option(help="Known customers whose top 12 are written and timed (0: none).", min=0),
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the request sample.")] = 42,
) -> None:
    """Serving figures of a saved model without training it again: load time, request time
    (p50 and p99 of each repeat, and their medians) and `user_recommendations` throughput."""
    import statistics
    import tempfile

    from hashira_assets.recommender.model import SERVING_STATE_FILE, RecommenderModel
    from hashira_assets.recommender.recommendations import write_all_recommendations

    if not (model_dir / SERVING_STATE_FILE).is_file():
        _err(f"error: {model_dir} holds no serving model ({SERVING_STATE_FILE}); write one with "
             "`hashira bench recommender --keep-model DIR`")  # fmt: skip
        raise typer.Exit(code=2)
    tick = time.perf_counter()
    model = RecommenderModel.load(model_dir)
    load_seconds = time.perf_counter() - tick
    runs = [request_latencies(model, requests, seed + r) for r in range(repeats)]
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "model": str(model_dir),
        "serving_state_mib": (model_dir / SERVING_STATE_FILE).stat().st_size / 2**20,
        "load_seconds": load_seconds,
        "known_customers": int(model.state.user_known.sum()),
        "products": int(model.state.exists.sum()),
        "request_latency_ms": runs,
        "median_known_customer_p50": statistics.median(r["known_customer_p50"] for r in runs),
        "median_known_customer_p99": statistics.median(r["known_customer_p99"] for r in runs),
    }
    if customers:
        with tempfile.TemporaryDirectory() as tmp:
            written = write_all_recommendations(
                model, "bench", Path(tmp) / "user_recommendations.parquet", model_dir,
                limit=customers, progress=_err,
            )  # fmt: skip
        result["user_recommendations"] = {
            **dataclasses.asdict(written),
            "customers_per_second": written.customers / written.seconds,
        }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2, default=float))
    typer.echo(
        f"request p50 {result['median_known_customer_p50']:.2f} ms, p99 "
        f"{result['median_known_customer_p99']:.2f} ms (medians of {repeats}); loaded in "
        f"{load_seconds:.1f} s"
    )
    if customers:
        rate = result["user_recommendations"]["customers_per_second"]
        typer.echo(f"user_recommendations: {rate:,.0f} customers a second")
    typer.echo(f"wrote {json_out}")


def _serving_state_figures(model, ranker, all_customers: bool = False) -> dict:
    """Size on disk of the serving state the app and the API load and the time to load it;
    with `all_customers`, also the time to write every known customer's recommendations."""
    import tempfile

    from hashira_assets.recommender.model import SERVING_STATE_FILE, RecommenderModel
    from hashira_assets.recommender.recommendations import write_all_recommendations

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save_model(model, ranker, folder)
        out: dict = {"mib": (folder / SERVING_STATE_FILE).stat().st_size / 2**20}
        tick = time.perf_counter()
        RecommenderModel.load(folder)
        out["load_seconds"] = time.perf_counter() - tick
        if all_customers:
            written = write_all_recommendations(
                model, "bench", folder / "user_recommendations.parquet", folder, progress=_err
            )
            out["user_recommendations"] = dataclasses.asdict(written)
    return out


def _battle_win_chance(lake, products):
    """A battle-fit model trained here on the lake's battles (the bench skips MLflow)."""
    from hashira_assets.battle.data import load_battle_data
    from hashira_assets.battle.training import BattleSettings, train_battle_model
    from hashira_assets.recommender.battle_fit import WinChance

    data = load_battle_data(lake)
    _err(f"battle-fit model on {len(data.battles)} battles")
    trained = train_battle_model(data.battles, data.customers, data.products, BattleSettings())
    return WinChance(trained.model, "bench", products)


def _ablation_figures(trained, without, win_chance) -> dict:
    """MAP@12 with and without the win-chance feature, and its share of the ranker's gain."""
    from hashira_assets.recommender.candidates import FEATURE_NAMES
    from hashira_assets.recommender.ranker import feature_importance

    out: dict = {"used": win_chance is not None}
    if win_chance is None:
        return out
    gains = feature_importance(trained.booster)
    total = sum(gains.values()) or 1.0
    out["gain_share"] = gains.get("battle_win_chance", 0.0) / total
    out["gain_rank"] = 1 + sorted(gains.values(), reverse=True).index(
        gains.get("battle_win_chance", 0.0)
    )
    out["features"] = len(FEATURE_NAMES)
    if without is not None:
        out["map_with"] = trained.model_map
        out["map_without"] = without.model_map
        out["map_change"] = trained.model_map - without.model_map
        out["relative_change"] = out["map_change"] / without.model_map
    return out
