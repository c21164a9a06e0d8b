"""Sign in, or open a new shopper account."""

import streamlit as st

from hashira_serving import accounts as auth
from hashira_serving.context import app_db
from hashira_ui.session import sign_in_as
from resources.app_database import AccountError

st.title("⚔️ HashiraMart")
st.caption("Weapons and gear for demon slayers, recommended by the shop's own models.")

sign_in_tab, sign_up_tab = st.tabs(["Sign in", "New shopper"])

with sign_in_tab, st.form("sign_in"):
    username = st.text_input("Username")
    password = st.text_input("Password", type="password")
    if st.form_submit_button("Sign in", type="primary"):
        account = auth.sign_in(app_db(), username, password)
        if account is None:
            st.error("Wrong username or password.")
        else:
            sign_in_as(account)
            st.rerun()

with sign_up_tab, st.form("sign_up"):
    st.write("New here? Open an account; the shop asks three questions, then recommends at once.")
    new_name = st.text_input("Choose a username", key="new_username")
    display = st.text_input("Your name", key="new_display_name")
    new_password = st.text_input(
        f"Password (at least {auth.MIN_PASSWORD_LENGTH} characters)",
        type="password",
        key="new_password",
    )
    if st.form_submit_button("Open my account"):
        try:
            account = auth.sign_up_shopper(app_db(), new_name, new_password, display)
        except AccountError as exc:
            st.error(str(exc))
        else:
            sign_in_as(account)
            st.rerun()
