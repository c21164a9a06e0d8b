"""End to end in a real browser: headless Debian Chromium driven by Playwright, app on loopback.

Sign in, see recommendations, open one, ask the chat and get a streamed answer citing a product,
sign out. Screenshots of each step go to test-artifacts/browser/ (look at them when it fails).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import browser as e2e
from tests.support.background import free_port

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def chromium():
    if not Path(e2e.CHROMIUM).exists():
        pytest.fail(f"{e2e.CHROMIUM} is missing: `make setup` installs Debian's chromium")
    return e2e.CHROMIUM


def test_shopper_journey_in_a_real_browser(app_home, chromium, tmp_path):
    import pyarrow.dataset as ds

    from resources.app_database import AppDatabaseResource

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    products = (
        ds.dataset(app_home / "lake" / "silver" / "products")
        .to_table(["name", "product_type"])
        .to_pandas()
    )
    name = products["name"].iloc[0]
    haori_names = products.loc[products["product_type"] == "Haori", "name"].tolist()
    with (
        e2e.streamlit_server(app_home, free_port(), tmp_path / "streamlit.log") as url,
        e2e.browser_page() as page,
    ):
        e2e.sign_in(page, url, "tanjiro", "hinokami-kagura")
        page.get_by_text("💡").nth(11).wait_for()
        assert page.get_by_role("heading", name="For you, Tanjiro").is_visible()
        page.screenshot(path=ARTIFACTS / "1_shop.png", full_page=True)

        page.get_by_role("button", name="View").first.click()
        page.get_by_text("Similar items").wait_for()
        e2e.wait_until_idle(page)
        page.screenshot(path=ARTIFACTS / "2_product.png", full_page=True)

        e2e.open_page(page, "Ask HashiraMart")
        answer = e2e.ask(page, f"How much does the {name} cost?")
        page.screenshot(path=ARTIFACTS / "3_chat.png", full_page=True)
        assert name in answer
        chat = page.locator('[data-testid="stChatMessage"]').nth(1)
        assert chat.get_by_text(name).first.is_visible()  # a product card cites it

        # A need, not a product name: the answer's first product is one to wear.
        answer = e2e.ask(page, "what could I wear over my uniform?", turn=1)
        page.screenshot(path=ARTIFACTS / "3b_chat_need.png", full_page=True)
        lead = next(line for line in answer.splitlines() if len(line.split()) > 2)  # not the icon
        assert any(haori in lead for haori in haori_names), lead

        e2e.sign_out(page)
        assert page.get_by_label("Username", exact=True).is_visible()
        page.screenshot(path=ARTIFACTS / "4_signed_out.png")

    events = AppDatabaseResource(url=f"sqlite:///{app_home / 'app' / 'app.db'}").events_after(0)
    assert "view" in set(events["event_type"])
