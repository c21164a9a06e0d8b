"""The serving layer's plain parts: caches, sign-in throttling, profiles, app products landing."""

from __future__ import annotations

import threading
import time

import pyarrow.parquet as pq
import pytest

from hashira_api.core.rate_limit import SignInLimiter
from hashira_serving.cache import TTLCache
from hashira_serving.recommendations import profile_from_text, profile_text
from jobs.app_catalog import APP_PRODUCTS_FILE, land_app_products
from resources.app_catalog import DuplicateProductError, add_product
from resources.app_database import AppDatabaseResource


def test_ttl_cache_reloads_after_its_ttl_and_loads_once_under_threads():
    cache = TTLCache(ttl=0.2)
    calls = []

    def load():
        calls.append(1)
        time.sleep(0.05)
        return len(calls)

    threads = [threading.Thread(target=cache.get, args=("k", load)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and cache.get("k", load) == 1
    time.sleep(0.25)
    assert cache.get("k", load) == 2


def test_ttl_cache_does_not_keep_a_failed_load():
    cache = TTLCache(ttl=60)

    def fail():
        raise LookupError("not yet")

    with pytest.raises(LookupError):
        cache.get("k", fail)
    assert cache.get("k", lambda: "now") == "now"


def test_ttl_cache_evicts_the_least_recently_used():
    cache = TTLCache(ttl=60, max_entries=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 0)  # touch a
    cache.get("c", lambda: 3)
    assert cache.get("b", lambda: "reloaded") == "reloaded"
    assert cache.get("a", lambda: "reloaded") == "reloaded"  # evicted by b's reload


def test_sign_in_limiter_counts_failures_per_key_in_its_window():
    limiter = SignInLimiter(attempts=3, window=0.3)
    keys = {"user:giyu": None, "client:1.2.3.4": 6}
    for _ in range(3):
        assert limiter.retry_after(keys) is None
        limiter.failed(list(keys))
    assert limiter.retry_after(keys) == 1
    assert limiter.retry_after({"user:shinobu": None, "client:1.2.3.4": 6}) is None
    time.sleep(0.35)
    assert limiter.retry_after(keys) is None


def test_profiles_parse_and_print_the_recommender_syntax():
    profile = profile_from_text("style=water breathing, level=35, budget=400")
    assert profile == {"breathing_style": "Water", "level": 35, "budget": 400.0}
    assert profile_text(profile) == "style=Water,level=35,budget=400.0"
    with pytest.raises(ValueError, match="style must be one of"):
        profile_from_text("style=Fire")
    with pytest.raises(ValueError, match="unknown profile keys: height"):
        profile_from_text("style=Mist,height=3")
    with pytest.raises(ValueError, match="strength is between 0 and 1"):
        profile_text({"breathing_style": "Mist", "level": 3, "strength": 4})


def blade(name: str, **extra) -> dict:
    return {"name": name, "product_type": "Katana", "department": "weapon",
            "breathing_style": "Water", "rarity": "rare", "price": 420.0, "weight_kg": 1.1,
            "sharpness": 88, "stock": 5, "description": "A balanced blade.", **extra}  # fmt: skip


def test_app_products_land_once_in_the_raw_world_in_the_generators_schema(tmp_path, tiny_world):
    db = AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")
    raw = tmp_path / "raw"
    (raw / "products").mkdir(parents=True)
    assert land_app_products(db, raw) is None  # nothing added yet
    assert add_product(db, blade("Tide Katana"), 200, "urokodaki") == 200
    charm = {**blade("Tide Charm"), "sharpness": None, "department": "accessory"}
    assert add_product(db, charm, 150, "urokodaki") == 201  # after every app product too
    with pytest.raises(DuplicateProductError):
        add_product(db, blade("tide katana"), 200, "urokodaki")
    assert land_app_products(db, raw) == [200, 201]
    landed = pq.read_table(raw / "products" / APP_PRODUCTS_FILE)
    generated = pq.read_schema(next((tiny_world.out_dir / "products").glob("*.parquet")))
    assert landed.schema.equals(generated, check_metadata=False)
    assert landed["sharpness"].to_pylist() == [88, 0]
    assert land_app_products(db, raw) is None  # unchanged: not rewritten


def test_the_new_app_products_sensor_lands_them_and_asks_for_publish_catalog(tmp_path):
    import dagster as dg

    from hashira_assets.raw.world_resource import SyntheticWorldResource
    from jobs.sensors import new_app_products

    db = AppDatabaseResource(url=f"sqlite:///{tmp_path / 'app.db'}")
    raw = tmp_path / "raw"
    (raw / "products").mkdir(parents=True)
    resources = {"app_database": db, "world": SyntheticWorldResource(raw_dir=str(raw))}
    assert isinstance(new_app_products(dg.build_sensor_context(resources=resources)), dg.SkipReason)
    add_product(db, blade("Tide Katana"), 200, "urokodaki")
    request = new_app_products(dg.build_sensor_context(resources=resources))
    assert request.run_key == "app-products-200-200"
    assert (raw / "products" / APP_PRODUCTS_FILE).exists()
    assert isinstance(new_app_products(dg.build_sensor_context(resources=resources)), dg.SkipReason)


@pytest.mark.integration
@pytest.mark.slow
def test_a_product_staff_add_is_published_through_the_lake_and_silver(
    lakehouse, tmp_path, monkeypatch
):
    import shutil

    from hashira_serving import catalog
    from hashira_serving.cache import clear_all
    from tests.spark_layer import materialize_world

    home = tmp_path / "home"
    shutil.copytree(lakehouse.home, home, ignore=shutil.ignore_patterns("dagster_home"))
    monkeypatch.setenv("HASHIRA_HOME", str(home))
    monkeypatch.delenv("HASHIRA_LAKE_ROOT", raising=False)
    monkeypatch.delenv("HASHIRA_APP_DB_URL", raising=False)
    clear_all()
    before = len(catalog.products())
    product_id = catalog.add_product(
        {k: v for k, v in blade("Tide Katana").items() if k != "department"}, "urokodaki"
    )
    assert product_id == int(catalog.products().index.max()) + 1
    assert land_app_products(AppDatabaseResource(), home / "raw") == [product_id]
    result = materialize_world(home, 0.0, selection="key:lake_raw_products or key:silver_products")
    assert result.success
    clear_all()
    published = catalog.products()
    assert len(published) == before + 1
    assert catalog.product(product_id)["name"] == "Tide Katana"
    assert catalog.product(product_id)["department"] == "weapon"
