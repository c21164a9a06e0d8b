"""Shop: personalized recommendations with their reasons, product cards and similar items."""

import dataclasses

import streamlit as st

from hashira_serving import battle, catalog, events, recommendations
from hashira_serving.context import app_db
from hashira_serving.errors import NotFoundError, NotMaterializedError
from hashira_serving.recommendations import BREATHING_STYLES, NeedsOnboarding
from hashira_ui.cards import product_card, product_picture
from hashira_ui.session import require_role, shop_session_id, show_missing, update_account

account = require_role("shopper")
st.title(f"🛒 For you, {account.display_name}")

try:
    products = catalog.products()
except NotMaterializedError as exc:
    show_missing(exc)


def log(product: dict, event_type: str) -> None:
    """Log a shop event on the bus; views also count for the next recommendations at once."""
    events.publish_shop_event(account, shop_session_id(), int(product["product_id"]), event_type)
    if event_type == "view":
        st.session_state["viewed"] = recommendations.merge_views(
            [product["product_id"]], st.session_state.get("viewed", ())
        )
        st.session_state["selected_product"] = int(product["product_id"])
    else:
        verb = {"cart": "added to your cart", "purchase": "bought — may it serve you well"}[
            event_type
        ]
        st.toast(f"{product['name']}: {verb}", icon="✅")


def on_view(product: dict) -> None:
    log(product, "view")


def on_cart(product: dict) -> None:
    log(product, "cart")


def on_buy(product: dict) -> None:
    log(product, "purchase")


def onboarding() -> None:
    st.subheader("Tell us about your training")
    st.write("Three questions, and the shop recommends at once.")
    with st.form("onboarding"):
        style = st.selectbox("Your breathing style", BREATHING_STYLES)
        level = st.slider("Your level", 1, 100, 20)
        budget = st.number_input("Budget per item (optional)", min_value=0.0, value=0.0, step=50.0)
        if st.form_submit_button("Show my recommendations", type="primary"):
            try:
                profile = recommendations.validate_profile(style, level, budget or None)
            except ValueError as exc:
                st.error(str(exc))
                return
            app_db().set_profile(account.username, profile)
            update_account(dataclasses.replace(account, profile=profile))
            st.rerun()
    st.stop()


try:
    recs = recommendations.for_account(account, st.session_state.get("viewed", ()), k=12)
except NotMaterializedError as exc:
    show_missing(exc)
except NeedsOnboarding:
    onboarding()

selected = st.session_state.get("selected_product")
if selected is not None and selected in products.index:
    product = catalog.product(selected)
    with st.container(border=True):
        left, right = st.columns([2, 3])
        with left:
            product_picture(selected, product["name"], width=240)
            st.subheader(product["name"])
            sharpness = (
                f" · sharpness {int(product['sharpness'])}"
                if product["department"] == "weapon"
                else ""
            )
            st.caption(
                f"{product['product_type']} · {product['breathing_style']} Breathing · "
                f"{product['rarity']}{sharpness}"
            )
            st.metric("Price", f"{product['price']:,.2f}")
            st.write(product["description"])
            cart, buy, close = st.columns(3)
            cart.button("Add to cart", on_click=on_cart, args=(product,), key="detail-cart")
            buy.button("Buy", on_click=on_buy, args=(product,), key="detail-buy", type="primary")
            if close.button("Close", key="detail-close"):
                del st.session_state["selected_product"]
                st.rerun()
        with right:
            st.markdown("**Similar items**")
            similar = recommendations.similar(selected, k=4).items
            for col, rec in zip(st.columns(2) * 2, similar, strict=False):
                with col:
                    product_card(catalog.product(rec.product_id), f"sim-{rec.product_id}",
                                 rec.reason, on_view=on_view)  # fmt: skip

viewed = recommendations.recent_views(account, st.session_state.get("viewed", ()))
if viewed:
    st.caption(f"Counting your {len(viewed)} latest views.")
for start in range(0, len(recs.items), 4):
    for col, rec in zip(st.columns(4), recs.items[start : start + 4], strict=False):
        with col:
            product_card(
                catalog.product(rec.product_id),
                f"rec-{rec.product_id}",
                rec.reason,
                on_view=on_view,
                on_cart=on_cart,
                on_buy=on_buy,
            )
st.caption(f"Recommender v{recs.model_version}")

st.subheader("⚔️ Best for your battles")
try:
    picks = battle.picks_for_account(account, k=3)
except (NotMaterializedError, NotFoundError) as exc:
    st.caption(f"No battle-fit picks yet: {exc}")
else:
    for col, pick in zip(st.columns(3), picks, strict=False):
        with col:
            product_card(
                catalog.product(pick.product_id),
                f"battle-{pick.product_id}",
                f"{pick.win_chance:.0%} predicted win chance: {pick.reason}",
                on_view=on_view,
                on_cart=on_cart,
                on_buy=on_buy,
            )
    if picks:
        st.caption(f"Battle-fit model v{picks[0].model_version}")
