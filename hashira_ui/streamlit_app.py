"""HashiraMart's Streamlit app: navigation over the pages in app_pages/."""

import streamlit as st

st.set_page_config(page_title="HashiraMart", page_icon="⚔️", layout="wide")

pages = [st.Page("app_pages/overview.py", title="Shop data", icon="📊", default=True)]
st.navigation(pages).run()
