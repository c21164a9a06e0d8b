"""Generate a whole HashiraMart world and write it as chunked, partitioned Parquet.

The world is written to `<out>.partial` and moved into place only when complete, so an interrupted
run never leaves a half-written world where a previous one stood.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hashira_assets.raw import calendar as cal
from hashira_assets.raw import entities, oracle, support_chats, texts
from hashira_assets.raw.choice_model import ChoiceModel, Funnel
from hashira_assets.raw.corruption import CORRUPTION_KINDS, corrupt_events
from hashira_assets.raw.forked import default_workers, map_chunks
from hashira_assets.raw.simulator import BATTLE_SCHEMA, SessionSimulator
from hashira_assets.raw.world_config import WorldConfig, validate_config

GENERATOR_VERSION = "1"
ROWS_PER_FILE = 250_000
PILOT_SESSIONS = 4_000

# Raw tables in the order they are written; each is one folder (and one `raw` asset).
RAW_TABLES = (
    "customers",
    "products",
    "product_faqs",
    "shop_calendar",
    "promotions",
    "interaction_events",
    "battle_outcomes",
    "support_conversations",
    "oracle_top_products",
    "oracle_expected_demand",
)
# Tables partitioned by a date column into `<column>=YYYY-MM-DD` folders.
DATE_PARTITIONED = {"interaction_events": "event_date"}

Progress = Callable[[str, int, int], None]


@dataclasses.dataclass
class GenerationResult:
    """Where a world was written and how many rows each table holds."""

    out_dir: Path
    row_counts: dict[str, int]
    seconds: float


class _TableWriter:
    """Writes one table as numbered Parquet parts of at most ROWS_PER_FILE rows."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.parts = 0
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.buffer.append(table)
        self.buffered += table.num_rows
        self.rows += table.num_rows
        if self.buffered >= ROWS_PER_FILE:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        write_parquet(pa.concat_tables(self.buffer), self.folder / f"part-{self.parts:05d}.parquet")
        self.parts += 1
        self.buffer, self.buffered = [], 0


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a Parquet file deterministically (same table, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=ROWS_PER_FILE)


def _write_whole(table: pa.Table, folder: Path) -> int:
    writer = _TableWriter(folder)
    for batch in table.to_batches(max_chunksize=ROWS_PER_FILE):
        writer.add(pa.Table.from_batches([batch]))
    writer.flush()
    if writer.parts == 0:
        write_parquet(table, folder / "part-00000.parquet")
    return table.num_rows


def _rng(seed: int, stream: int, *extra: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, *extra])


def calibrate_base_rate(
    config: WorldConfig, model: ChoiceModel, start: np.datetime64
) -> tuple[float, float]:
    """Session rate per unit of activity that makes the world hit config.n_events.

    A pilot day of PILOT_SESSIONS sessions (its own random stream, thrown away) measures the
    events one session logs; the rate then spreads n_events over the days by demand and signups.
    """
    pilot = SessionSimulator(model, base_rate=1.0, start=start)
    pilot_day = config.n_days * 2 // 3
    drawn = pilot.simulate_day(pilot_day, _rng(config.seed, 6), n_sessions=PILOT_SESSIONS)
    events_per_session = max(drawn.events.num_rows / PILOT_SESSIONS, 1e-6)
    signed_activity = np.array(
        [
            pilot.cum_activity[n - 1] if (n := pilot.signed_up(d)) else 0.0
            for d in range(config.n_days)
        ]
    )
    exposure = float(np.sum(model.calendar.demand_factor[: config.n_days] * signed_activity))
    return config.n_events / (events_per_session * exposure), events_per_session


