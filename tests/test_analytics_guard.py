"""The SQL guard: what it lets through (with a LIMIT) and what it refuses, with the reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashira_assets.analytics.guard import MAX_SQL_CHARS, Refusal, validate

SCHEMA = {
    "daily_total_sales": {"event_date": "DATE", "revenue": "DOUBLE", "orders": "BIGINT"},
    "products": {"product_id": "INTEGER", "name": "VARCHAR", "price": "DOUBLE"},
}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT SUM(revenue) FROM daily_total_sales",
         "SELECT SUM(revenue) FROM daily_total_sales LIMIT 100"),
        ("select name from products order by price desc limit 5",
         "SELECT name FROM products ORDER BY price DESC LIMIT 5"),
        ("SELECT name FROM products LIMIT 100000", "SELECT name FROM products LIMIT 100"),
        ("WITH t AS (SELECT event_date, revenue AS r FROM daily_total_sales) SELECT MAX(r) FROM t",
         "WITH t AS (SELECT event_date, revenue AS r FROM daily_total_sales) SELECT MAX(r) FROM t"
         " LIMIT 100"),
        ("SELECT revenue FROM daily_total_sales WHERE event_date >= ?",
         "SELECT revenue FROM daily_total_sales WHERE event_date >= ? LIMIT 100"),
        ("SELECT p.name, d.revenue FROM products AS p JOIN daily_total_sales AS d "
         "ON d.orders = p.product_id",
         "SELECT p.name, d.revenue FROM products AS p JOIN daily_total_sales AS d "
         "ON d.orders = p.product_id LIMIT 100"),
        ("SELECT name FROM products LIMIT ?",
         "SELECT * FROM (SELECT name FROM products LIMIT ?) AS capped LIMIT 100"),
    ],
)  # fmt: skip
def test_read_only_queries_are_allowed_with_a_limit(sql, expected):
    assert validate(sql, SCHEMA, max_rows=100) == expected


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DROP TABLE products", "this is a DROP statement"),
        ("DELETE FROM products", "this is a DELETE statement"),
        ("INSERT INTO products VALUES (1, 'x', 1.0)", "this is an INSERT statement"),
        ("UPDATE products SET price = 0", "this is an UPDATE statement"),
        ("CREATE TABLE x AS SELECT 1", "this is a CREATE statement"),
        ("SELECT 1; DROP TABLE products", "Exactly one statement is allowed, and this has 2"),
        ("SELECT * INTO stolen FROM products", "this is an INTO statement"),
        ("ATTACH '/tmp/x.db' AS x", "this is an ATTACH statement"),
        ("INSTALL httpfs", "this is an INSTALL statement"),
        ("LOAD httpfs", "this is a COMMAND statement"),
        ("PRAGMA database_list", "this is a PRAGMA statement"),
        ("SET enable_external_access = true", "this is a SET statement"),
        ("COPY products TO '/tmp/p.csv'", "this is a COPY statement"),
        ("WITH x AS (DELETE FROM products RETURNING *) SELECT * FROM x", "DELETE statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Table functions and file or URL reads"),
        ("SELECT * FROM glob('/*')", "Table functions and file or URL reads"),
        ("SELECT * FROM '/etc/passwd'", "Unknown table '/etc/passwd'"),
        ("SELECT read_text('/etc/passwd')", "The function read_text() reads files"),
        ("SELECT getenv('HOME')", "The function getenv() reads files"),
        ("SELECT current_setting('threads')", "The function current_setting() reads files"),
        ("SELECT * FROM customers", "Unknown table 'customers'"),
        ("SELECT * FROM main.products", "Only unqualified table names are allowed"),
        ("SELECT secret FROM products", "names a column that does not exist"),
        ("SELECT name FROM products LIMIT 'a'", "The LIMIT must be a whole number"),
        ("SELEC name FROM products", "could not be parsed as SQL"),
        ("", "The statement is empty"),
        ("SELECT " + "1 + " * 3000 + "1", f"longer than {MAX_SQL_CHARS:,} characters"),
    ],
)
def test_everything_else_is_refused_in_one_sentence(sql, reason):
    with pytest.raises(Refusal) as refused:
        validate(sql, SCHEMA)
    assert reason in refused.value.reason
    assert refused.value.reason.endswith(".") and "\n" not in refused.value.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_or_becomes_one_capped_select(text):
    try:
        safe = validate(text, SCHEMA, max_rows=50)
    except Refusal as refusal:
        assert refusal.reason
        return
    # Whatever got through is itself valid, and stays the same when checked again.
    assert validate(safe, SCHEMA, max_rows=50) == safe
    assert "LIMIT" in safe.upper()
