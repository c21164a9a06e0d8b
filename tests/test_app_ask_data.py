"""The "Ask the data" staff page through Streamlit's AppTest, on the tiny materialized home."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hashira_serving import analytics

APP = str(Path(__file__).resolve().parents[1] / "hashira_ui" / "streamlit_app.py")
PAGE = str(Path(APP).parent / "app_pages" / "ask_data.py")
TIMEOUT = 180
STAFF = ("urokodaki", "water-mentor")
SHOPPER = ("tanjiro", "hinokami-kagura")

pytestmark = pytest.mark.slow


@pytest.fixture
def home(app_home, monkeypatch):
    monkeypatch.setenv("HASHIRA_HOME", str(app_home))
    monkeypatch.delenv("HASHIRA_LAKE_ROOT", raising=False)
    monkeypatch.delenv("HASHIRA_REDIS_URL", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    analytics.reset()
    yield app_home
    analytics.reset()


def signed_in(username: str, password: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    next(b for b in app.button if b.label == "Sign in").click().run()
    assert not app.exception, app.exception
    return app


def ask(app: AppTest, question: str) -> AppTest:
    app.text_input(key="ask_data_question").input(question)
    next(b for b in app.button if b.label == "Ask").click().run()
    assert not app.exception, app.exception
    return app


def category_revenue(home: Path) -> pd.Series:
    """Revenue per product type, straight from the gold Parquet files."""
    files = sorted((home / "lake" / "gold" / "daily_category_sales").glob("event_date=*/*.parquet"))
    frame = pd.concat([pd.read_parquet(f) for f in files])
    return frame.groupby("category")["revenue"].sum().round(2).sort_values(ascending=False)


def test_staff_ask_and_get_narrative_sql_chart_table_csv_and_history(home):
    app = signed_in(*STAFF)
    app.switch_page("app_pages/ask_data.py").run()
    assert [t.value for t in app.title] == ["🔎 Ask the data"]
    ask(app, "revenue by product type")
    expected = category_revenue(home)
    top = expected.index[0]
    assert app.success[0].value.startswith(f"Highest revenue by product type: {top} (")
    table = app.dataframe[0].value
    assert list(table["product_type"]) == list(expected.index)
    assert table["revenue"].tolist() == pytest.approx(expected.tolist(), abs=0.011)
    assert len(app.get("vega_lite_chart")) == 1
    assert app.get("download_button")
    assert any("FROM daily_category_sales" in c.value for c in app.code)

    ask(app, "sql DROP TABLE products")
    assert [w.value for w in app.warning] == [
        "Only read-only SELECT queries are allowed, and this is a DROP statement."
    ]
    assert [s.value for s in app.subheader] == ["Earlier questions"]
    assert len(app.session_state["ask_data_history"]) == 2


def test_shoppers_cannot_run_the_page(home):
    app = signed_in(*SHOPPER)
    direct = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    direct.session_state["account"] = app.session_state["account"]
    direct.run()
    assert [e.value for e in direct.error] == ["This page is for staff accounts only."]
