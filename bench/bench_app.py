"""Page loads of the Streamlit app in a real browser, and screenshots of every page.

Serves the app for a materialized HASHIRA_HOME on loopback, signs in with the demo accounts in
headless Chromium and times the Shop page (first load, then repeated loads from the caches) and
the other pages. Writes bench/results/app_<preset>.json; with --screenshots DIR also saves one
PNG per page (`make screenshots` writes docs/screenshots/).

    python bench/bench_app.py --home data --preset small --screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The browser helpers live with the tests; run as `python bench/bench_app.py` from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import browser as e2e
from tests.support.background import free_port

SHOPPER = ("tanjiro", "hinokami-kagura")
STAFF = ("urokodaki", "water-mentor")
# Streamlit scrolls inside its own container, so a full-page screenshot is one viewport high.
SCREENSHOT_VIEWPORT = {"width": 1440, "height": 1700}
# Each staff page with a text that shows once its data is on screen.
STAFF_PAGES = {
    "Forecasts": "Download this forecast (CSV)",
    "Support QA": "pick one to read it",
    "Models & pipeline": "Failed runs",
    "Shop data": "Catalog",
}


def shot(page, folder: Path | None, name: str) -> None:
    if folder is not None:
        # Widgets fill in a moment after the script has finished; let them settle.
        page.wait_for_timeout(1500)
        page.screenshot(path=folder / f"{name}.png", full_page=True)


def run(home: Path, repeats: int, screenshots: Path | None, question: str) -> dict:
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "streamlit.log"
        viewport = SCREENSHOT_VIEWPORT if screenshots else None
        with (
            e2e.streamlit_server(home, free_port(), log) as url,
            e2e.browser_page(viewport) as page,
        ):
            page.goto(url)
            page.get_by_role("button", name="Sign in").wait_for()
            shot(page, screenshots, "0_sign_in")
            start = time.perf_counter()
            e2e.sign_in(page, url, *SHOPPER)
            page.get_by_text("💡").nth(11).wait_for()
            result["shop_first_load_s"] = time.perf_counter() - start
            shot(page, screenshots, "1_shop")
            loads = []
            for _ in range(repeats):
                e2e.open_page(page, "Dojo", "Nichirin points")
                loads.append(e2e.shop_load_seconds(page))
            result["shop_cached_load_s"] = {
                "median": statistics.median(loads),
                "max": max(loads),
                "runs": loads,
            }
            page.get_by_role("button", name="View").first.click()
            page.get_by_text("Similar items").wait_for()
            e2e.wait_until_idle(page)
            shot(page, screenshots, "2_shop_product")
            result["ask_page_s"] = e2e.open_page(page, "Ask HashiraMart", "Product chat")
            start = time.perf_counter()
            answer = e2e.ask(page, question)
            result["first_chat_answer_s"] = time.perf_counter() - start
            result["chat_answer"] = answer
            shot(page, screenshots, "3_ask")
            result["dojo_page_s"] = e2e.open_page(page, "Dojo", "Nichirin points")
            shot(page, screenshots, "4_dojo")
            e2e.sign_out(page)

            e2e.sign_in(page, url, *STAFF)
            result["staff_pages_s"] = {}
            for i, (title, ready) in enumerate(STAFF_PAGES.items(), start=5):
                if i == 5:  # the staff's default page opens on sign-in
                    page.get_by_text(ready).first.wait_for()
                    e2e.wait_until_idle(page)
                else:
                    result["staff_pages_s"][title] = e2e.open_page(page, title, ready)
                shot(
                    page, screenshots, f"{i}_{title.lower().replace(' & ', '_').replace(' ', '_')}"
                )
            e2e.sign_out(page)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("HASHIRA_HOME", "data")))
    parser.add_argument("--preset", default="small", help="The preset materialized in --home.")
    parser.add_argument("--repeats", type=int, default=10, help="Cached Shop loads to time.")
    parser.add_argument("--screenshots", type=Path, default=None, help="Folder for page PNGs.")
    parser.add_argument("--json", type=Path, default=None, help="Default bench/results/app_P.json")
    parser.add_argument("--question", default="Which katana is the lightest?")
    args = parser.parse_args()
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    result = {
        "preset": args.preset,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        **run(args.home.resolve(), args.repeats, args.screenshots, args.question),
    }
    out = args.json or Path(f"bench/results/app_{args.preset}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    cached = result["shop_cached_load_s"]
    print(
        f"Shop: first load {result['shop_first_load_s']:.2f}s, cached median "
        f"{cached['median']:.2f}s (max {cached['max']:.2f}s); first chat answer "
        f"{result['first_chat_answer_s']:.1f}s; wrote {out}"
    )


if __name__ == "__main__":
    main()
