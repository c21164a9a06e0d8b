"""Pictures in the app: every Shop card shows its product's image, and the Dojo forges portraits
that stay on the shopper's profile (Streamlit's AppTest, on `tiny` data)."""

from __future__ import annotations

import pytest

from hashira_serving import portraits
from tests.test_app_pages import SHOPPER, button, home, signed_in, titles  # noqa: F401

pytestmark = pytest.mark.slow


def images(app) -> list:
    return app.get("image")


def test_every_shop_card_shows_its_product_image(home):  # noqa: F811
    app = signed_in(*SHOPPER)
    assert titles(app) == ["🛒 For you, Tanjiro"]
    cards = [b for b in app.button if b.key.endswith("-View")]
    assert len(cards) >= 12
    # One picture per card (12 recommendations and 3 battle picks); none "not drawn yet".
    assert len(images(app)) == len(cards)
    assert not [c.value for c in app.caption if "picture not drawn yet" in c.value]
    app.button(key=cards[0].key).click().run()
    assert not app.exception
    # The product page adds its own picture, and its similar items theirs.
    assert len(images(app)) > len(cards) + 1


def test_the_dojo_forges_a_portrait_and_keeps_it_on_the_profile(home):  # noqa: F811
    app = signed_in(*SHOPPER)
    app.switch_page("app_pages/dojo.py").run()
    assert titles(app) == ["🥋 Dojo"]
    assert "🎨 Forge your portrait" in [s.value for s in app.subheader]
    account = app.session_state["account"]
    before = len(portraits.profile_portraits(account.username))
    app.selectbox[0].set_value("Flame")
    app.selectbox[1].set_value("nodachi")
    button(app, "Forge portrait").click().run()
    assert not app.exception, app.exception
    saved = portraits.profile_portraits(account.username)
    assert len(saved) == before + 1
    newest = saved[0]
    assert (newest.breathing_style, newest.weapon_type) == ("Flame", "nodachi")
    assert newest.generator.startswith("hashira-slayer-portraits v")
    assert newest.image_png.startswith(b"\x89PNG")
    assert any(c.value == f"by {newest.generator}" for c in app.caption)
    assert len(images(app)) >= 1
