"""Time the champion summarizer of a materialized home on that home's support conversations.

What `conversation_summaries` does, without Dagster and without the other steps beside it:
load the champion, summarize the first N conversations in chunks (as the asset checkpoints),
and report seconds, conversations per second and the share of summaries shown as written.
Writes bench/results/summaries_<home>.json.

    python bench/bench_summaries.py --home data --n 256 --threads 1 --chunk 128 --generate-batch 32
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="A materialized HASHIRA_HOME.")
    parser.add_argument("--n", type=int, default=256, help="Conversations to summarize.")
    parser.add_argument("--threads", type=int, default=1, help="Torch threads.")
    parser.add_argument("--chunk", type=int, default=128, help="Conversations per call.")
    parser.add_argument(
        "--generate-batch", type=int, default=None, help="Rows decoded together (default: saved)."
    )
    parser.add_argument("--repeats", type=int, default=1, help="Runs; the median is reported.")
    parser.add_argument("--json", type=Path, default=None, help="Where to write the results.")
    args = parser.parse_args()
    os.environ["HASHIRA_HOME"] = str(args.home.resolve())

    import torch

    from hashira_assets.assistant.summaries import SUMMARIZER_MODEL_NAME, load_conversations
    from hashira_assets.assistant.summarizers import load_summarizer
    from resources.mlflow_tracking import MlflowTrackingResource

    torch.set_num_threads(args.threads)
    tracking = MlflowTrackingResource()
    version = tracking.champion_version(SUMMARIZER_MODEL_NAME)
    if version is None:
        sys.exit(f"no champion {SUMMARIZER_MODEL_NAME} in {args.home}")
    conversations = load_conversations(args.home / "raw")[: args.n]
    with tempfile.TemporaryDirectory() as tmp:
        summarizer = load_summarizer(tracking.download_version(SUMMARIZER_MODEL_NAME, version, tmp))
    writer = summarizer.writer  # the fine-tuned model (no GOOGLE_API_KEY here)
    if args.generate_batch is not None:
        writer.settings = dataclasses.replace(writer.settings, generate_batch=args.generate_batch)
    transcripts = [c["transcript"] for c in conversations]
    runs, summaries = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        summaries = []
        for start in range(0, len(transcripts), args.chunk):
            summaries += summarizer.summarize_batch(transcripts[start : start + args.chunk])
        runs.append(time.perf_counter() - started)
    seconds = statistics.median(runs)
    result = {
        "home": str(args.home),
        "model_version": version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "threads": args.threads,
        "chunk": args.chunk,
        "generate_batch": writer.settings.generate_batch,
        "n": len(transcripts),
        "runs_s": runs,
        "seconds": seconds,
        "seconds_per_conversation": seconds / len(transcripts),
        "written_shown": sum(s.faithful for s in summaries) / len(summaries),
        "mean_summary_words": statistics.mean(len(s.summary.split()) for s in summaries),
    }
    out = args.json or Path(f"bench/results/summaries_{args.home.name}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(
        f"v{version}: {len(transcripts)} conversations in {seconds:.1f} s "
        f"({seconds / len(transcripts):.3f} s each) on {args.threads} thread(s); "
        f"written summaries shown {result['written_shown']:.3f}; wrote {out}"
    )


if __name__ == "__main__":
    main()
