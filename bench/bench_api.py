"""REST API latency on loopback: GET /recommendations/me at a constant 200 requests/s for 60 s,
the highest rate it sustains with p99 under 50 ms, /products search, and the chat's time to the
first server-sent token.

Usage: python bench/bench_api.py [--home data] [--preset small]
       [--json bench/results/api_small.json]
(run `make demo` or materialize the graph into --home first)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import requests

# The load generator and the server helpers live beside the benches and the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import constant_rate
from tests.support.background import background_process, free_port, wait_for_http

SHOPPER = ("tanjiro", "hinokami-kagura")
RAMP = (200, 300, 400, 500, 600, 800, 1000, 1200)
CHAT_QUESTIONS = (
    "what does a whetstone cost?",
    "which katana is the lightest?",
    "something for cleaning my blade",
    "a whip for flame breathing in stock",
    "show me haori under 200",
)


def sustains(step: dict) -> bool:
    """No errors, p99 under 50 ms, and the offered rate actually achieved."""
    return (
        not step["errors"]
        and step["p99_ms"] < 50
        and step["achieved_rate"] >= 0.95 * step["offered_rate"]
    )


def token(url: str) -> str:
    answer = requests.post(
        f"{url}/auth/token", data={"username": SHOPPER[0], "password": SHOPPER[1]}, timeout=60
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def first_token_seconds(url: str, headers: dict, question: str) -> tuple[float, float]:
    """(seconds to the first SSE event, seconds to the final answer)."""
    start = time.perf_counter()
    first = None
    with requests.post(
        f"{url}/chat/stream", headers=headers, json={"question": question}, stream=True, timeout=300
    ) as answer:
        answer.raise_for_status()
        for line in answer.iter_lines():
            if line.startswith(b"data:") and first is None:
                first = time.perf_counter() - start
    return first or float("nan"), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", default=os.environ.get("HASHIRA_HOME", "data"))
    parser.add_argument("--preset", default="small")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--skip-chat", action="store_true")
    args = parser.parse_args()
    home = Path(args.home).resolve()
    out = Path(args.json or f"bench/results/api_{args.preset}.json")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HASHIRA_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "uvicorn", "hashira_api.main:app", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    log = home / "api-bench.log"
    results: dict = {
        "preset": args.preset,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": "uvicorn, 1 worker, on 127.0.0.1; the load generator is one asyncio process "
        "on the same machine",
    }
    with background_process(command, log, env=env) as process:
        wait_for_http(f"{url}/health/live", timeout=120, process=process)
        headers = {"Authorization": f"Bearer {token(url)}"}
        recs = f"{url}/recommendations/me?k=12"
        first = requests.get(recs, headers=headers, timeout=120)
        first.raise_for_status()
        results["model_version"] = first.json()["model_version"]
        constant_rate(recs, headers, rate=50, seconds=5)  # warm-up
        results["recommendations_200rps"] = constant_rate(recs, headers, 200, args.seconds)
        print("recommendations at 200/s:", results["recommendations_200rps"])
        ramp = []
        for rate in RAMP:
            step = constant_rate(recs, headers, rate, 10)
            ramp.append(step)
            print(f"  {rate}/s:", step)
            if not sustains(step):
                break
        results["recommendations_ramp"] = ramp
        sustained = [s["offered_rate"] for s in ramp if sustains(s)]
        results["max_rate_p99_under_50ms"] = max(sustained) if sustained else None
        search = f"{url}/products?q=katana&max_price=400&limit=20"
        results["products_search_200rps"] = constant_rate(search, headers, 200, 20)
        print("products search at 200/s:", results["products_search_200rps"])
        if not args.skip_chat:
            load_start = time.perf_counter()
            first_token_seconds(url, headers, "hello")  # loads the language model
            results["chat_model_load_seconds"] = round(time.perf_counter() - load_start, 1)
            timings = [first_token_seconds(url, headers, q) for q in CHAT_QUESTIONS]
            results["chat"] = {
                "questions": len(timings),
                "first_token_median_s": round(statistics.median(t[0] for t in timings), 3),
                "first_token_max_s": round(max(t[0] for t in timings), 3),
                "answer_median_s": round(statistics.median(t[1] for t in timings), 3),
            }
            print("chat:", results["chat"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
