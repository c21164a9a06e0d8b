"""The analytics agent: a question (or `sql SELECT ...`) in, a checked answer out.

Offline path: parse the question into a QuerySpec, compile it to parameterized SQL, pass that
SQL through the same guard as typed SQL, run it on DuckDB, and write a narrative whose numbers
are all values of the result (checked; an answer whose narrative fails the check keeps its table
and loses the sentence).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hashira_assets.analytics import narrative as words
from hashira_assets.analytics.compiler import ChartHint, compile_spec
from hashira_assets.analytics.engine import AnalyticsEngine, QueryError
from hashira_assets.analytics.guard import Refusal, validate
from hashira_assets.analytics.parser import QuestionParser, screen
from hashira_assets.analytics.semantic import DIMENSIONS, table_docs
from hashira_assets.analytics.spec import QuerySpec
from hashira_assets.analytics.text_to_sql import ExampleIndex, LanceExampleIndex, TextToSQL

SQL_PREFIX = "sql "


@dataclasses.dataclass
class AnalyticsAnswer:
    """What the agent says to one question; refusal is None when it answered."""

    question: str
    sql: str | None = None
    params: tuple = ()
    columns: list[str] = dataclasses.field(default_factory=list)
    rows: list[tuple] = dataclasses.field(default_factory=list)
    chart: ChartHint | None = None
    narrative: str = ""
    refusal: str | None = None
    latency_s: float = 0.0
    mode: str = "offline"  # "offline" (parsed question), "sql" (typed SQL) or "llm"
    window: str = ""
    truncated: bool = False
    spec: QuerySpec | None = None
    # Numbers a drafted narrative held that the result does not; such a narrative is dropped.
    ungrounded: list[str] = dataclasses.field(default_factory=list)
    # Set when the LLM path failed and the offline path answered instead.
    notice: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def to_frame(self):
        """The result as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def to_dict(self) -> dict:
        """A JSON-ready dict (dates and timestamps as ISO text), e.g. for a REST response."""

        def cell(v):
            return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v

        return {
            "question": self.question,
            "sql": self.sql,
            "params": [cell(p) for p in self.params],
            "columns": self.columns,
            "rows": [[cell(v) for v in row] for row in self.rows],
            "chart": dataclasses.asdict(self.chart) if self.chart else None,
            "narrative": self.narrative,
            "refusal": self.refusal,
            "latency_s": self.latency_s,
            "mode": self.mode,
            "window": self.window,
            "truncated": self.truncated,
        }


