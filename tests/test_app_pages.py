"""Every page of the Streamlit app for every role, through Streamlit's AppTest, on `tiny` data."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hashira_serving import accounts as auth
from resources.app_database import APP_CUSTOMER_ID_BASE, AppDatabaseResource

APP = str(Path(__file__).resolve().parents[1] / "hashira_ui" / "streamlit_app.py")
PAGES = Path(APP).parent / "app_pages"
TIMEOUT = 180  # the first chat loads the local LLM

pytestmark = pytest.mark.slow


def signed_in(username: str, password: str) -> AppTest:
    """The app with `username` signed in through the sign-in form."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    button(app, "Sign in").click().run()
    assert not app.exception, app.exception
    return app


def titles(app: AppTest) -> list[str]:
    return [t.value for t in app.title]


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def registered_pages(app: AppTest, probe: str = "app_pages/forecasts.py") -> list[str]:
    """File names of the pages st.navigation registered for this session (`probe` is a page
    file that exists but must not be registered)."""
    with pytest.raises(ValueError, match="Known pages") as refused:
        app.switch_page(probe)
    known = str(refused.value).split("Known pages: ")[1]
    return sorted(Path(p.strip(" '[].")).name for p in known.split(","))


@pytest.fixture
def home(app_home, monkeypatch):
    monkeypatch.setenv("HASHIRA_HOME", str(app_home))
    monkeypatch.delenv("HASHIRA_REDIS_URL", raising=False)
    return app_home


STAFF = ("urokodaki", "water-mentor")
SHOPPER = ("tanjiro", "hinokami-kagura")


# ---------------------------------------------------------------------------------- sign-in
def test_signed_out_visitors_see_only_the_sign_in_page(home):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert titles(app) == ["⚔️ HashiraMart"]
    assert registered_pages(app) == ["sign_in.py"]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(home):
    app = signed_in("tanjiro", "not-his-password")
    assert [e.value for e in app.error] == ["Wrong username or password."]
    assert "account" not in app.session_state
    app = signed_in("nobody-here", "whatever-it-is")
    assert [e.value for e in app.error] == ["Wrong username or password."]


def test_passwords_are_stored_as_argon2id_hashes(home):
    account, stored = AppDatabaseResource().account_with_hash("tanjiro")
    assert stored.startswith("$argon2id$") and "hinokami" not in stored
    assert account.role == "shopper" and account.customer_id >= 0


def test_sign_up_refuses_bad_names_and_short_passwords(home):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    form = next(t for t in app.text_input if t.key == "new_username")
    form.input("Bad Name!")
    app.text_input(key="new_password").input("longenough")
    button(app, "Open my account").click().run()
    assert "A username is 3 to 32" in app.error[0].value
    app.text_input(key="new_username").input("mitsuri")
    app.text_input(key="new_password").input("short")
    button(app, "Open my account").click().run()
    assert "at least 8 characters" in app.error[0].value


def test_sign_out_forgets_the_session(home):
    app = signed_in(*SHOPPER)
    assert "account" in app.session_state
    app.sidebar.button(key="sign_out").click().run()
    assert "account" not in app.session_state
    assert titles(app) == ["⚔️ HashiraMart"]


# ---------------------------------------------------------------------------------- shopper
def test_shop_shows_recommendations_with_reasons_and_logs_events(home):
    app = signed_in(*SHOPPER)
    assert titles(app) == ["🛒 For you, Tanjiro"]
    reasons = [c.value for c in app.caption if c.value.startswith("💡")]
    assert len([r for r in reasons if "predicted win chance" not in r]) == 12
    before = len(AppDatabaseResource().events_after(0))
    app.button(key=next(b.key for b in app.button if b.key.endswith("-View"))).click().run()
    assert not app.exception
    assert any(m.label == "Price" for m in app.metric)  # the product's detail panel
    assert "**Similar items**" in [m.value for m in app.markdown]
    events = AppDatabaseResource().events_after(0)
    assert len(events) == before + 1 and events["event_type"].iloc[-1] == "view"
    buy = next(b.key for b in app.button if b.key.startswith("rec-") and b.key.endswith("-Buy"))
    app.button(key=buy).click().run()
    events = AppDatabaseResource().events_after(0)
    assert events["event_type"].iloc[-1] == "purchase"
    assert events["customer_id"].iloc[-1] == app.session_state["account"].customer_id


