"""The SQL guard: every statement, generated or typed, passes here before DuckDB sees it.

A statement is allowed when it is exactly one read-only query (CTEs and set operations allowed)
over the known tables and their columns, calls no file, URL or system function, and ends with a
LIMIT no larger than the row cap (one is added when missing). Anything else is refused with a
one-sentence reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify

MAX_SQL_CHARS = 8_000
DIALECT = "duckdb"
# Statement kinds a query must never contain, anywhere in its tree.
_FORBIDDEN_NODES = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy", "Attach",
        "Detach", "Pragma", "Set", "Use", "Command", "Transaction", "Commit", "Rollback", "Into",
        "LoadData", "Describe", "Install", "Cache", "Uncache", "Refresh", "Grant", "Analyze",
        "Export", "Summarize", "TruncateTable",
    )
    if hasattr(exp, name)
)  # fmt: skip
# Functions that touch files, URLs, settings or the catalog: prefixes and exact names.
_FORBIDDEN_PREFIXES = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "http",
    "glob",
    "sniff_",
    "json_execute",
)
_FORBIDDEN_FUNCTIONS = frozenset(
    [
        "getenv",
        "current_setting",
        "getvariable",
        "query",
        "query_table",
        "load",
        "install",
        "read_text",
        "read_blob",
        "which_secret",
        "checkpoint",
        "force_checkpoint",
        "set_variable",
        "enable_profiling",
    ]
)
# sqlglot's own classes for file readers, for dialects that parse them into typed nodes.
_READER_CLASSES = tuple(getattr(exp, n) for n in ("ReadCSV", "ReadParquet") if hasattr(exp, n))

logging.getLogger("sqlglot").setLevel(logging.ERROR)


class Refusal(ValueError):
    """A statement or question the agent will not run; the message is one sentence saying why."""

    @property
    def reason(self) -> str:
        return str(self)


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def _check_functions(tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Func):
        name = _function_name(node)
        if (
            isinstance(node, _READER_CLASSES)
            or name in _FORBIDDEN_FUNCTIONS
            or any(name.startswith(p) for p in _FORBIDDEN_PREFIXES)
        ):
            raise Refusal(
                f"The function {name}() reads files, URLs or settings and is not allowed."
            )


def _check_tables(tree: exp.Expression, known: Mapping[str, object]) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise Refusal("Table functions and file or URL reads are not allowed; query a table.")
        if table.args.get("db") or table.args.get("catalog"):
            raise Refusal(f"Only unqualified table names are allowed, not {table.sql(DIALECT)}.")
        name = table.name.lower()
        if name not in known and name not in ctes:
            raise Refusal(f"Unknown table {table.name!r}; the known tables are {', '.join(known)}.")


def _with_limit(tree: exp.Query, max_rows: int) -> exp.Query:
    limit = tree.args.get("limit")
    if limit is None:
        return tree.limit(max_rows)
    value = limit.expression
    if isinstance(value, exp.Placeholder):
        # A bound LIMIT is capped from outside: the row cap holds whatever value is bound.
        return exp.select("*").from_(tree.subquery("capped")).limit(max_rows)
    if not (isinstance(value, exp.Literal) and value.is_int):
        raise Refusal("The LIMIT must be a whole number.")
    return tree.limit(min(int(value.name), max_rows)) if int(value.name) > max_rows else tree


def validate(sql: str, schema: Mapping[str, Mapping[str, str]], max_rows: int = 1000) -> str:
    """The statement as it will run (LIMIT at most max_rows), or Refusal saying why not.

    schema maps each known table to {column: type}, as DuckDB describes them."""
    if not sql or not sql.strip():
        raise Refusal("The statement is empty.")
    if len(sql) > MAX_SQL_CHARS:
        raise Refusal(f"The statement is longer than {MAX_SQL_CHARS:,} characters.")
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as error:
        first = str(error).splitlines()[0][:160]
        raise Refusal(f"The statement could not be parsed as SQL ({first}).") from error
    if len(statements) != 1:
        raise Refusal(f"Exactly one statement is allowed, and this has {len(statements)}.")
    tree = statements[0]
    bad = next(iter(tree.find_all(*_FORBIDDEN_NODES)), None) if _FORBIDDEN_NODES else None
    if bad is not None or not isinstance(tree, exp.Query):
        kind = type(bad or tree).__name__.upper()
        article = "an" if kind[0] in "AEIOU" else "a"
        raise Refusal(
            f"Only read-only SELECT queries are allowed, and this is {article} {kind} statement."
        )
    known = {name.lower(): cols for name, cols in schema.items()}
    _check_tables(tree, known)
    _check_functions(tree)
    try:
        qualify(
            tree.copy(),
            schema={name: dict(cols) for name, cols in known.items()},
            dialect=DIALECT,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except OptimizeError as error:
        raise Refusal(f"The query names a column that does not exist ({error}).") from error
    return _with_limit(tree, max_rows).sql(dialect=DIALECT)


def to_spark_sql(sql: str) -> str:
    """A validated DuckDB statement in Spark SQL, for lakes that outgrow one machine: the same
    query runs on the Spark session over the same tables (`?` parameters stay positional)."""
    return sqlglot.transpile(sql, read=DIALECT, write="spark")[0]
