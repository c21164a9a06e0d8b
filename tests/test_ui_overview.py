"""The shop-data page, through Streamlit's AppTest."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from resources.app_database import Account

PAGE = str(Path(__file__).resolve().parents[1] / "hashira_ui" / "app_pages" / "overview.py")


STAFF = Account("kagaya", "staff", None, "Kagaya", None)


@pytest.fixture(autouse=True)
def _clear_caches():
    from hashira_serving.cache import clear_all

    clear_all()


def staff_page() -> AppTest:
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.session_state["account"] = STAFF
    return page.run()


def test_missing_world_says_how_to_materialize_it(hashira_home):
    page = staff_page()
    assert not page.exception
    assert "not materialized yet" in page.info[0].value
    assert "make demo" in page.info[0].value


def test_overview_shows_what_silver_and_gold_published(app_home, monkeypatch):
    import pyarrow.dataset as ds

    monkeypatch.setenv("HASHIRA_HOME", str(app_home))
    silver = app_home / "lake" / "silver"
    page = staff_page()
    assert not page.exception
    assert page.metric[0].value == f"{ds.dataset(silver / 'customers').count_rows():,}"
    assert page.metric[1].value == f"{ds.dataset(silver / 'products').count_rows():,}"
    events = ds.dataset(silver / "interaction_events", partitioning="hive").count_rows()
    assert page.metric[2].value == f"{events:,}"
    page.selectbox[0].select("Water").run()
    shown = page.dataframe[0].value
    assert len(shown) > 0 and set(shown["breathing_style"]) == {"Water"}


def test_shop_data_is_for_staff_only(hashira_home):
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.run()
    assert [w.value for w in page.warning] == ["Please sign in first."]
