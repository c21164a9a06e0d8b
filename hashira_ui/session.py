"""The signed-in account in Streamlit's session state, role checks and shared page helpers."""

from __future__ import annotations

import os
import random

import streamlit as st

from hashira_serving import build_status
from resources.app_database import Account

ACCOUNT_KEY = "account"


def current_account() -> Account | None:
    return st.session_state.get(ACCOUNT_KEY)


def sign_in_as(account: Account) -> None:
    st.session_state[ACCOUNT_KEY] = account
    # One shop session per sign-in: the events logged share its id, as the generator's do.
    st.session_state["shop_session_id"] = random.randrange(1, 2**62)


def update_account(account: Account) -> None:
    """Replace the signed-in account's details (same shop session)."""
    st.session_state[ACCOUNT_KEY] = account


def sign_out() -> None:
    """Forget everything about this browser session."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def require_role(role: str) -> Account:
    """The signed-in account if it has `role`; otherwise stop the page with a message.

    Pages are only registered for their role, so this is a second line of defence."""
    account = current_account()
    if account is None:
        st.warning("Please sign in first.")
        st.stop()
    if account.role != role:
        st.error(f"This page is for {role} accounts only.")
        st.stop()
    return account


def shop_session_id() -> int:
    if "shop_session_id" not in st.session_state:
        st.session_state["shop_session_id"] = random.randrange(1, 2**62)
    return st.session_state["shop_session_id"]


def dagster_url() -> str:
    """Where the Dagster UI answers (HASHIRA_DAGSTER_URL, default the demo's :3000)."""
    return os.environ.get("HASHIRA_DAGSTER_URL", "http://127.0.0.1:3000")


# While the graph is being built, a waiting page looks again this often.
BUILD_POLL_SECONDS = 10


def show_missing(exc: Exception) -> None:
    """Explain what is not materialized yet and stop the page. While a run is building it, say
    how far the run is and reload the page by itself once the asset has landed."""
    asset = getattr(exc, "asset", None)
    build = build_status.building_now()
    if build is None or (asset is not None and not build.builds(asset)):
        st.info(f"**Not materialized yet.** {exc}", icon="⏳")
        st.stop()
    waiting_for = f"`{asset}`" if asset else "what it needs"
    st.info(
        f"**Being built now.** This page shows up as soon as {waiting_for} is materialized; "
        f"it looks again every {BUILD_POLL_SECONDS} s.",
        icon="🔨",
    )

    @st.fragment(run_every=BUILD_POLL_SECONDS)
    def progress() -> None:
        now = build_status.building_now()
        if now is None or (asset is not None and not now.builds(asset)):
            st.rerun(scope="app")
        st.progress(
            len(now.steps_done) / max(now.steps_total, 1),
            text=f"Run `{now.job_name}`: {now.summary()}",
        )
        st.link_button("Watch the run in the Dagster UI", f"{dagster_url()}/runs/{now.run_id}")

    progress()
    st.stop()
