"""Silver: typed, validated, deduplicated interaction events, and a quarantine that says why.

Every raw row ends in exactly one place: silver, the quarantine (with the first rule it broke), or
the duplicates removed. `conservation` checks raw = silver + quarantined + duplicates, exactly.
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

ALLOWED_EVENT_TYPES = ("view", "cart", "purchase", "return")
NEAR_DUPLICATE_SECONDS = 1.0
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS"

# Rules in the order they are applied: a row is quarantined under the first one it breaks.
RULES: tuple[tuple[str, str], ...] = (
    ("missing_id", "event, session, customer or product id is missing"),
    ("unknown_customer_id", "customer id is not a known customer"),
    ("unknown_product_id", "product id is not a known product"),
    ("invalid_event_type", f"event type is not one of {', '.join(ALLOWED_EVENT_TYPES)}"),
    ("negative_price", "price is missing or negative"),
    ("non_positive_purchase_price", "a purchase has a price of zero or less"),
    ("unparseable_timestamp", "event_ts is not an ISO-8601 timestamp"),
    ("timestamp_out_of_range", "event_ts does not fall on the event's date partition"),
)
RULE_NAMES = tuple(name for name, _ in RULES)

SILVER_EVENT_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.LongType(), False),
        T.StructField("session_id", T.LongType(), False),
        T.StructField("customer_id", T.IntegerType(), False),
        T.StructField("product_id", T.IntegerType(), False),
        T.StructField("event_type", T.StringType(), False),
        T.StructField("event_ts", T.TimestampType(), False),
        T.StructField("price", T.DoubleType(), False),
        T.StructField("quantity", T.IntegerType(), False),
        T.StructField("revenue", T.DoubleType(), False),
        T.StructField("event_date", T.DateType(), False),
    ]
)
RAW_EVENT_COLUMNS = (
    "event_id", "session_id", "customer_id", "product_id", "event_type", "event_ts", "price",
    "quantity", "event_date",
)  # fmt: skip


@dataclasses.dataclass
class SilverResult:
    """The outputs of one silver run and the counts the quality checks need."""

    silver: DataFrame
    quarantine: DataFrame
    raw_rows: int
    silver_rows: int
    quarantined_rows: int
    exact_duplicates: int
    near_duplicates: int
    rule_counts: dict[str, int]
    cached: tuple[DataFrame, ...] = ()  # what `release` lets go of once both are written

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()

    @property
    def quarantined_share(self) -> float:
        return self.quarantined_rows / self.raw_rows if self.raw_rows else 0.0

    @property
    def conserved(self) -> bool:
        removed = self.exact_duplicates + self.near_duplicates
        return self.raw_rows == self.silver_rows + self.quarantined_rows + removed


def reject_reason(known_customer: Column, known_product: Column) -> Column:
    """The first rule a raw event breaks, or null for a valid event."""
    ts = F.try_to_timestamp(F.col("event_ts"), F.lit(TIMESTAMP_FORMAT))
    checks = [
        F.col("event_id").isNull()
        | F.col("session_id").isNull()
        | F.col("customer_id").isNull()
        | F.col("product_id").isNull(),
        ~known_customer,
        ~known_product,
        ~F.col("event_type").isin(*ALLOWED_EVENT_TYPES) | F.col("event_type").isNull(),
        F.col("price").isNull() | (F.col("price") < 0),
        (F.col("event_type") == "purchase") & (F.col("price") <= 0),
        ts.isNull(),
        F.to_date(ts) != F.col("event_date"),
    ]
    reason = F.lit(None).cast("string")
    for (name, _), broken in reversed(list(zip(RULES, checks, strict=True))):
        reason = F.when(broken, F.lit(name)).otherwise(reason)
    return reason


def label_events(raw: DataFrame, customers: DataFrame, products: DataFrame) -> DataFrame:
    """Raw events with a `reject_reason` column (null when valid)."""
    known_customers = customers.select(
        F.col("customer_id").alias("_known_customer"), F.lit(True).alias("_customer_ok")
    )
    known_products = products.select(
        F.col("product_id").alias("_known_product"), F.lit(True).alias("_product_ok")
    )
    joined = raw.join(
        F.broadcast(known_customers), raw["customer_id"] == F.col("_known_customer"), "left"
    ).join(F.broadcast(known_products), raw["product_id"] == F.col("_known_product"), "left")
    reason = reject_reason(
        F.coalesce(F.col("_customer_ok"), F.lit(False)),
        F.coalesce(F.col("_product_ok"), F.lit(False)),
    )
    return joined.select(*RAW_EVENT_COLUMNS, reason.alias("reject_reason"))


def typed_events(valid: DataFrame) -> DataFrame:
    """Valid events cast to the silver schema, with revenue for purchases (negative for returns)."""
    quantity = F.coalesce(F.col("quantity").cast("int"), F.lit(1))
    sign = (
        F.when(F.col("event_type") == "purchase", 1.0)
        .when(F.col("event_type") == "return", -1.0)
        .otherwise(0.0)
    )
    return valid.select(
        F.col("event_id").cast("long").alias("event_id"),
        F.col("session_id").cast("long").alias("session_id"),
        F.col("customer_id").cast("int").alias("customer_id"),
        F.col("product_id").cast("int").alias("product_id"),
        F.col("event_type"),
        F.try_to_timestamp(F.col("event_ts"), F.lit(TIMESTAMP_FORMAT)).alias("event_ts"),
        F.col("price").cast("double").alias("price"),
        quantity.alias("quantity"),
        (sign * F.col("price") * quantity).alias("revenue"),
        F.col("event_date").cast("date").alias("event_date"),
    )


SILVER_COLUMNS = tuple(field.name for field in SILVER_EVENT_SCHEMA.fields)
# Within one (customer, product, event type), rows in time order; the remaining columns only
# make the order total, so that exact copies sit next to each other.
_DUPLICATE_KEY = ("customer_id", "product_id", "event_type")
_DUPLICATE_ORDER = (
    "event_ts",
    "event_id",
    *(c for c in SILVER_COLUMNS if c not in {*_DUPLICATE_KEY, "event_ts", "event_id"}),
)


def flag_duplicates(events: DataFrame, seconds: float = NEAR_DUPLICATE_SECONDS) -> DataFrame:
    """Events with two flags, from one shuffle: `_exact_duplicate` for a copy of the row before
    it (every column equal), and `_near_duplicate` for a row that is not a copy but comes within
    `seconds` of the same customer's previous event of the same type on the same product (client
    retries, double clicks). A row is kept when neither flag is set.

    The gap is measured to the previous row whether that row is kept or not, as it always was:
    a copy has its original's time, so the previous row's time is the previous distinct row's.
    """
    window = Window.partitionBy(*_DUPLICATE_KEY).orderBy(*_DUPLICATE_ORDER)
    previous = F.lag(F.struct(*SILVER_COLUMNS)).over(window)
    exact = F.coalesce(previous.eqNullSafe(F.struct(*SILVER_COLUMNS)), F.lit(False))
    gap = F.col("event_ts").cast("double") - previous["event_ts"].cast("double")
    near = ~exact & gap.isNotNull() & (gap <= seconds)
    return events.select(
        *SILVER_COLUMNS, exact.alias("_exact_duplicate"), near.alias("_near_duplicate")
    )


def build_silver(raw: DataFrame, customers: DataFrame, products: DataFrame) -> SilverResult:
    """Validate, type and deduplicate raw events; count everything the gates check.

    Two cached frames, each computed once: the labeled raw rows (the reason counts and the
    quarantine read them) and the valid rows with their duplicate flags (silver is the unflagged
    ones, read from that cache; write it with `cache=False`).
    """
    labeled = label_events(raw, customers, products).cache()
    counts = {r["reject_reason"]: r["n"] for r in labeled.groupBy("reject_reason").agg(
        F.count(F.lit(1)).alias("n")).collect()}  # fmt: skip
    raw_rows = sum(counts.values())
    valid_rows = counts.get(None, 0)
    rule_counts = {name: counts.get(name, 0) for name in RULE_NAMES}
    quarantine = labeled.where(F.col("reject_reason").isNotNull()).select(
        *[F.col(c).cast("string").alias(c) if c not in ("event_date",) else F.col(c)
          for c in RAW_EVENT_COLUMNS],
        "reject_reason",
    )  # fmt: skip
    typed = typed_events(labeled.where(F.col("reject_reason").isNull()))
    flagged = flag_duplicates(typed).cache()
    flags = flagged.groupBy("_exact_duplicate", "_near_duplicate").count().collect()
    by_flags = {(r["_exact_duplicate"], r["_near_duplicate"]): r["count"] for r in flags}
    exact = by_flags.get((True, False), 0)
    near = by_flags.get((False, True), 0)
    kept_rows = by_flags.get((False, False), 0)
    kept = ~F.col("_exact_duplicate") & ~F.col("_near_duplicate")
    silver = flagged.where(kept).drop("_exact_duplicate", "_near_duplicate")
    return SilverResult(
        silver=silver,
        quarantine=quarantine,
        raw_rows=raw_rows,
        silver_rows=kept_rows,
        quarantined_rows=raw_rows - valid_rows,
        exact_duplicates=exact,
        near_duplicates=near,
        rule_counts=rule_counts,
        cached=(labeled, flagged),
    )


def rule_examples(quarantine: DataFrame, per_rule: int = 2) -> list[dict]:
    """A few quarantined rows per rule, for the check's metadata."""
    rank = Window.partitionBy("reject_reason").orderBy("event_date", "event_id")
    rows = (
        quarantine.withColumn("_n", F.row_number().over(rank))
        .where(F.col("_n") <= per_rule)
        .drop("_n")
        .orderBy("reject_reason", "event_date")
        .collect()
    )
    return [row.asDict() for row in rows]