def generate_world(
    config: WorldConfig,
    out_dir: str | Path,
    progress: Progress | None = None,
    workers: int | None = None,
) -> GenerationResult:
    """Generate the world described by config into out_dir (replacing what was there), in
    `workers` processes (default: the usable cores); the same bytes whatever the workers."""
    validate_config(config)
    started = time.monotonic()
    out = Path(out_dir)
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    report = progress or (lambda stage, done, total: None)
    counts: dict[str, int] = {}
    seed = config.seed
    start = np.datetime64(config.start_date, "D")

    customers = entities.make_customers(config, _rng(seed, 1))
    products = entities.make_products(config, _rng(seed, 2))
    descriptions = texts.product_descriptions(products, _rng(seed, 3))
    customer_table = entities.customers_table(customers, config, _rng(seed, 8))
    counts["customers"] = _write_whole(customer_table, staging / "customers")
    counts["products"] = _write_whole(
        entities.products_table(products, config, descriptions), staging / "products"
    )
    counts["product_faqs"] = _write_whole(texts.product_faqs(products), staging / "product_faqs")
    calendar = cal.make_calendar(config)
    promotions = cal.make_promotions(config, _rng(seed, 4))
    counts["shop_calendar"] = _write_whole(cal.calendar_table(calendar), staging / "shop_calendar")
    counts["promotions"] = _write_whole(
        cal.promotions_table(promotions, config), staging / "promotions"
    )
    report("catalog", 1, 1)

    model = ChoiceModel(
        customers, products, calendar, promotions, Funnel.for_preset(config.purchase_heavy)
    )
    base_rate, events_per_session = calibrate_base_rate(config, model, start)
    sim = SessionSimulator(model, base_rate=base_rate, start=start)
    battles = _TableWriter(staging / "battle_outcomes")
    eval_day = config.n_days - (config.end_date - config.eval_start).days - 1
    demand_day = config.n_days - (config.end_date - config.demand_start).days - 1
    eval_buyers: set[int] = set()
    snapshots: dict[str, np.ndarray] = {}
    n_events = 0
    faults = dict.fromkeys(CORRUPTION_KINDS, 0)
    # Each day's sessions and regular views (most of a day's work) are drawn ahead in worker
    # processes; the rest of the day runs here, in day order, as it reads what earlier days left.
    # Closed on the way out, so that an error here stops the workers instead of leaving them
    # drawing the remaining days.
    draws = contextlib.closing(
        map_chunks(
            lambda day: sim.draw_sessions(day, _rng(seed, 100, day)),
            range(config.n_days),
            default_workers() if workers is None else workers,
        )
    )
    with draws as drawn_days:
        for day, draw in enumerate(drawn_days):
            if day == eval_day:
                snapshots["eval"] = sim.last_consumable.copy()
            if day == demand_day:
                snapshots["demand"] = sim.last_consumable.copy()
            drawn = sim.finish_day(draw)
            day_events = drawn.events
            if config.corrupt_rate > 0:
                day_events, day_faults, sim.next_event_id = corrupt_events(
                    day_events, config.corrupt_rate, config.n_customers, config.n_products,
                    sim.next_event_id, _rng(seed, 200, day),
                )  # fmt: skip
                for kind, count in day_faults.items():
                    faults[kind] += count
            date = (start + np.timedelta64(day, "D")).astype(str)
            day_folder = staging / "interaction_events" / f"event_date={date}"
            write_parquet(day_events, day_folder / "part-00000.parquet")
            battles.add(drawn.battles)
            n_events += day_events.num_rows
            if day >= eval_day:
                kinds = drawn.events.column("event_type").to_numpy(zero_copy_only=False)
                ids = drawn.events.column("customer_id").to_numpy()
                eval_buyers.update(np.unique(ids[kinds == "purchase"]).tolist())
            report("events", day + 1, config.n_days)
    battles.flush()
    if battles.parts == 0:
        write_parquet(
            BATTLE_SCHEMA.empty_table(), staging / "battle_outcomes" / "part-00000.parquet"
        )
    counts["interaction_events"] = n_events
    counts["battle_outcomes"] = battles.rows

    names = customer_table.column("name").to_pylist()
    counts["support_conversations"] = _write_whole(
        support_chats.support_conversations(
            config.n_conversations, names, customers.signup_day, products, config.n_days, start,
            _rng(seed, 5),
        ),
        staging / "support_conversations",
    )  # fmt: skip
    report("support", 1, 1)

    evaluated = np.array(sorted(eval_buyers), dtype=np.int64)
    sample_rng = _rng(seed, 7)
    if config.max_oracle_customers and len(evaluated) > config.max_oracle_customers:
        evaluated = np.sort(
            sample_rng.choice(evaluated, size=config.max_oracle_customers, replace=False)
        )
    top = oracle.oracle_top_products(
        model, evaluated, list(range(eval_day, config.n_days)), base_rate, snapshots["eval"],
        progress=lambda done, total: report("oracle_top_products", done, total), workers=workers,
    )  # fmt: skip
    counts["oracle_top_products"] = _write_whole(top, staging / "oracle_top_products")
    demand_sample = None
    if config.max_oracle_customers and config.n_customers > config.max_oracle_customers:
        demand_sample = np.sort(
            sample_rng.choice(config.n_customers, size=config.max_oracle_customers, replace=False)
        )
    demand = oracle.oracle_expected_demand(
        model, list(range(demand_day, config.n_days)), start, base_rate, snapshots["demand"],
        customer_sample=demand_sample,
        progress=lambda done, total: report("oracle_expected_demand", done, total),
        workers=workers,
    )  # fmt: skip
    counts["oracle_expected_demand"] = _write_whole(demand, staging / "oracle_expected_demand")

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "config": config.to_dict(),
        "row_counts": counts,
        "base_session_rate": round(base_rate, 12),
        "pilot_events_per_session": round(events_per_session, 6),
        "evaluation_window": [config.eval_start.isoformat(), config.end_date.isoformat()],
        "demand_window": [config.demand_start.isoformat(), config.end_date.isoformat()],
        "date_partitioned": DATE_PARTITIONED,
        "injected_faults": faults,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return GenerationResult(out_dir=out, row_counts=counts, seconds=time.monotonic() - started)


def read_manifest(world_dir: str | Path) -> dict:
    """The manifest of a generated world; a clear error if none was generated there."""
    path = Path(world_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no generated world at {world_dir}: run `hashira generate` or materialize `raw`"
        )
    return json.loads(path.read_text())
