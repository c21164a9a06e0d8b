"""The product chat and the combat coach: JSON answers, or tokens streamed as server-sent events."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hashira_api import schemas
from hashira_api.deps import CurrentUser, ShopperUser
from hashira_serving import chat

router = APIRouter(tags=["chat"])


def _final(conversation_id: str, answer: chat.ChatAnswer) -> schemas.ChatAnswer:
    return schemas.ChatAnswer(
        conversation_id=conversation_id,
        text=answer.text,
        cited_product_ids=[int(p) for p in answer.cited_ids],
        source=answer.source,
        notices=list(answer.notices),
        model=chat.answer_label(answer),
    )


def _collect(conversation_id: str, events) -> schemas.ChatAnswer:
    final = None
    for event in events:
        if isinstance(event, chat.ChatAnswer):
            final = event
    assert final is not None
    return _final(conversation_id, final)


def _stream(conversation_id: str, events) -> Iterator[ServerSentEvent]:
    """`token` events as the model writes, then one `answer` event with the checked answer."""
    for event in events:
        if isinstance(event, chat.ChatAnswer):
            yield ServerSentEvent(event="answer", data=_final(conversation_id, event).model_dump())
        else:
            yield ServerSentEvent(event="token", data=event)


def _ask(user, body: schemas.ChatRequest):
    conversation_id, session = chat.conversations.get(user.username, body.conversation_id)
    return conversation_id, chat.ask_stream(session, body.question)


@router.post("/chat", response_model=schemas.ChatAnswer)
def ask(body: schemas.ChatRequest, user: CurrentUser) -> schemas.ChatAnswer:
    """Ask about the catalog; the answer cites the products it is about."""
    return _collect(*_ask(user, body))


@router.post("/chat/stream", response_class=EventSourceResponse)
def ask_streamed(body: schemas.ChatRequest, user: CurrentUser) -> Iterator[ServerSentEvent]:
    """The same answer streamed: `token` events, then the final `answer` event."""
    conversation_id, events = _ask(user, body)
    yield from _stream(conversation_id, events)


@router.post("/coach/chat", response_model=schemas.ChatAnswer)
def coach(body: schemas.CoachRequest, user: ShopperUser) -> schemas.ChatAnswer:
    """The combat coach: a routine for the shopper's weakest attribute and gear from the shop."""
    conversation_id, _ = chat.conversations.get(user.username, body.conversation_id)
    return _collect(conversation_id, chat.coach_stream(user))


@router.post("/coach/chat/stream", response_class=EventSourceResponse)
def coach_streamed(body: schemas.CoachRequest, user: ShopperUser) -> Iterator[ServerSentEvent]:
    """The coach's answer as server-sent events."""
    conversation_id, _ = chat.conversations.get(user.username, body.conversation_id)
    yield from _stream(conversation_id, chat.coach_stream(user))
