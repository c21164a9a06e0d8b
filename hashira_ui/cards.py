"""Product cards shared by the Shop and Ask pages."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from hashira_serving import product_images
from hashira_serving.errors import NotFoundError, NotMaterializedError

TYPE_ICONS = {"weapon": "⚔️", "accessory": "🎒"}


def product_card(
    product: dict,
    key: str,
    reason: str | None = None,
    on_view: Callable[[dict], None] | None = None,
    on_cart: Callable[[dict], None] | None = None,
    on_buy: Callable[[dict], None] | None = None,
) -> None:
    """A bordered card: picture, name, facts, why it is shown, and the shop's buttons."""
    with st.container(border=True):
        product_picture(int(product["product_id"]), product["name"])
        icon = TYPE_ICONS.get(product.get("department", ""), "🗡️")
        st.markdown(f"**{icon} {product['name']}**")
        st.caption(
            f"{product['product_type']} · {product['breathing_style']} · {product['rarity']} · "
            f"{product['weight_kg']:.2f} kg"
        )
        stock = "" if product.get("stock", 1) > 0 else " · out of stock"
        st.markdown(f"💰 **{product['price']:,.2f}**{stock}")
        if reason:
            st.caption(f"💡 {reason}")
        buttons = [
            (label, fn)
            for label, fn in (("View", on_view), ("Cart", on_cart), ("Buy", on_buy))
            if fn
        ]
        if buttons:
            for col, (label, fn) in zip(st.columns(len(buttons)), buttons, strict=True):
                col.button(
                    label,
                    key=f"{key}-{label}",
                    on_click=fn,
                    args=(product,),
                    width="stretch",
                )


def product_picture(product_id: int, name: str, width: int | str = "stretch") -> None:
    """A product's picture, or a line saying it is still being drawn."""
    try:
        picture = product_images.product_image(product_id)
    except (NotMaterializedError, NotFoundError):
        st.caption("🖼️ picture not drawn yet (materialize `product_images`)")
        return
    st.image(picture.data, width=width, alt=name)
