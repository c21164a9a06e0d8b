"""Ask HashiraMart: the product chat, streamed, citing products; the combat coach as a mode."""

import uuid

import streamlit as st

from hashira_serving import catalog, chat, events, recommendations
from hashira_serving.chat import ChatAnswer, ChatSession
from hashira_serving.context import app_db
from hashira_serving.errors import NotMaterializedError
from hashira_ui.cards import product_card
from hashira_ui.session import require_role, shop_session_id, show_missing

account = require_role("shopper")
if st.session_state.pop("open_in_shop", False):
    st.switch_page("app_pages/shop.py")
st.title("💬 Ask HashiraMart")

try:
    products = catalog.products()
    with st.spinner("Loading the language model…"):
        chat.engine()
except NotMaterializedError as exc:
    show_missing(exc)

if "chat_id" not in st.session_state:
    st.session_state["chat_id"] = uuid.uuid4().hex
    st.session_state["chat_session"] = ChatSession()
    st.session_state["chat_turns"] = []  # {"question", "answer": ChatAnswer, "persona"}

mode = st.segmented_control(
    "Mode", ["Product chat", "Combat coach"], default="Product chat", key="chat_mode"
)
persona = "coach" if mode == "Combat coach" else "shop"


def open_in_shop(product: dict) -> None:
    """Log the view and show the product on the Shop page (switched to on the next run)."""
    events.publish_shop_event(account, shop_session_id(), int(product["product_id"]), "view")
    st.session_state["viewed"] = recommendations.merge_views(
        [product["product_id"]], st.session_state.get("viewed", ())
    )
    st.session_state["selected_product"] = int(product["product_id"])
    st.session_state["open_in_shop"] = True


def save_feedback(turn: int) -> None:
    vote = st.session_state.get(f"feedback-{turn}")
    if vote is None:
        return
    record = st.session_state["chat_turns"][turn]
    answer: ChatAnswer = record["answer"]
    app_db().record_chat_feedback(
        conversation_id=st.session_state["chat_id"],
        username=account.username,
        persona=record["persona"],
        turn=turn,
        question=record["question"],
        answer=answer.text,
        cited_product_ids=answer.cited_ids,
        rating=1 if vote == 1 else -1,
    )
    st.toast("Thanks for the feedback.")


def show_answer(turn: int, record: dict) -> None:
    answer: ChatAnswer = record["answer"]
    for notice in answer.notices:
        st.caption(f"ℹ️ {notice}")
    cited = [p for p in answer.cited_ids if p in products.index][:3]
    if cited:
        for col, product_id in zip(st.columns(len(cited)), cited, strict=True):
            with col:
                product_card(
                    catalog.product(product_id),
                    f"cite-{turn}-{product_id}",
                    on_view=open_in_shop,
                )
    st.feedback("thumbs", key=f"feedback-{turn}", on_change=save_feedback, args=(turn,))


def stream_answer(events) -> ChatAnswer:
    """Stream the model's tokens, then show the checked final answer in their place."""
    final: dict = {}

    def tokens():
        for event in events:
            if isinstance(event, ChatAnswer):
                final["answer"] = event
            else:
                yield event

    placeholder = st.empty()
    with placeholder:
        st.write_stream(tokens())
    answer = final["answer"]
    placeholder.markdown(answer.text)
    if answer.source == "data" and answer.llm_text:
        st.caption("The model's words did not match the catalog, so this answer is from the data.")
    return answer


for turn, record in enumerate(st.session_state["chat_turns"]):
    with st.chat_message("user"):
        st.write(record["question"])
    with st.chat_message("assistant"):
        st.markdown(record["answer"].text)
        show_answer(turn, record)

if persona == "coach":
    st.caption(
        "The combat coach suggests a routine for your weakest attribute and gear from the shop."
    )
    if st.button("Get my training plan", type="primary"):
        question = "My training plan"
        with st.chat_message("user"):
            st.write(question)
        with st.chat_message("assistant"):
            answer = stream_answer(chat.coach_stream(account))
        st.session_state["chat_turns"].append(
            {"question": question, "answer": answer, "persona": persona}
        )
        st.rerun()
else:
    question = st.chat_input("Ask about weapons, prices, weights, styles…")
    if question is not None:
        if not question.strip():
            st.warning("Type a question first.")
        else:
            with st.chat_message("user"):
                st.write(question)
            with st.chat_message("assistant"):
                answer = stream_answer(chat.ask_stream(st.session_state["chat_session"], question))
            st.session_state["chat_turns"].append(
                {"question": question, "answer": answer, "persona": persona}
            )
            st.rerun()