def clean_customers(raw: DataFrame) -> DataFrame:
    """Customers with typed columns, one row per id, and physique clipped to [0, 1]."""
    physique = {c: F.least(F.greatest(F.col(c).cast("double"), F.lit(0.0)), F.lit(1.0))
                for c in ("strength", "dexterity", "stamina")}  # fmt: skip
    return (
        raw.where(F.col("customer_id").isNotNull())
        .dropDuplicates(["customer_id"])
        .select(
            F.col("customer_id").cast("int"),
            "name",
            "breathing_style",
            F.col("level").cast("int"),
            "slayer_rank",
            *[expr.alias(name) for name, expr in physique.items()],
            "region",
            F.col("signup_date").cast("date"),
        )
    )


def clean_products(raw: DataFrame) -> DataFrame:
    """Products with typed columns, one row per id, and no negative price or stock."""
    return (
        raw.where(F.col("product_id").isNotNull() & (F.col("price") >= 0))
        .dropDuplicates(["product_id"])
        .select(
            F.col("product_id").cast("int"),
            "name",
            "product_type",
            "department",
            "breathing_style",
            "rarity",
            F.col("weight_kg").cast("double"),
            F.col("sharpness").cast("int"),
            F.col("price").cast("double"),
            F.greatest(F.col("stock").cast("int"), F.lit(0)).alias("stock"),
            F.col("launch_date").cast("date"),
            "description",
        )
    )


def schema_problems(frame: DataFrame, expected: T.StructType) -> list[str]:
    """Columns missing or of the wrong type compared with an expected schema."""
    actual = {f.name: f.dataType for f in frame.schema.fields}
    problems = []
    for field in expected.fields:
        if field.name not in actual:
            problems.append(f"missing column {field.name}")
        elif actual[field.name] != field.dataType:
            problems.append(
                f"{field.name} is {actual[field.name].simpleString()}, "
                f"expected {field.dataType.simpleString()}"
            )
    return problems