def test_shop_shows_the_weapons_best_for_the_shoppers_battles(home):
    app = signed_in(*SHOPPER)
    assert "⚔️ Best for your battles" in [s.value for s in app.subheader]
    picks = [c.value for c in app.caption if "predicted win chance" in c.value]
    assert len(picks) == 3, [c.value for c in app.caption]
    chances = [int(p.split("💡 ")[1].split("%")[0]) for p in picks]
    assert chances == sorted(chances, reverse=True) and all(0 < c < 100 for c in chances)
    assert any(c.value.startswith("Battle-fit model v") for c in app.caption)


def test_a_new_shopper_signs_up_answers_onboarding_and_gets_recommendations(home):
    username = f"mitsuri-{uuid.uuid4().hex[:8]}"
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    app.text_input(key="new_username").input(username)
    app.text_input(key="new_display_name").input("Mitsuri")
    app.text_input(key="new_password").input("love-breathing")
    button(app, "Open my account").click().run()
    assert not app.exception, app.exception
    assert app.session_state["account"].customer_id >= APP_CUSTOMER_ID_BASE
    assert "Tell us about your training" in [s.value for s in app.subheader]
    app.selectbox[0].select("Flame")
    app.slider[0].set_value(40)
    button(app, "Show my recommendations").click().run()
    assert not app.exception, app.exception
    reasons = [c.value for c in app.caption if c.value.startswith("💡")]
    assert len([r for r in reasons if "predicted win chance" not in r]) == 12
    stored, _ = AppDatabaseResource().account_with_hash(username)
    assert stored.profile["breathing_style"] == "Flame" and stored.profile["level"] == 40


