"""Live chats end to end: a Telegram user (fake Bot API) asks for a person, a caseworker takes the chat in the
desk (headless Chromium), messages and a photo go both ways with the bot silent, the caseworker closes it and
the bot comes back; two takes at once; /forget during a chat. Screenshots go to test-output/desk/."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from bot.config import LiveSettings
from bot.core.events import SessionKey
from bot.store.live import LiveStore
from tests.e2e.desk_server import DeskServer
from tests.e2e.fake_telegram import FakeUser
from tests.e2e.test_desk_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    WAIT,
    browser,
    new_account,
    open_page,
    shot,
    take_at_once,
    text,
    wait_for,
)

__all__ = ["browser"]

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="no chromium/chromedriver (apt-get install chromium chromium-driver)")
ALWAYS = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                         "AAAABJRU5ErkJggg==")  # a 1x1 PNG

if CHROMIUM and CHROMEDRIVER:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    running = DeskServer(tmp_path_factory.mktemp("live") / "data",
                         live=LiveSettings(hours=ALWAYS, holidays_off=False)).start()
    try:
        yield running
    finally:
        running.stop()


def told(server: DeskServer, user_id: int, since: int = 0) -> str:
    return "\n".join(c.text for c in server.fake.calls[since:] if c.chat_id == user_id and c.text)


def ask(server: DeskServer, user: FakeUser, first: str) -> None:
    for step in (user.command("start"), user.press("n:human"), user.press("h:ask"), user.text(first)):
        server.telegram(user, step)
    assert "Your message is with the consultants" in told(server, user.id)


def chat_of(server: DeskServer, user_id: int) -> int:
    async def find() -> int:
        store = server.store
        assert isinstance(store, LiveStore)
        chats = await store.live_for_user(SessionKey("telegram", str(user_id)))
        return chats[-1].id

    return server.run(find())


def test_ask_take_talk_with_a_photo_close_and_the_bot_returns(server: DeskServer, browser: WebDriver) -> None:
    new_account(server, browser, "nino")
    open_page(server, browser, "/language?set=en&next=/desk/live")
    wait_for(browser, lambda d: "Nobody is waiting." in text(d))
    user = FakeUser(server.fake, 8101, "en")
    ask(server, user, "My employer took my passport <b>help</b>")
    wait_for(browser, lambda d: "My employer took my passport <b>help</b>" in text(d))  # without a reload
    wait_for(browser, lambda d: d.title.startswith("(1) "))  # the title's badge
    shot(browser, "live-waiting-en")
    browser.find_element(By.CSS_SELECTOR, "table.live-waiting button.take").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "reply-text"))
    assert "A consultant has joined the chat" in told(server, 8101)
    since = len(server.fake.calls)
    server.telegram(user, user.text("Is it legal for them to keep it?"))
    server.fake.files["AgAD"] = PHOTO
    server.telegram(user, user.photo())
    assert told(server, 8101, since) == "", "the bot stays silent"
    wait_for(browser, lambda d: "Is it legal for them to keep it?" in text(d))
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".msg.in img.photo"))
    wait_for(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", d.find_element(
        By.CSS_SELECTOR, ".msg.in img.photo")) > 0)
    browser.find_element(By.ID, "reply-text").send_keys("No. Keep a copy of your contract.")
    browser.find_element(By.CSS_SELECTOR, "#reply-form button").click()
    wait_for(browser, lambda d: "✓ Delivered" in text(d))
    assert "👤 Consultant: No. Keep a copy of your contract." in told(server, 8101, since)
    server.telegram(user, user.command("menu"))
    assert "You are writing with a consultant" in told(server, 8101, since)
    shot(browser, "live-chat-en")
    browser.find_element(By.CSS_SELECTOR, "#outcome option[value=advised]").click()
    browser.find_element(By.ID, "outcome-note").send_keys("explained passport rules")
    browser.find_element(By.CSS_SELECTOR, "#close-form button").click()
    wait_for(browser, lambda d: "The chat is closed." in text(d))
    back = told(server, 8101, since)
    assert "The consultant has ended the chat." in back and "You are talking to the bot again." in back
    rating = [c for c in server.fake.calls[since:] if c.chat_id == 8101 and "👍" in str(c.buttons)]
    assert rating, "the person can rate it"
    since = len(server.fake.calls)
    server.telegram(user, user.text("How do I find the nearest centre?"))
    assert told(server, 8101, since), "the bot answers again"
    chat = chat_of(server, 8101)
    server.telegram(user, user.press(f"h:rate:{chat}:1"))
    assert "Thank you for your feedback." in told(server, 8101, since)
    open_page(server, browser, f"/live/{chat}")
    page = text(browser)
    assert "Closed" in page and "Outcome: Advice given explained passport rules" in page and "👍" in page
    assert "[advised]" not in page, "the outcome is shown in the caseworker's words, not as its code"
    assert "Person asked for a consultant" in page and "nino took the chat" in page
    assert "Person rated the chat: +1" in page
    open_page(server, browser, "/live/stats?within=60")
    tiles = [" ".join(tile.text.split()) for tile in browser.find_elements(By.CSS_SELECTOR, ".tile")]
    assert "1 live chats" in tiles[0] and "100 % taken within 60 min" in tiles[1] and "👍 1 · 👎 0" in tiles[4]
    shot(browser, "live-stats-en")


def test_a_delivery_failure_is_shown_to_the_caseworker(server: DeskServer, browser: WebDriver) -> None:
    new_account(server, browser, "gela")
    user = FakeUser(server.fake, 8102, "en")
    ask(server, user, "hello")
    chat = chat_of(server, 8102)
    open_page(server, browser, f"/live/{chat}")
    browser.find_element(By.CSS_SELECTOR, ".chat-head button.take").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "reply-text"))
    server.fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    browser.find_element(By.ID, "reply-text").send_keys("Are you there?")
    browser.find_element(By.CSS_SELECTOR, "#reply-form button").click()
    wait_for(browser, lambda d: "Not delivered" in text(d))


def test_two_takes_at_once_one_wins(server: DeskServer, browser: WebDriver) -> None:
    user = FakeUser(server.fake, 8103, "en")
    ask(server, user, "two takers")
    chat = chat_of(server, 8103)
    pages = [a.text for a in take_at_once(server, browser, ("lia", "beka"), f"/live/{chat}", f"/live/{chat}/take")]
    assert sum('id="reply-text"' in p for p in pages) == 1
    loser = next(p for p in pages if 'id="reply-text"' not in p)
    assert "Someone else has taken this chat" in loser
    assert sum("A consultant has joined" in c.text for c in server.fake.calls if c.chat_id == 8103) == 1


def test_forget_during_a_chat_removes_it_from_the_desk(server: DeskServer, browser: WebDriver) -> None:
    new_account(server, browser, "tako")
    user = FakeUser(server.fake, 8104, "en")
    ask(server, user, "my name is Tamar, 555 123 456")
    chat = chat_of(server, 8104)
    open_page(server, browser, f"/live/{chat}")
    browser.find_element(By.CSS_SELECTOR, ".chat-head button.take").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "reply-text"))
    for step in (user.command("forget"), user.press("p:yes")):
        server.telegram(user, step)
    assert "Your data has been deleted" in told(server, 8104)
    browser.refresh()
    wait_for(browser, lambda d: "This chat is not kept any more" in text(d), WAIT)
    assert "Tamar" not in browser.page_source
