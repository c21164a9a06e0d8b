"""HashiraMart's Streamlit app: sign-in, then the pages of the signed-in role via st.navigation."""

import streamlit as st

from hashira_ui.session import current_account, sign_out

st.set_page_config(page_title="HashiraMart", page_icon="⚔️", layout="wide")

SHOPPER_PAGES = [
    st.Page("app_pages/shop.py", title="Shop", icon="🛒", default=True),
    st.Page("app_pages/ask.py", title="Ask HashiraMart", icon="💬"),
    st.Page("app_pages/dojo.py", title="Dojo", icon="🥋"),
]
STAFF_PAGES = [
    st.Page("app_pages/forecasts.py", title="Forecasts", icon="📈", default=True),
    st.Page("app_pages/support_qa.py", title="Support QA", icon="🎧"),
    st.Page("app_pages/models_pipeline.py", title="Models & pipeline", icon="🧪"),
    st.Page("app_pages/overview.py", title="Shop data", icon="📊"),
    st.Page("app_pages/ask_data.py", title="Ask the data", icon="🔎"),
]

account = current_account()
if account is None:
    # Signed out, only the sign-in page exists: no other page is reachable, not even by URL.
    pages = [st.Page("app_pages/sign_in.py", title="Sign in", icon="🔑", default=True)]
else:
    # Pages are registered by role, so a shopper's session has no staff page to open.
    pages = STAFF_PAGES if account.role == "staff" else SHOPPER_PAGES
    with st.sidebar:
        st.markdown(f"**{account.display_name}** · {account.role}")
        if st.button("Sign out", key="sign_out", icon="🚪"):
            sign_out()
            st.rerun()

st.navigation(pages).run()
