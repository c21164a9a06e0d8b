"""The signed-in account in Streamlit's session state, role checks and shared page helpers."""

from __future__ import annotations

import random

import streamlit as st

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


def show_missing(exc: Exception) -> None:
    """Explain what is not materialized yet and stop the page."""
    st.info(f"**Not materialized yet.** {exc}", icon="⏳")
    st.stop()
