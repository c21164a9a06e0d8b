"""The shop-data page, through Streamlit's AppTest."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from resources.app_database import Account

PAGE = str(Path(__file__).resolve().parents[1] / "hashira_ui" / "app_pages" / "overview.py")


STAFF = Account("kagaya", "staff", None, "Kagaya", None)


@pytest.fixture(autouse=True)
def _clear_caches():
    import streamlit as st

    st.cache_data.clear()


def staff_page() -> AppTest:
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.session_state["account"] = STAFF
    return page.run()


def test_missing_world_says_how_to_materialize_it(hashira_home):
    page = staff_page()
    assert not page.exception
    assert "not materialized yet" in page.info[0].value
    assert "make demo" in page.info[0].value


def test_overview_shows_counts_sales_and_catalog(hashira_home, tiny_world):
    import shutil

    shutil.copytree(tiny_world.out_dir, hashira_home / "raw")
    page = staff_page()
    assert not page.exception
    assert page.metric[0].value == "500"
    assert page.metric[1].value == "200"
    page.selectbox[0].select("Water").run()
    shown = page.dataframe[0].value
    assert len(shown) > 0 and set(shown["breathing_style"]) == {"Water"}


def test_shop_data_is_for_staff_only(hashira_home):
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.run()
    assert [w.value for w in page.warning] == ["Please sign in first."]
