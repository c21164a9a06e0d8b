"""Which ready steps a run starts first when it runs steps side by side (`make demo` runs two):
Dagster's `dagster/priority` op tag, higher first, and the model lane.

The long model steps share one lane (`resources.dagster_executor.MODEL_LANE`: one of them at a
time), so on two cores the models keep one core and the shop's steps the other. In the lane:
the support summarizer's fine-tuning first, as soon as the world exists (its summaries are the
graph's longest path); then the slayer portrait model; then the summaries of every conversation.
The summaries go last because they gain the most from the core the shop leaves when its steps
are done (decoding ran 1.46x faster on two threads, the portrait model's training 1.16x), and
they take it (`resources.torch_cpu.threads_following_idle_cores`). The shop's steps take the
lakehouse and the recommender first, so the shop's pages fill first.
"""

from resources.dagster_executor import MODEL_LANE

PRIORITY_TAG = "dagster/priority"
FINE_TUNING = {PRIORITY_TAG: "10", **MODEL_LANE}
PORTRAITS = {PRIORITY_TAG: "9", **MODEL_LANE}
SUMMARIES = {PRIORITY_TAG: "8", **MODEL_LANE}
SHOP_FIRST = {PRIORITY_TAG: "5"}
