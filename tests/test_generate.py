"""The generator writes complete, deterministic, chunked tables."""

import dataclasses
import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from hashira_assets.raw.generate import RAW_TABLES, generate_world, read_manifest
from hashira_assets.raw.world_config import WorldConfigError, make_config
from tests.world_frames import read


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_tables(tiny_world, tmp_path):
    again = generate_world(make_config("tiny"), tmp_path / "again")
    assert _digest(again.out_dir) == _digest(tiny_world.out_dir)


def test_the_same_bytes_whatever_the_worker_processes(tmp_path):
    # Days are drawn ahead in worker processes and finished in order here; faults are injected
    # on the finished days, so the corruption stream is covered too.
    config = make_config("tiny", corrupt_rate=0.05)
    alone = generate_world(config, tmp_path / "alone", workers=1)
    shared = generate_world(config, tmp_path / "shared", workers=2)
    assert _digest(alone.out_dir) == _digest(shared.out_dir)
    assert sum(read_manifest(alone.out_dir)["injected_faults"].values()) > 0


def test_another_seed_gives_different_tables(tiny_world, tmp_path):
    other = generate_world(make_config("tiny", seed=7), tmp_path / "other")
    first, second = _digest(tiny_world.out_dir), _digest(other.out_dir)
    assert first.keys() == second.keys()
    changed = [name for name in first if first[name] != second.get(name)]
    assert "customers/part-00000.parquet" in changed
    assert "interaction_events/event_date=2026-10-31/part-00000.parquet" in changed


def test_every_table_is_written_with_its_row_count(tiny_world):
    manifest = read_manifest(tiny_world.out_dir)
    for table in RAW_TABLES:
        files = list((tiny_world.out_dir / table).rglob("*.parquet"))
        assert files, table
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        assert rows == manifest["row_counts"][table] == tiny_world.row_counts[table]


def test_sizes_match_the_tiny_preset(tiny_world):
    counts = tiny_world.row_counts
    assert counts["customers"] == 500
    assert counts["products"] == 200
    assert counts["support_conversations"] == 60
    assert counts["product_faqs"] == 600
    # The event count is a calibrated target, not exact.
    assert 17_000 <= counts["interaction_events"] <= 23_000


def test_events_are_partitioned_by_date_and_typed(tiny_world):
    partitions = sorted(p.name for p in (tiny_world.out_dir / "interaction_events").iterdir())
    assert len(partitions) == 120
    assert partitions[0] == "event_date=2026-07-04" and partitions[-1] == "event_date=2026-10-31"
    events = read(tiny_world.out_dir, "interaction_events")
    assert set(events["event_type"]) == {"view", "cart", "purchase", "return"}
    assert events["event_id"].is_unique
    assert (events["price"] > 0).all()
    assert events["customer_id"].between(0, 499).all()
    assert events["product_id"].between(0, 199).all()
    assert events["event_ts"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}").all()
    same_day = events["event_ts"].str[:10] == events["event_date"].astype(str)
    assert same_day.all()


def test_nobody_acts_before_signup_or_on_unlaunched_products(tiny_world):
    world = tiny_world.out_dir
    events = read(world, "interaction_events")
    customers = read(world, "customers").set_index("customer_id")
    products = read(world, "products").set_index("product_id")
    day = pd.to_datetime(events["event_ts"]).dt.normalize()
    assert (day >= customers.loc[events["customer_id"], "signup_date"].values).all()
    assert (day >= products.loc[events["product_id"], "launch_date"].values).all()


def test_support_conversations_have_turns_agents_and_reference_summaries(tiny_world):
    conversations = read(tiny_world.out_dir, "support_conversations")
    assert set(conversations["eval_split"]) == {"train", "phrasing", "agents"}
    assert conversations["turns"].map(len).between(2, 20).all()
    assert conversations["agent_id"].str.match(r"agent-\d\d$").all()
    assert conversations["reference_summary"].str.startswith("Customer ").all()


def test_products_have_multi_sentence_descriptions(tiny_world):
    products = read(tiny_world.out_dir, "products")
    assert products["name"].is_unique
    assert (products["description"].str.count(r"\. ") >= 3).all()


def test_refused_config_writes_nothing(tmp_path):
    bad = dataclasses.replace(make_config("tiny"), n_customers=-3)
    with pytest.raises(WorldConfigError, match="n_customers must not be negative"):
        generate_world(bad, tmp_path / "w")
    assert not (tmp_path / "w").exists()
    assert not (tmp_path / "w.partial").exists()


def test_an_error_while_writing_stops_the_worker_processes(tmp_path, monkeypatch):
    import psutil

    from hashira_assets.raw import generate

    real_write = generate.write_parquet

    def fail_on_day_five(table, path):
        if "event_date=2026-07-09" in str(path):
            raise OSError("disk full")
        real_write(table, path)

    monkeypatch.setattr(generate, "write_parquet", fail_on_day_five)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(OSError, match="disk full") as error:
        generate_world(make_config("tiny"), tmp_path / "w", workers=2)
    # The pool is terminated and joined on the way out, not when the traceback (which keeps the
    # generator's frame alive, as a caller that logs the error does) is let go of.
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert error.value.args and left == set()
