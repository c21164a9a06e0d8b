"""A scripted walk through the app in a real browser: Playwright driving Debian's Chromium.

Used by the browser test (tests/test_app_browser.py) and by bench/bench_app.py, which measures
page loads and takes the screenshots in docs/screenshots. Playwright is a dev dependency.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.background import background_process, wait_for_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
APP = Path(__file__).resolve().parents[2] / "hashira_ui" / "streamlit_app.py"
VIEWPORT = {"width": 1440, "height": 1000}
TIMEOUT_MS = 120_000


@contextlib.contextmanager
def streamlit_server(home: Path, port: int, log_path: Path) -> Iterator[str]:
    """Serve the app on loopback for `home` (HASHIRA_HOME); stop it by its process group id."""
    env = {"HASHIRA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    args = [
        sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with background_process(args, log_path, env) as process:
        wait_for_http(f"{url}/_stcore/health", timeout=90, process=process)
        yield url


@contextlib.contextmanager
def browser_page(viewport: dict | None = None) -> Iterator[Any]:
    """A fresh headless Chromium page (playwright.sync_api.Page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport=viewport or VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def wait_until_idle(page: Any) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    wait_until_idle(page)


def open_page(page: Any, title: str, ready_text: str | None = None) -> float:
    """Click a page in the sidebar; seconds until `ready_text` (or its title) shows and its script
    finished running."""
    start = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    if ready_text:
        page.get_by_text(ready_text).first.wait_for()
    else:
        page.get_by_role("heading", name=title, exact=False).first.wait_for()
    wait_until_idle(page)
    return time.perf_counter() - start


def shop_load_seconds(page: Any) -> float:
    """Seconds from opening Shop to all twelve recommendation cards being shown."""
    start = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Shop", exact=True).click()
    page.get_by_text("💡").nth(11).wait_for()
    wait_until_idle(page)
    return time.perf_counter() - start


def ask(page: Any, question: str, turn: int = 0) -> str:
    """Ask the chat a question (the `turn`-th of the conversation, from 0); the final answer's
    text once its cited products are shown."""
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.fill(question)
    box.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').nth(2 * turn + 1)
    answer.get_by_role("button", name="View").first.wait_for()
    wait_until_idle(page)
    return answer.inner_text()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
