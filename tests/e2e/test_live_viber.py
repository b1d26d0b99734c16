"""A live chat on Viber (fake Viber API, the real webhook app): the person asks, a caseworker takes it and
answers, the bot stays silent, the caseworker closes it and the bot comes back."""

from __future__ import annotations

import pytest

from bot.config import DeskSettings, LiveSettings, Settings, ViberSettings
from bot.core.events import SessionKey
from bot.store.live import LiveStore
from tests.conftest import CONTENT_DIR
from tests.e2e.fake_viber import FakeViber
from tests.e2e.test_viber import TOKEN, Running, ViberUser, fake, http, module_loop, running

__all__ = ["fake", "http", "running"]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
ALWAYS = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def viber_settings(tmp_path_factory: pytest.TempPathFactory, fake: FakeViber) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("live-viber") / "data", content_dir=CONTENT_DIR,
                    flood_messages_per_10s=1000, default_language="en",
                    viber=ViberSettings(auth_token=TOKEN, api_url=fake.api_url), desk=DeskSettings(enabled=True),
                    live=LiveSettings(hours=ALWAYS, holidays_off=False))


def sent_texts(running: Running, user: ViberUser, since: int = 0) -> str:
    return "\n".join(str(m.get("text", "")) for m in running.fake.sent(user.id)[since:])


@module_loop
async def test_a_live_chat_on_viber(running: Running, http: object) -> None:
    user = ViberUser(running, http, "viber-live-1=")  # type: ignore[arg-type]
    await user.start()
    await user.press("English")
    await user.press("Talk to a person")
    await user.press("Write to a consultant now")
    await user.say("I was deported from Germany, what now?")
    assert "Your message is with the consultants" in sent_texts(running, user)
    store = running.rt.store
    assert isinstance(store, LiveStore)
    chat = (await store.open_live_for(SessionKey("viber", user.id)))
    assert chat is not None
    assert await running.rt.relay.take(chat.id, "nino")
    since = len(running.fake.sent(user.id))
    assert await user.say("Are you there?") == []
    assert await user.share_location(42.27, 42.70) == []
    photo = running.fake.media_url("p1.png", PNG)
    assert await user.send({"type": "picture", "text": "my passport", "media": photo}) == []
    reply = await running.rt.relay.reply(chat.id, "nino", "Yes. Do you have your passport?")
    assert reply is not None and reply.status == "sent"
    assert "👤 Consultant: Yes. Do you have your passport?" in sent_texts(running, user, since)
    messages = await store.live_messages(chat.id)
    assert [m.kind for m in messages] == ["text", "text", "location", "photo", "text"]
    assert await running.rt.relay.file(chat, messages[3]) == PNG  # what the desk shows
    assert await running.rt.relay.close(chat.id, "nino", "[advised]")
    assert "The consultant has ended the chat." in sent_texts(running, user, since)
