"""Which ready steps a run starts first when it runs steps side by side (`make demo` runs two):
Dagster's `dagster/priority` op tag, higher first.

The support summarizer's chain (fine-tune, then summarize every conversation) is the graph's
longest path, so it starts as soon as the world exists and keeps one core; the other core takes
the lakehouse and the recommender before the rest, so the shop's pages fill first. The slayer
portrait model, which no page waits for, comes after the shop's other steps: it waits for the
world like the rest (a root step would take a free core at the very start: in one demo run it
held it for 4 minutes while the lakehouse waited). The forecaster comes after the portrait
model: it is the step the summarizer's core takes when the summaries end, so the two cores
finish together. With the portrait model last, its 149 s ran alone at the end of the `small`
run (a second thread gains its training 1.16x).
"""

PRIORITY_TAG = "dagster/priority"
LONGEST_PATH = {PRIORITY_TAG: "10"}
SHOP_FIRST = {PRIORITY_TAG: "5"}
AFTER_THE_SHOP = {PRIORITY_TAG: "-5"}
LAST = {PRIORITY_TAG: "-10"}
