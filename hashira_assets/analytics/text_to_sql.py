"""Text-to-SQL with a hosted LLM (Gemini), used only when one is configured.

The prompt holds the semantic layer (tables, columns, units, metrics) and the verified
question -> SQL examples closest to the question (MiniLM similarity). The SQL the model writes
goes through the same guard as typed SQL; on a refusal or an error the model gets one repair
round with the reason, and if that fails too the caller falls back to the offline path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa

from hashira_assets.analytics.matching import normalize
from hashira_assets.analytics.semantic import schema_text
from resources.vector_index import table_names

# Verified examples: every one passes the guard on the documented schema (tested).
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("What is the total revenue?",
     "SELECT ROUND(SUM(revenue), 2) AS revenue FROM daily_total_sales"),
    ("Revenue per day in the last 7 days",
     "SELECT event_date, ROUND(SUM(revenue), 2) AS revenue FROM daily_total_sales WHERE "
     "event_date > (SELECT MAX(event_date) FROM daily_total_sales) - INTERVAL 7 DAY "
     "GROUP BY 1 ORDER BY 1"),
    ("Top 5 categories by units",
     "SELECT category, SUM(units) AS units FROM daily_category_sales GROUP BY 1 "
     "ORDER BY units DESC LIMIT 5"),
    ("Show me the conversion rates",
     "SELECT ROUND(SUM(cart_sessions) / SUM(view_sessions), 4) AS view_to_cart_rate, "
     "ROUND(SUM(purchase_sessions) / SUM(cart_sessions), 4) AS cart_to_purchase_rate "
     "FROM daily_funnel"),
    ("Which users are inactive?",
     "SELECT customer_id, days_since_last_event FROM user_features "
     "WHERE days_since_last_event >= 30 ORDER BY days_since_last_event DESC"),
    ("Revenue by breathing style",
     "SELECT p.breathing_style, ROUND(SUM(e.revenue), 2) AS revenue FROM interaction_events AS e "
     "JOIN products AS p ON p.product_id = e.product_id WHERE e.event_type = 'purchase' "
     "GROUP BY 1 ORDER BY revenue DESC"),
    ("Average order value by slayer rank",
     "SELECT c.slayer_rank, ROUND(AVG(e.revenue), 2) AS average_order_value "
     "FROM interaction_events AS e JOIN customers AS c ON c.customer_id = e.customer_id "
     "WHERE e.event_type = 'purchase' GROUP BY 1 ORDER BY 2 DESC"),
    ("Revenue by hour of day",
     "SELECT hour, ROUND(SUM(revenue), 2) AS revenue FROM hourly_revenue GROUP BY 1 ORDER BY 1"),
    ("Products with the highest return rate",
     "SELECT i.product_id, p.name, i.return_rate FROM item_features AS i JOIN products AS p "
     "ON p.product_id = i.product_id WHERE i.purchases_all >= 10 ORDER BY i.return_rate DESC "
     "LIMIT 10"),
    ("Daily active users this month",
     "SELECT event_date, active_users FROM daily_active_users WHERE event_date >= "
     "DATE_TRUNC('month', (SELECT MAX(event_date) FROM daily_active_users)) ORDER BY 1"),
)  # fmt: skip
SYSTEM = (
    "You write one DuckDB SELECT query (CTEs allowed) over the tables below and nothing else: "
    "no DDL, DML, COPY, ATTACH, PRAGMA, SET or file functions. Use only the listed tables and "
    "columns. Relative dates count back from the table's MAX(event_date). Reply with the SQL in "
    "a ```sql block."
)
_SQL_BLOCK = re.compile(r"```(?:sql)?\s*(.*?)```", re.S | re.I)


def extract_sql(text: str) -> str:
    """The SQL in a model reply: the first fenced block, else the whole reply."""
    match = _SQL_BLOCK.search(text)
    return (match.group(1) if match else text).strip().rstrip(";").strip()


class ExampleIndex:
    """The verified examples, searchable by meaning (MiniLM) or, without it, by shared words."""

    def __init__(
        self,
        examples: Sequence[tuple[str, str]] = EXAMPLES,
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        self.examples = list(examples)
        self.embed = embed
        self._vectors = embed([q for q, _ in self.examples]) if embed else None

    def closest(self, question: str, k: int = 3) -> list[tuple[str, str]]:
        if self._vectors is not None:
            scores = self._vectors @ self.embed([question])[0]
        else:
            words = set(normalize(question))
            scores = np.array([len(words & set(normalize(q))) for q, _ in self.examples])
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.examples[i] for i in order]


EXAMPLES_TABLE = "analytics_examples"


class LanceExampleIndex(ExampleIndex):
    """The verified examples and the tables' schema docs in a LanceDB table, searched by MiniLM
    vector similarity (the design document's semantic search over table schemas).

    Each row is an example (`kind` "example": question and SQL) or a table doc (`kind` "table":
    its name and description); the table is rewritten when its content changes."""

    def __init__(
        self,
        db,
        embed: Callable[[list[str]], np.ndarray],
        table_docs: Mapping[str, str],
        examples: Sequence[tuple[str, str]] = EXAMPLES,
    ) -> None:
        self.examples = list(examples)
        self.embed = embed
        rows = [{"kind": "example", "text": q, "payload": s} for q, s in self.examples] + [
            {"kind": "table", "text": f"{name}: {doc}", "payload": name}
            for name, doc in sorted(table_docs.items())
        ]
        digest = hashlib.sha256(repr([(r["kind"], r["text"], r["payload"]) for r in rows]).encode())
        names = table_names(db)
        table = db.open_table(EXAMPLES_TABLE) if EXAMPLES_TABLE in names else None
        if table is None or table.schema.metadata.get(b"digest") != digest.hexdigest().encode():
            vectors = embed([r["text"] for r in rows])
            data = pa.table(
                {
                    "kind": [r["kind"] for r in rows],
                    "text": [r["text"] for r in rows],
                    "payload": [r["payload"] for r in rows],
                    "vector": pa.FixedSizeListArray.from_arrays(
                        pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1]
                    ),
                }
            ).replace_schema_metadata({"digest": digest.hexdigest()})
            table = db.create_table(EXAMPLES_TABLE, data, mode="overwrite")
        self.table = table
        self._vectors = None

    def _search(self, question: str, kind: str, k: int) -> list[dict]:
        vector = self.embed([question])[0]
        return (
            self.table.search(vector)
            .where(f"kind = '{kind}'", prefilter=True)  # a constant, never question text
            .limit(k)
            .to_list()
        )

    def closest(self, question: str, k: int = 3) -> list[tuple[str, str]]:
        return [(row["text"], row["payload"]) for row in self._search(question, "example", k)]

    def closest_tables(self, question: str, k: int = 4) -> list[str]:
        """The tables whose docs are nearest the question, nearest first."""
        return [row["payload"] for row in self._search(question, "table", k)]


class TextToSQL:
    """Question -> SQL through an LLM provider (`generate(messages, max_new_tokens)`)."""

    def __init__(self, llm, examples: ExampleIndex, tables: Sequence[str]) -> None:
        self.llm = llm
        self.examples = examples
        self.tables = list(tables)

    def messages(self, question: str, error: tuple[str, str] | None = None) -> list[dict]:
        shots = "\n\n".join(f"Q: {q}\n```sql\n{s}\n```" for q, s in self.examples.closest(question))
        tables = self.tables
        if isinstance(self.examples, LanceExampleIndex):
            # The tables nearest the question first; the rest stay listed so nothing is hidden.
            near = [t for t in self.examples.closest_tables(question) if t in tables]
            tables = near + [t for t in tables if t not in near]
        user = f"{schema_text(tables)}\n\nExamples:\n{shots}\n\nQ: {question}"
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        if error is not None:
            sql, reason = error
            messages += [
                {"role": "assistant", "content": f"```sql\n{sql}\n```"},
                {"role": "user", "content": f"That query was refused or failed: {reason} "
                                            "Write a corrected query."},
            ]  # fmt: skip
        return messages

    def answer(self, question: str, run: Callable[[str], None]) -> str:
        """The SQL that ran: `run(sql)` validates and executes it, raising on refusal or error;
        one repair round, then the last error propagates."""
        sql = extract_sql(self.llm.generate(self.messages(question), max_new_tokens=400))
        try:
            run(sql)
            return sql
        except (ValueError, RuntimeError) as error:
            repaired = self.llm.generate(self.messages(question, (sql, str(error))), 400)
            sql = extract_sql(repaired)
            run(sql)
            return sql