class AnalyticsAgent:
    """Answers staff questions over one lake root; safe to share between threads."""

    def __init__(
        self,
        lake_root: str | Path,
        embed: Callable[[list[str]], np.ndarray] | None = None,
        row_cap: int = 1000,
        timeout_s: float = 10.0,
        filesystem=None,
        llm=None,
    ) -> None:
        """filesystem: an fsspec filesystem when lake_root is remote (s3://...); llm: a provider
        (e.g. Gemini) for text-to-SQL, tried before the offline path when given."""
        self.engine = AnalyticsEngine(
            lake_root, timeout_s=timeout_s, row_cap=row_cap, filesystem=filesystem
        )
        self.row_cap = row_cap
        last_day, last_hour = self._anchors()
        values = {
            name: self.engine.distinct_values(*dim.values_from)
            for name, dim in DIMENSIONS.items()
            if dim.values_from
        }
        self.parser = QuestionParser(last_day, last_hour, values, embed)
        if embed is not None:
            # Load the embedder and embed the aliases now, not inside the first question.
            self.parser.metrics.similar(["warm up"])
            self.parser.dimensions.similar(["warm up"])
        self.text_to_sql = (
            TextToSQL(llm, self._examples(embed), self.tables) if llm is not None else None
        )

    @staticmethod
    def _examples(embed) -> ExampleIndex:
        """Verified examples and schema docs in LanceDB, searched by MiniLM; word overlap
        without an embedder."""
        if embed is None:
            return ExampleIndex()
        import lancedb

        from resources.vector_index import default_lancedb_uri

        docs = {name: doc.description for name, doc in table_docs().items()}
        return LanceExampleIndex(lancedb.connect(default_lancedb_uri()), embed, docs)

    def _anchors(self) -> tuple[dt.date, dt.datetime | None]:
        """The lake's last day and last hour: relative windows ("last week") end there."""
        schema = self.engine.schema
        last_day, last_hour = None, None
        if "interaction_events" in schema:
            row = self.engine.execute(
                "SELECT MAX(event_date), DATE_TRUNC('hour', MAX(event_ts)) FROM interaction_events"
            ).rows[0]
            last_day, last_hour = row
        elif "daily_total_sales" in schema:
            last_day = self.engine.execute("SELECT MAX(event_date) FROM daily_total_sales").rows[0][
                0
            ]
        return last_day or dt.date.today(), last_hour

    @property
    def tables(self) -> list[str]:
        return list(self.engine.schema)

    def ask(self, question: str) -> AnalyticsAnswer:
        """Answer a plain-words question, or run `sql SELECT ...`; never raises for bad input."""
        started = time.perf_counter()
        answer = AnalyticsAnswer(question=question)
        try:
            if question.lstrip().lower().startswith(SQL_PREFIX):
                answer.mode = "sql"
                self._run(answer, question.lstrip()[len(SQL_PREFIX) :], ())
                answer.narrative = self._sql_narrative(answer)
            elif self.text_to_sql is not None:
                self._answer_with_llm(answer, question)
            else:
                self._answer_question(answer, question)
        except Refusal as refusal:
            answer.refusal = refusal.reason
        except QueryError as error:
            answer.refusal = str(error)
        answer.latency_s = time.perf_counter() - started
        return answer

    def run_sql(self, sql: str) -> AnalyticsAnswer:
        """Validate and run typed SQL (the same as asking `sql <sql>`)."""
        return self.ask(SQL_PREFIX + sql)

    def _run(self, answer: AnalyticsAnswer, sql: str, params: tuple) -> None:
        safe = validate(sql, self.engine.schema, max_rows=self.row_cap)
        answer.sql, answer.params = safe, tuple(params)
        result = self.engine.execute(safe, params)
        answer.columns, answer.rows, answer.truncated = (
            result.columns,
            result.rows,
            result.truncated,
        )

    def _answer_question(self, answer: AnalyticsAnswer, question: str) -> None:
        spec = self.parser.parse(question)
        answer.spec = spec
        compiled = compile_spec(spec, self.engine.schema)
        self._run(answer, compiled.sql, compiled.params)
        answer.chart = compiled.chart
        answer.window = spec.window.label
        if spec.intent == "why":
            answer.window = f"{spec.window.label} against {spec.window.previous().label}"
            text = words.why_narrative(spec, answer.columns, answer.rows)
        elif spec.intent == "inactive":
            text = words.inactive_narrative(answer.columns, answer.rows)
        else:
            text = words.metric_narrative(spec, answer.columns, answer.rows)
        # Never show a number the result does not hold.
        answer.ungrounded = words.ungrounded_numbers(text, answer.rows)
        answer.narrative = "" if answer.ungrounded else text

    def _answer_with_llm(self, answer: AnalyticsAnswer, question: str) -> None:
        """Text-to-SQL through the LLM; the offline path answers if that fails."""
        screen(question)
        try:
            self.text_to_sql.answer(question, lambda sql: self._run(answer, sql, ()))
        except (Refusal, QueryError, RuntimeError) as error:
            answer.sql, answer.params, answer.columns, answer.rows = None, (), [], []
            answer.notice = f"The LLM's query did not pass ({error}); answered offline instead."
            self._answer_question(answer, question)
            return
        answer.mode = "llm"
        answer.narrative = self._sql_narrative(answer)

    @staticmethod
    def _sql_narrative(answer: AnalyticsAnswer) -> str:
        if len(answer.rows) == 1 and len(answer.columns) == 1:
            return f"{answer.columns[0]}: {words.fmt(answer.rows[0][0])}."
        return "The query's rows are below." if answer.rows else "The query returned no rows."

    def close(self) -> None:
        self.engine.close()
