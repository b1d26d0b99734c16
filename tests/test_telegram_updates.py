"""A pressed button's message is parsed only for what is read of it, in a private chat; whole elsewhere."""

from __future__ import annotations

import copy
from typing import Any

from telegram import Bot, Update

from bot.channels.telegram.updates import Pressed, chat_of, pressed, slim_update

BOT = Bot("123:abc")


def callback(chat: dict[str, Any], **message: Any) -> dict[str, Any]:
    return {"update_id": 7, "callback_query": {
        "id": "q1", "chat_instance": "c", "data": "f:jobs",
        "from": {"id": 42, "is_bot": False, "first_name": "Nino", "language_code": "ka"},
        "message": {"message_id": 9, "date": 1_700_000_000, "chat": chat,
                    "from": {"id": 1, "is_bot": True, "first_name": "Hotline"}, **message}}}


PRIVATE = {"id": 42, "type": "private", "first_name": "Nino"}
GROUP = {"id": -100, "type": "supergroup", "title": "Caseworkers"}


def test_a_private_chats_pressed_message_keeps_its_chat_id_and_text_flag() -> None:
    update = Update.de_json(slim_update(callback(PRIVATE, text="Choose a topic")), BOT)
    assert update.callback_query is not None and update.callback_query.message is None
    assert pressed(update.callback_query) == Pressed(42, True, 9)
    assert chat_of(update) == (42, True)


def test_a_pressed_message_without_text_is_not_edited_into_an_answer() -> None:
    venue = {"location": {"latitude": 41.7, "longitude": 44.8}}
    update = Update.de_json(slim_update(callback(PRIVATE, **venue)), BOT)
    assert update.callback_query is not None
    assert pressed(update.callback_query) == Pressed(42, True, None)


def test_slimming_twice_changes_nothing_more() -> None:
    once = slim_update(callback(PRIVATE, text="Menu"))
    assert slim_update(copy.deepcopy(once)) == once


def test_the_staff_groups_messages_are_kept_whole() -> None:
    raw = callback(GROUP, text="REQ-1 new")
    update = Update.de_json(slim_update(copy.deepcopy(raw)), BOT)
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.text == "REQ-1 new"
    assert pressed(update.callback_query) == Pressed(-100, False, 9)
    assert chat_of(update) == (-100, False)


def test_a_typed_message_reads_its_own_chat() -> None:
    raw = {"update_id": 8, "message": {"message_id": 3, "date": 1_700_000_000, "chat": PRIVATE, "text": "hi",
                                       "from": {"id": 42, "is_bot": False, "first_name": "Nino"}}}
    assert chat_of(Update.de_json(slim_update(raw), BOT)) == (42, True)
