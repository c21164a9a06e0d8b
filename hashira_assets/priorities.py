"""Which ready steps a run starts first when it runs steps side by side (`make demo` runs two):
Dagster's `dagster/priority` op tag, higher first.

The support summarizer's chain (fine-tune, then summarize every conversation) is the graph's
longest path, so it starts as soon as the world exists and keeps one core; the other core takes
the lakehouse and the recommender before the rest, so the shop's pages fill first.
"""

PRIORITY_TAG = "dagster/priority"
LONGEST_PATH = {PRIORITY_TAG: "10"}
SHOP_FIRST = {PRIORITY_TAG: "5"}
