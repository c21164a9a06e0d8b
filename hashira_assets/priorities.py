"""Which ready steps a run starts first when it runs steps side by side (`make demo` runs two):
Dagster's `dagster/priority` op tag, higher first.

The support summarizer's chain (fine-tune, then summarize every conversation) is the graph's
longest path, so it starts as soon as the world exists and keeps one core; the other core takes
the lakehouse and the recommender before the rest, so the shop's pages fill first. The slayer
portrait model, which no page waits for, goes last: it waits for the world like the rest (a root
step would take a free core at the very start: in one demo run it held it for 4 minutes while
the lakehouse waited).
"""

PRIORITY_TAG = "dagster/priority"
LONGEST_PATH = {PRIORITY_TAG: "10"}
SHOP_FIRST = {PRIORITY_TAG: "5"}
LAST = {PRIORITY_TAG: "-5"}
