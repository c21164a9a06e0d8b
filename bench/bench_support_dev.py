"""The champion summarizer of a materialized home on hand-written support chats.

`hashira bench assistant` trains a summarizer of its own; this scores the one a home actually
serves (e.g. the `small` home of `make demo`) on the hand-written chats, beside the extractive
baseline, and writes bench/results/support_dev_<name>.json.

    python bench/bench_support_dev.py --home data --dev ../shared/support_dev
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="A materialized HASHIRA_HOME.")
    parser.add_argument("--dev", type=Path, default=Path("../shared/support_dev"))
    parser.add_argument("--json", type=Path, default=None, help="Where to write the results.")
    args = parser.parse_args()
    os.environ["HASHIRA_HOME"] = str(args.home.resolve())

    from hashira_assets.assistant.summaries import SUMMARIZER_MODEL_NAME
    from hashira_assets.assistant.summarizer_training import evaluate_summarizer
    from hashira_assets.assistant.summarizers import ExtractiveSummarizer, load_summarizer
    from hashira_assets.assistant.summary_evaluation import load_handwritten, per_conversation
    from hashira_assets.index.documents import read_table
    from resources.mlflow_tracking import MlflowTrackingResource

    tracking = MlflowTrackingResource()
    version = tracking.champion_version(SUMMARIZER_MODEL_NAME)
    if version is None:
        sys.exit(f"no champion {SUMMARIZER_MODEL_NAME} in {args.home}")
    names = read_table(args.home / "raw", "products")["name"].to_pylist()
    chats = load_handwritten(args.dev)
    with tempfile.TemporaryDirectory() as tmp:
        model = load_summarizer(tracking.download_version(SUMMARIZER_MODEL_NAME, version, tmp))
    result = {
        "home": str(args.home),
        "model_version": version,
        "n": len(chats),
        "model": evaluate_summarizer(model, chats, names),
        "extractive_baseline": evaluate_summarizer(ExtractiveSummarizer(), chats, names),
        "conversations": per_conversation(model, chats, names),
    }
    out = args.json or Path(f"bench/results/support_dev_{args.home.name}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    m, b = result["model"], result["extractive_baseline"]
    print(
        f"v{version} on {len(chats)} hand-written chats: ROUGE-L {m['rougeL']:.3f} vs extractive "
        f"{b['rougeL']:.3f}; category {m['category_accuracy']:.3f}; faithful "
        f"{m['faithfulness']:.3f} (fell back {m['fallback_share']:.3f}); wrote {out}"
    )


if __name__ == "__main__":
    main()
