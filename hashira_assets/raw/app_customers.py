"""The shoppers who signed up in the app, written into the raw world's `customers/` folder.

All app shoppers go to one file, `app-customers.parquet`, beside the generator's parts and in
their schema; it is rewritten (a temporary file renamed over it) only when the app shoppers
changed. From there the lake landing and silver publish them like any customer, so their events
pass silver instead of being quarantined as events of an unknown customer. What the app does not
ask a shopper (strength, dexterity, stamina, region) is written as the generator's average
physique (0.5) and an empty region.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import AssetExecutionContext, MaterializeResult, asset

from hashira_assets.raw.vocabulary import rank_for_level
from hashira_assets.raw.world_resource import SyntheticWorldResource
from resources.app_customers import app_shoppers_frame
from resources.app_database import AppDatabaseResource

CUSTOMERS_TABLE = "customers"
APP_CUSTOMERS_FILE = "app-customers.parquet"
AVERAGE_PHYSIQUE = 0.5


def generator_schema(folder: Path) -> pa.Schema:
    """The schema of the generator's customer files (the app's file must match it exactly)."""
    parts = sorted(p for p in folder.glob("*.parquet") if p.name != APP_CUSTOMERS_FILE)
    if not parts:
        raise FileNotFoundError(f"no generated customers in {folder}; generate the world first")
    return pq.read_schema(parts[0]).remove_metadata()


def app_customer_rows(app_database: AppDatabaseResource, schema: pa.Schema) -> pa.Table:
    """The app's shoppers as rows of the customers table."""
    frame = app_shoppers_frame(app_database)
    columns = {
        "customer_id": frame["customer_id"],
        "name": frame["display_name"],
        "breathing_style": frame["breathing_style"],
        "level": frame["level"],
        "slayer_rank": [rank_for_level(int(level)) for level in frame["level"]],
        "strength": [AVERAGE_PHYSIQUE] * len(frame),
        "dexterity": [AVERAGE_PHYSIQUE] * len(frame),
        "stamina": [AVERAGE_PHYSIQUE] * len(frame),
        "region": [None] * len(frame),
        "signup_date": [ts.date() for ts in frame["created_at"]],
    }
    return pa.table({name: pa.array(list(columns[name]), schema.field(name).type)
                     for name in schema.names})  # fmt: skip


def land_app_customers(app_database: AppDatabaseResource, raw_dir: Path) -> tuple[int, bool]:
    """Write the app's shoppers into the raw world; (how many, whether the file changed)."""
    folder = Path(raw_dir) / CUSTOMERS_TABLE
    table = app_customer_rows(app_database, generator_schema(folder))
    target = folder / APP_CUSTOMERS_FILE
    if target.exists() and pq.read_table(target).equals(table):
        return table.num_rows, False
    if table.num_rows == 0:
        existed = target.exists()
        target.unlink(missing_ok=True)
        return 0, existed
    tmp = folder / f".{APP_CUSTOMERS_FILE}.tmp"  # invisible to readers until renamed whole
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(target)
    return table.num_rows, True


@asset(deps=["customers"], group_name="raw", kinds={"parquet"})
def app_customers(
    context: AssetExecutionContext,
    app_database: AppDatabaseResource,
    world: SyntheticWorldResource,
) -> MaterializeResult:
    """Shoppers who signed up in the app, as customers of the raw world."""
    rows, changed = land_app_customers(app_database, world.path)
    context.log.info(f"{rows} app shoppers in {CUSTOMERS_TABLE}/{APP_CUSTOMERS_FILE}"
                     f"{'' if changed else ' (unchanged)'}")  # fmt: skip
    return MaterializeResult(metadata={"dagster/row_count": rows, "changed": changed})
