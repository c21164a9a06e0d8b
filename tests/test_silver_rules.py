"""Silver rules on hand-made rows: each rule fires alone, duplicates go, counts add up."""

import datetime as dt

import pytest
from pyspark.sql import types as T

from hashira_assets.silver.rules import (
    RULE_NAMES,
    SILVER_EVENT_SCHEMA,
    build_silver,
    label_events,
    schema_problems,
)

pytestmark = pytest.mark.integration

RAW_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.LongType()),
        T.StructField("session_id", T.LongType()),
        T.StructField("customer_id", T.IntegerType()),
        T.StructField("product_id", T.IntegerType()),
        T.StructField("event_type", T.StringType()),
        T.StructField("event_ts", T.StringType()),
        T.StructField("price", T.DoubleType()),
        T.StructField("quantity", T.ShortType()),
        T.StructField("event_date", T.DateType()),
    ]
)
DAY = dt.date(2026, 10, 1)
GOOD = {
    "event_id": 1, "session_id": 10, "customer_id": 1, "product_id": 5, "event_type": "view",
    "event_ts": "2026-10-01T10:00:00.000", "price": 100.0, "quantity": 1, "event_date": DAY,
}  # fmt: skip


def _raw(spark, rows):
    return spark.createDataFrame([{**GOOD, **row} for row in rows], RAW_SCHEMA)


@pytest.fixture(scope="module")
def known(spark):
    customers = spark.createDataFrame([(1,), (2,)], "customer_id int")
    products = spark.createDataFrame([(5,), (6,)], "product_id int")
    return customers, products


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({}, None),
        ({"customer_id": None}, "missing_id"),
        ({"event_id": None}, "missing_id"),
        ({"customer_id": 99}, "unknown_customer_id"),
        ({"product_id": 99}, "unknown_product_id"),
        ({"event_type": "clickk"}, "invalid_event_type"),
        ({"event_type": None}, "invalid_event_type"),
        ({"price": -0.01}, "negative_price"),
        ({"price": None}, "negative_price"),
        ({"event_type": "purchase", "price": 0.0}, "non_positive_purchase_price"),
        ({"event_type": "view", "price": 0.0}, None),
        ({"event_ts": "yesterday evening"}, "unparseable_timestamp"),
        ({"event_ts": ""}, "unparseable_timestamp"),
        ({"event_ts": "2026-10-02T00:00:00.000"}, "timestamp_out_of_range"),
        ({"event_ts": "1970-01-01T00:00:00.000"}, "timestamp_out_of_range"),
        # The first rule broken is the one reported.
        ({"customer_id": 99, "price": -1.0}, "unknown_customer_id"),
    ],
)
def test_each_rule_fires_on_its_fault(spark, known, change, rule):
    labeled = label_events(_raw(spark, [change]), *known).collect()
    assert labeled[0]["reject_reason"] == rule


def test_duplicates_are_removed_and_counted(spark, known):
    rows = [
        {},
        {},  # exact duplicate
        {"event_id": 2, "event_ts": "2026-10-01T10:00:00.600"},  # same thing 0.6 s later
        {"event_id": 3, "event_ts": "2026-10-01T10:00:05.000"},  # a real second view
        {"event_id": 4, "event_type": "cart", "event_ts": "2026-10-01T10:00:00.300"},
        {"event_id": 5, "price": -3.0},
    ]
    result = build_silver(_raw(spark, rows), *known)
    assert (result.raw_rows, result.silver_rows, result.quarantined_rows) == (6, 3, 1)
    assert (result.exact_duplicates, result.near_duplicates) == (1, 1)
    assert result.conserved
    assert sorted(r["event_id"] for r in result.silver.collect()) == [1, 3, 4]
    assert result.rule_counts == {**dict.fromkeys(RULE_NAMES, 0), "negative_price": 1}
    assert result.quarantine.collect()[0]["reject_reason"] == "negative_price"


def test_copies_of_a_near_duplicate_and_chains_of_retries(spark, known):
    rows = [
        {},
        {"event_id": 2, "event_ts": "2026-10-01T10:00:00.600"},  # a retry 0.6 s later
        {"event_id": 2, "event_ts": "2026-10-01T10:00:00.600"},  # and a copy of it
        # 0.6 s after the retry: measured to the previous event, dropped or not
        {"event_id": 3, "event_ts": "2026-10-01T10:00:01.200"},
        {"event_id": 4, "event_ts": "2026-10-01T10:00:05.000"},
        {"event_id": 5, "customer_id": 2, "event_ts": "2026-10-01T10:00:00.100"},  # another buyer
    ]
    result = build_silver(_raw(spark, rows), *known)
    assert (result.exact_duplicates, result.near_duplicates) == (1, 2)
    assert sorted(r["event_id"] for r in result.silver.collect()) == [1, 4, 5]
    assert result.silver_rows == 3 and result.conserved


def test_silver_has_the_documented_schema_and_revenue(spark, known):
    rows = [
        {"event_type": "purchase", "price": 20.0, "quantity": 3},
        {"event_id": 2, "event_type": "return", "price": 20.0, "quantity": 1,
         "event_ts": "2026-10-01T12:00:00.000"},
    ]  # fmt: skip
    result = build_silver(_raw(spark, rows), *known)
    assert schema_problems(result.silver, SILVER_EVENT_SCHEMA) == []
    revenue = {r["event_type"]: r["revenue"] for r in result.silver.collect()}
    assert revenue == {"purchase": 60.0, "return": -20.0}
    assert result.silver.collect()[0]["event_ts"] == dt.datetime(2026, 10, 1, 10, 0)


def test_schema_problems_name_what_is_wrong(spark):
    frame = spark.createDataFrame([(1, "x")], "event_id string, other string")
    problems = schema_problems(frame, SILVER_EVENT_SCHEMA)
    assert "event_id is string, expected bigint" in problems
    assert "missing column event_ts" in problems