def test_a_shopper_cannot_open_staff_pages_even_by_url(home):
    app = signed_in(*SHOPPER)
    # Only the shopper's pages are registered in their session, so no URL leads to a staff page.
    assert registered_pages(app) == ["ask.py", "dojo.py", "shop.py"]
    for page in ("forecasts", "support_qa", "models_pipeline", "overview"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(f"app_pages/{page}.py")
    # Run a staff page's file directly with a shopper's session: it refuses too.
    direct = AppTest.from_file(str(PAGES / "forecasts.py"), default_timeout=TIMEOUT)
    direct.session_state["account"] = app.session_state["account"]
    direct.run()
    assert [e.value for e in direct.error] == ["This page is for staff accounts only."]


def test_chat_streams_an_answer_citing_products_and_stores_feedback(home):
    app = signed_in(*SHOPPER)
    app.switch_page("app_pages/ask.py").run()
    assert titles(app) == ["💬 Ask HashiraMart"]
    app.chat_input[0].set_value("Which katana suits Water breathing?").run()
    assert not app.exception, app.exception
    turn = app.session_state["chat_turns"][0]
    assert turn["answer"].cited_ids
    assert any(b.key.startswith("cite-0-") for b in app.button)
    # Thumbs up on the answer lands in the app database with the conversation.
    app.feedback[0].set_value(1).run()
    feedback = AppDatabaseResource().chat_feedback_frame()
    assert len(feedback) >= 1 and feedback["rating"].iloc[-1] == 1
    assert feedback["question"].iloc[-1] == "Which katana suits Water breathing?"


def test_chat_handles_empty_and_over_long_input(home):
    app = signed_in(*SHOPPER)
    app.switch_page("app_pages/ask.py").run()
    app.chat_input[0].set_value("   ").run()
    assert [w.value for w in app.warning] == ["Type a question first."]
    app.chat_input[0].set_value("How heavy is the lightest katana? " + "x" * 2000).run()
    assert not app.exception
    notices = [c.value for c in app.caption if c.value.startswith("ℹ️")]
    assert any("only the first 600 were read" in n for n in notices)


def test_dojo_counts_points_and_training(home):
    app = signed_in(*SHOPPER)
    app.switch_page("app_pages/dojo.py").run()
    assert titles(app) == ["🥋 Dojo"]
    points = int(app.metric[1].value.replace(",", ""))
    assert app.metric[0].value == auth_rank(points)
    app.number_input[0].set_value(40)
    button(app, "Log training").click().run()
    assert int(app.metric[1].value.replace(",", "")) == points + 4


def auth_rank(points: int) -> str:
    from hashira_serving.dojo_points import rank_for

    return rank_for(points)


# ---------------------------------------------------------------------------------- staff
def test_forecasts_page_charts_each_level_and_offers_csv(home):
    app = signed_in(*STAFF)
    assert titles(app) == ["📈 Sales forecasts"]
    assert not app.exception, app.exception
    assert len(app.get("vega_lite_chart")) == 1
    assert app.get("download_button")
    app.segmented_control[0].set_value("product").run()
    assert not app.exception, app.exception
    assert len(app.get("vega_lite_chart")) == 1
    assert app.dataframe, "backtest table against seasonal naive"


def test_support_qa_filters_reviews_agents_and_summarizes_a_pasted_conversation(home):
    app = signed_in(*STAFF)
    app.switch_page("app_pages/support_qa.py").run()
    assert titles(app) == ["🎧 Support QA"]
    table = app.dataframe[0].value
    assert len(table) > 0
    category = sorted(table["issue_category"].unique())[0]
    app.multiselect[0].select(category).run()
    assert set(app.dataframe[0].value["issue_category"]) == {category}
    app.button(key="summarize_pasted").click().run()
    assert [w.value for w in app.warning] == ["Paste a conversation first."]
    app.text_area(key="pasted_conversation").input(
        "Customer: My katana arrived with a chipped blade, order 4411.\n"
        "Agent: Sorry about that! I've sent a replacement, it ships in 2 days.\n"
        "Customer: Thanks, that's great."
    )
    app.button(key="summarize_pasted").click().run()
    assert not app.exception, app.exception
    assert [m.label for m in app.metric] == ["Issue", "Resolution", "Sentiment"]
    agents = next(d.value for d in app.dataframe if "resolution_rate" in d.value.columns)
    assert len(agents) >= 2 and agents["resolution_rate"].is_monotonic_increasing
    flagged = next(d.value for d in app.dataframe if "flags" in d.value.columns)
    assert len(flagged) > 0 and flagged["flags"].str.len().gt(0).all()
    worst = agents["agent_id"].iloc[0]
    app.selectbox(key="flag_agent").select(worst).run()
    flagged = next(d.value for d in app.dataframe if "flags" in d.value.columns)
    assert set(flagged["agent_id"]) <= {worst}
    before = len(AppDatabaseResource().support_conversations_after(0))
    app.number_input(key="save_customer").set_value(7)
    app.button(key="save_pasted").click().run()
    assert "with 3 turns" in app.success[0].value
    saved = AppDatabaseResource().support_conversations_after(0)
    assert len(saved) == before + 1 and saved["customer_id"].iloc[-1] == 7


def test_models_page_shows_champions_with_baselines_and_asset_groups(home, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    app = signed_in(*STAFF)
    app.switch_page("app_pages/models_pipeline.py").run()
    assert not app.exception, app.exception
    text = " ".join(m.value for m in app.markdown)
    names = (
        "hashira-recommender",
        "hashira-forecaster",
        "hashira-summarizer",
        "hashira-battle-fit",
        "hashira-slayer-portraits",
    )
    for name in names:
        assert f"`{name}` champion **v" in text
    recommender = app.dataframe[0].value
    assert {"ranker (champion)", "oracle (the generator's truth)"} <= set(recommender.index)
    assert recommender["MAP@12"].notna().all()
    battle = app.dataframe[3].value
    assert {"model (champion)", "oracle (the true odds)"} <= set(battle.index)
    assert battle["auc"].notna().all()
    portraits = app.dataframe[4].value
    assert portraits.loc["renders (the judge's ceiling)", "style"] > 0.5
    groups = app.dataframe[len(names)].value
    assert {"raw", "silver", "recommender", "assistant"} <= set(groups.index)


# ---------------------------------------------------------------------------------- missing data
def test_pages_say_what_to_materialize_when_nothing_is(hashira_home):
    db = AppDatabaseResource()
    shopper = db.create_account("zenitsu", auth.hash_password("thunder-first"), "shopper",
                                customer_id=3)  # fmt: skip
    staff = db.create_account("kagaya", auth.hash_password("ubuyashiki"), "staff")
    for account, page in [(shopper, "shop"), (shopper, "ask"), (staff, "forecasts"),
                          (staff, "support_qa")]:  # fmt: skip
        app = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=TIMEOUT)
        app.session_state["account"] = account
        app.run()
        assert not app.exception, (page, app.exception)
        assert "make demo" in app.info[0].value, page
