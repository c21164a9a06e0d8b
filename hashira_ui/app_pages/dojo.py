"""Dojo: Nichirin points from battles, daily streaks and training, the slayer's rank, and their
forged portraits."""

import datetime as dt

import pandas as pd
import streamlit as st

from hashira_serving import catalog, events, portraits
from hashira_serving.dojo_points import RANKS
from hashira_serving.errors import NotMaterializedError
from hashira_serving.portraits import BREATHING_STYLES, TYPE_LABELS, WEAPON_TYPES
from hashira_ui.session import require_role, show_missing

account = require_role("shopper")
st.title("🥋 Dojo")

today = dt.datetime.now(dt.UTC).date()
try:
    dojo = events.dojo(account, today)
except NotMaterializedError as exc:
    show_missing(exc)
score, battles = dojo.score, dojo.battles

rank_col, points_col, streak_col = st.columns(3)
rank_col.metric("Rank", score.rank)
points_col.metric("Nichirin points", f"{score.total:,}")
days = "day" if score.current_streak == 1 else "days"
streak_col.metric("Current streak", f"{score.current_streak} {days}", help="Active days in a row")
if score.next_rank:
    name, missing = score.next_rank
    floor = max(t for _, t in RANKS if t <= score.total)
    ceiling = dict(RANKS)[name]
    st.progress((score.total - floor) / (ceiling - floor), text=f"{missing} points to {name}")
else:
    st.success("You are a Hashira: the highest rank.")

st.subheader("Where your points come from")
breakdown = pd.DataFrame(
    {
        "source": ["Battles won (+10)", "Streak days (+5)", "Training (+1 per 10 min)"],
        "points": [score.battle_points, score.streak_points, score.training_points],
    }
)
st.bar_chart(breakdown, x="source", y="points", horizontal=True)
st.caption(
    f"{score.battles_won} battles won, {score.battles_lost} lost; longest streak "
    f"{score.longest_streak} days. Ranks: Apprentice 0–99, Slayer 100–499, Hashira 500+."
)

st.subheader("Log a training session")
with st.form("training", clear_on_submit=True):
    minutes = st.number_input("Minutes trained", min_value=1, max_value=1440, value=30, step=5)
    day = st.date_input("Day", value=today, max_value=today)
    if st.form_submit_button("Log training", type="primary"):
        events.log_training(account, int(minutes), day)
        st.toast(f"Logged {int(minutes)} minutes: +{int(minutes) // 10} points", icon="🔥")
        st.rerun()

if len(battles):
    st.subheader("Recent battles")
    recent = battles.sort_values("battle_date", ascending=False).head(10)
    names = catalog.names()
    st.dataframe(
        pd.DataFrame(
            {
                "battle day": recent["battle_date"],
                "weapon": recent["product_id"].map(names),
                "outcome": recent["success"].map({True: "won ⚔️", False: "lost"}),
            }
        ),
        hide_index=True,
    )

st.subheader("🎨 Forge your portrait")
choices = portraits.choices_for_account(account)
with st.form("portrait"):
    style_col, weapon_col = st.columns(2)
    style = style_col.selectbox(
        "Breathing style",
        BREATHING_STYLES,
        index=BREATHING_STYLES.index(choices.style) if choices.style else 0,
    )
    owned = list(choices.owned_weapons)
    options = owned + [w for w in WEAPON_TYPES if w not in owned]
    weapon = weapon_col.selectbox(
        "Weapon",
        options,
        format_func=lambda code: TYPE_LABELS[code] + (" (yours)" if code in owned else ""),
    )
    if st.form_submit_button("Forge portrait", type="primary"):
        request = portraits.PortraitRequest(style, weapon, account.display_name)
        with st.spinner("Forging…"):
            try:
                made = portraits.generate_portrait(request)
            except NotMaterializedError as exc:
                st.warning(f"No portrait yet: {exc}")
            else:
                portraits.save_to_profile(account.username, made)
                if made.note:
                    st.info(made.note)
                st.toast(f"Portrait forged in {made.seconds:.1f} s", icon="🎨")

saved = portraits.profile_portraits(account.username)
if saved:
    st.caption("Your portraits, newest first (kept on your profile).")
    for col, item in zip(st.columns(4), saved[:4], strict=False):
        with col:
            st.image(item.image_png, caption=f"{item.breathing_style} · "
                     f"{TYPE_LABELS[item.weapon_type]}", width="stretch")  # fmt: skip
            st.caption(f"by {item.generator}")
else:
    st.caption("No portrait yet: forge one above.")
