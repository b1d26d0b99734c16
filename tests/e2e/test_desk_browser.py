"""The caseworkers' desk in headless Chromium against the real server on 127.0.0.1, with a Telegram user making
requests through the fake Bot API. Screenshots of every page in ka, en and ru go to test-output/desk/.

Needs Debian's chromium and chromium-driver (.ci/run installs them); skipped, saying so, when they are missing.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.config import REPO_ROOT
from bot.desk.sessions import COOKIE, secret_key
from tests.e2e.desk_server import DeskServer

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="no chromium/chromedriver (apt-get install chromium chromium-driver)")
SHOTS = REPO_ROOT / "test-output" / "desk"
WAIT = 15.0
PASSWORD = "a long desk password"
ENGLISH = {"Accept-Language": "en"}

if CHROMIUM and CHROMEDRIVER:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
        WebDriverException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    running = DeskServer(tmp_path_factory.mktemp("desk") / "data").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-gpu", "--no-first-run", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


# What ChromeDriver says, instead of a stale element, when the page was replaced while an element was being read.
REPLACED = "does not belong to the document"


def wait_for(browser: WebDriver, condition, within: float = WAIT):  # type: ignore[no-untyped-def]
    """Bounded; a page being replaced meanwhile (stale elements) just means: look again."""
    def look(d: WebDriver):  # type: ignore[no-untyped-def]
        try:
            return condition(d)
        except WebDriverException as exc:
            if REPLACED in (exc.msg or ""):
                return False
            raise

    return WebDriverWait(browser, within, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(look)


def text(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def shot(browser: WebDriver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def open_page(server: DeskServer, browser: WebDriver, path: str) -> None:
    browser.get(server.base_url + "/desk" + path)


def sign_in(server: DeskServer, browser: WebDriver, name: str, password: str) -> None:
    browser.delete_all_cookies()
    open_page(server, browser, "/login")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def new_account(server: DeskServer, browser: WebDriver, name: str, role: str = "caseworker") -> None:
    """An account made by a supervisor, signed in for the first time: its own password is chosen first."""
    one_time = server.add_account(name, role)
    sign_in(server, browser, name, one_time)
    wait_for(browser, lambda d: d.current_url.endswith("/desk/password"))
    for field, value in (("current", one_time), ("new", PASSWORD), ("again", PASSWORD)):
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, lambda d: "/desk/password" not in d.current_url)


def press(browser: WebDriver, name: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"button[name={name}]").click()


def session_client(server: DeskServer, browser: WebDriver) -> httpx.Client:
    """An HTTP client carrying the browser's session cookie, to send what a page's form would not."""
    client = httpx.Client(base_url=server.base_url, timeout=10, headers=ENGLISH)
    client.cookies.set(COOKIE, browser_session(browser), domain="127.0.0.1", path="/desk")
    return client


def browser_session(browser: WebDriver) -> str:
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie["value"])


def take_at_once(server: DeskServer, browser: WebDriver, names: tuple[str, ...], page: str,
                 action: str) -> list[httpx.Response]:
    """New caseworkers `names` each open `page`, then all post `action` (a take) at the same moment."""
    sessions: list[tuple[str, str | None]] = []
    for name in names:
        new_account(server, browser, name)
        open_page(server, browser, page)
        csrf = browser.find_element(By.NAME, "csrf").get_attribute("value")
        sessions.append((browser_session(browser), csrf))

    async def take(session: str, csrf: str | None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10, headers=ENGLISH) as http:
            http.cookies.set(COOKIE, session, domain="127.0.0.1", path="/desk")
            return await http.post(f"/desk{action}", data={"csrf": csrf}, follow_redirects=True)

    async def all_at_once() -> list[httpx.Response]:
        return await asyncio.gather(*(take(s, t) for s, t in sessions))

    return asyncio.run(all_at_once())


def test_a_caseworker_takes_calls_notes_and_closes_a_request_made_on_telegram(
        server: DeskServer, browser: WebDriver) -> None:
    new_account(server, browser, "nino")
    open_page(server, browser, "/language?set=en&next=/desk/queue")
    wait_for(browser, lambda d: "Queue" in text(d))
    ref = server.request_callback(7001, "Tamar <script>alert('x')</script>", "+995 555 12 34 56")
    wait_for(browser, lambda d: ref in text(d))  # appears without a reload
    browser.find_element(By.LINK_TEXT, ref).click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[name=take]"))
    page = text(browser)
    assert "+995" not in page and "Tamar" not in page, "no phone or name before the take"
    assert "Take this request to see the name, phone and notes." in page
    press(browser, "take")
    wait_for(browser, lambda d: "It is yours now" in text(d))
    assert "+995 555 12 34 56" in text(browser)
    assert "Tamar <script>alert('x')</script>" in browser.find_element(By.CSS_SELECTOR, "dd.name").text
    note = "<img src=x onerror=alert(1)> called once, will try again"
    browser.find_element(By.ID, "note").send_keys(note)
    browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for(browser, lambda d: "Note added." in text(d))
    assert note in [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.note")]
    assert not browser.find_elements(By.CSS_SELECTOR, "td.note img"), "markup in a note is shown, not run"
    browser.find_element(By.CSS_SELECTOR, "select[name=outcome] option[value=referred]").click()
    press(browser, "done")
    wait_for(browser, lambda d: "Closed as done." in text(d))
    history = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")]
    assert "request made" in history[0]
    assert "nino" in history[1] and "New → Taken" in history[1]
    assert "note" in history[2] and note in history[2]
    assert "Taken → Done: Referred to a resource centre" in history[3]
    telegram_told = [c.text for c in server.fake.calls if c.chat_id == 7001]
    assert telegram_told


def test_a_caseworker_without_the_take_sees_no_phone_and_who_won_a_race(
        server: DeskServer, browser: WebDriver) -> None:
    ref = server.request_callback(7002, "Levan", "+995 599 11 22 33")
    new_account(server, browser, "eka")
    open_page(server, browser, f"/r/{ref}")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[name=take]"))
    with session_client(server, browser) as other:  # nino's colleague takes it first from the CLI
        server.run(_take_by_cli(server, ref))
        press(browser, "take")
        wait_for(browser, lambda d: "levan-cli took it first." in text(d))
        page = text(browser)
        assert "+995" not in page and "599 11 22 33" not in page
        raw = other.get(f"/desk/r/{ref}").text
        assert "599" not in raw and "Levan" not in raw, "nor in the page's HTML"


async def _take_by_cli(server: DeskServer, ref: str) -> None:
    from bot.staff.queue import Actor, Queue

    assert server.settings is not None
    outcome = await Queue(server.store, server.settings).act("take", ref, Actor("levan-cli"))  # type: ignore[arg-type]
    assert outcome.ok


def test_two_takes_at_once_one_wins(server: DeskServer, browser: WebDriver) -> None:
    ref = server.request_callback(7003, "Giorgi", "+995 577 00 00 01")
    answers = take_at_once(server, browser, ("ana", "dato"), f"/r/{ref}", f"/r/{ref}/take")
    pages = [a.text for a in answers]
    assert sum("It is yours now" in p for p in pages) == 1
    loser = next(p for p in pages if "It is yours now" not in p)
    assert re.search(r"(ana|dato) took it first\.", loser)


def test_a_post_without_the_csrf_token_is_refused(server: DeskServer, browser: WebDriver) -> None:
    ref = server.request_callback(7004, "Maka", "+995 555 00 00 04")
    new_account(server, browser, "irma")
    with session_client(server, browser) as client:
        refused = client.post(f"/desk/r/{ref}/take", data={})
        assert refused.status_code == 403 and "This form is out of date" in refused.text
        wrong = client.post(f"/desk/r/{ref}/take", data={"csrf": "guessed"})
        assert wrong.status_code == 403
    open_page(server, browser, f"/r/{ref}")
    assert browser.find_elements(By.CSS_SELECTOR, "button[name=take]"), "still new: nothing happened"


def test_five_wrong_passwords_lock_the_account(server: DeskServer, browser: WebDriver) -> None:
    one_time = server.add_account("temo", "caseworker")
    for _ in range(4):
        sign_in(server, browser, "temo", "not the password")
        wait_for(browser, lambda d: "Wrong name or password." in text(d))
    sign_in(server, browser, "temo", "still not it")
    wait_for(browser, lambda d: "Too many wrong passwords" in text(d))
    sign_in(server, browser, "temo", one_time)
    wait_for(browser, lambda d: "Too many wrong passwords" in text(d))
    assert "/desk/login" in browser.current_url


def test_bad_input_overlong_note_unknown_reference_and_expired_session(
        server: DeskServer, browser: WebDriver) -> None:
    ref = server.request_callback(7005, "Nana", "+995 555 00 00 05")
    new_account(server, browser, "sopo")
    open_page(server, browser, f"/r/{ref}")
    press(browser, "take")
    wait_for(browser, lambda d: "It is yours now" in text(d))

    area = browser.find_element(By.ID, "note")
    browser.execute_script("arguments[0].removeAttribute('maxlength'); arguments[0].value = arguments[1];",
                           area, "ა" * 1001)
    browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for(browser, lambda d: "The note is too long" in text(d))
    assert browser.find_element(By.ID, "note").get_attribute("value") == "ა" * 1001, "the text is given back"

    open_page(server, browser, "/r/CB-2222")
    assert "No such request" in text(browser)
    open_page(server, browser, "/r/<script>")
    assert "No such request" in text(browser)

    open_page(server, browser, f"/r/{ref}")
    _age_session(server, browser, hours=3)  # as if the caseworker had left the page open for the afternoon
    draft = "Spoke to her sister; she calls back at 5. ნინო"
    area = browser.find_element(By.ID, "note")
    area.clear()
    area.send_keys(draft)
    browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for(browser, lambda d: "signed out" in text(d))
    browser.find_element(By.NAME, "name").send_keys("sopo")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    wait_for(browser, lambda d: "Your note was kept" in text(d))
    assert browser.find_element(By.ID, "note").get_attribute("value") == draft
    browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for(browser, lambda d: "Note added." in text(d))
    assert draft in [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.note")]


def _age_session(server: DeskServer, browser: WebDriver, hours: float) -> None:
    """Signs the browser's own session again with a timestamp from `hours` ago."""
    import time

    assert server.settings is not None
    serializer = URLSafeTimedSerializer(secret_key(server.settings), salt="hotline-desk-session")
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    data = serializer.loads(cookie["value"])
    real_time = time.time
    try:
        time.time = lambda: real_time() - hours * 3600  # type: ignore[assignment]
        aged = serializer.dumps(data)
    finally:
        time.time = real_time  # type: ignore[assignment]
    browser.delete_cookie(COOKIE)
    browser.add_cookie({"name": COOKIE, "value": aged, "path": "/desk", "httpOnly": True, "sameSite": "Lax"})


def test_screenshots_of_every_page_in_three_languages(server: DeskServer, browser: WebDriver) -> None:
    ref = server.request_callback(7006, "ნინო ბერიძე", "+995 555 00 00 06", town="Batumi, Rustaveli st. 5")
    server.request_callback(7007, "Иван", "+995 555 00 00 07", town="Telavi")
    new_account(server, browser, "boss", role="supervisor")
    open_page(server, browser, f"/r/{ref}")
    press(browser, "take")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dd.phone"))
    for lang in ("ka", "en", "ru"):
        open_page(server, browser, f"/language?set={lang}&next=/desk/queue")
        for name, path in (("queue", "/queue?status=assigned"), ("request", f"/r/{ref}"), ("staff", "/staff"),
                           ("stats", "/stats"), ("gaps", "/gaps"), ("content", "/content"),
                           ("password", "/password"), ("not-found", "/r/CB-2222")):
            open_page(server, browser, path)
            assert browser.execute_script("return document.characterSet") == "UTF-8"
            shot(browser, f"{name}-{lang}")
        browser.set_window_size(390, 844)
        for name, path in (("queue", "/queue?status=assigned"), ("request", f"/r/{ref}"), ("stats", "/stats"),
                           ("gaps", "/gaps")):
            open_page(server, browser, path)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 400, f"{name} fits a phone screen ({width}px)"
            if name == "stats-outcomes":
                browser.execute_script("document.querySelector('table.outcomes').scrollIntoView()")
            shot(browser, f"{name}-{lang}-phone")
        browser.set_window_size(1280, 1000)
        open_page(server, browser, "/queue")
        browser.delete_cookie(COOKIE)
        open_page(server, browser, "/login")
        shot(browser, f"login-{lang}")
        sign_in_keeping_language(server, browser, lang)
    assert len(list(SHOTS.glob("*.png"))) >= 36


def sign_in_keeping_language(server: DeskServer, browser: WebDriver, lang: str) -> None:
    browser.find_element(By.NAME, "name").send_keys("boss")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    try:
        wait_for(browser, lambda d: "/desk/login" not in d.current_url)
    except TimeoutException:
        pytest.fail(f"could not sign in again ({lang}): {text(browser)[:300]}")



def test_statistics_show_todays_people_and_requests_with_csv(server: DeskServer, browser: WebDriver) -> None:
    server.request_callback(7008, "Salome", "+995 555 00 00 08", town="Telavi")
    answered = _ask(server, 7010, "How can I send money home safely?")
    assert "q:y:legal_send_money" in str(server.fake.calls_to(7010)[-1].params), answered
    assert "did not find an answer" in _ask(server, 7010, "How many planets circle the sun in our galaxy?")
    assert "Did you mean one of these?" in _ask(server, 7010, "Tell me about the visa")
    new_account(server, browser, "mari", role="editor")
    assert browser.current_url.endswith("/desk/stats")
    wait_for(browser, lambda d: "Callback requests by topic" in text(d))
    charts = browser.find_elements(By.CSS_SELECTOR, "section.chart svg")
    assert len(charts) == 7 and all(c.size["width"] > 200 for c in charts)
    tiles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".tile")]
    assert any(t.endswith("callback requests") and int(t.split()[0]) >= 1 for t in tiles)
    people = next(t for t in tiles if "people in conversation" in t)
    assert int(people.split()[0]) >= 2, "the callback user and the asker, counted from their first message today"
    assert any(t.endswith("of typed questions answered") and t.split()[0].endswith("%") for t in tiles)
    shares = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[1].text
              for row in browser.find_elements(By.CSS_SELECTOR, "table.outcomes tbody tr")}
    assert int(shares["Answered"]) >= 1 and int(shares["Declined"]) >= 1 and int(shares["Choices offered"]) >= 1
    entries = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.entries tbody tr")]
    assert any("legal_send_money" in e and "How can I send money home safely?" in e for e in entries)
    with session_client(server, browser) as client:
        topics = client.get("/desk/stats.csv", params={"table": "requests_by_topic"})
        assert topics.status_code == 200 and topics.headers["content-type"].startswith("text/csv")
        lines = topics.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "topic,requests" and any(line.startswith("🌍") or "abroad" in line for line in lines[1:])
        people = client.get("/desk/stats.csv", params={"table": "conversations"}).content.decode("utf-8-sig")
        assert people.splitlines()[0] == "day,channel,language,people" and ",telegram,en," in people
        outcomes = client.get("/desk/stats.csv", params={"table": "outcomes"}).content.decode("utf-8-sig")
        assert outcomes.splitlines()[0] == "day,channel,language,outcome,messages"
        assert ",telegram,en,answered," in outcomes and ",telegram,en,declined," in outcomes
        given = client.get("/desk/stats.csv", params={"table": "faq_entries"}).content.decode("utf-8-sig")
        assert given.splitlines()[0] == "faq_id,question,answered,opened" and "legal_send_money," in given
        assert "Salome" not in topics.text + people + outcomes and "555" not in people and "planets" not in outcomes
        assert client.get("/desk/stats.csv", params={"table": "passwords"}).status_code == 404
    open_page(server, browser, "/queue")
    assert "Not for your role" in text(browser), "an editor does not see the queue"


def test_an_editor_sees_unanswered_questions_with_the_closest_entries_and_the_content(
        server: DeskServer, browser: WebDriver) -> None:
    from tests.e2e.fake_telegram import FakeUser

    asker = FakeUser(server.fake, 7009, "en")
    server.telegram(asker, asker.text("How do I grow purple <b>bananas</b> on the moon?"))
    new_account(server, browser, "keti", role="editor")
    open_page(server, browser, "/gaps")
    wait_for(browser, lambda d: "Content gaps" in text(d))
    [row] = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr") if "bananas" in r.text]
    assert "grow purple <b>bananas</b>" in row.text and "Not answered" in row.text
    assert row.find_elements(By.CSS_SELECTOR, "ul.near li"), "the entries it came closest to"
    open_page(server, browser, "/content")
    page = text(browser)
    assert "Version " in page and "What the content check says" in page and "due for review" in page
    entries = browser.find_elements(By.CSS_SELECTOR, "details.entry")
    assert len(entries) > 20
    entries[0].find_element(By.TAG_NAME, "summary").click()
    previews = entries[0].find_elements(By.CSS_SELECTOR, ".phone-preview")
    assert [p.get_attribute("lang") for p in previews] == ["ka", "en", "ru"]
    assert "+995" in " ".join(p.text for p in previews) or all(p.text for p in previews)


def _ask(server: DeskServer, user_id: int, question: str) -> str:
    """A Telegram user types a question; returns what the bot answered (all its messages to that step)."""
    from tests.e2e.fake_telegram import FakeUser

    asker = FakeUser(server.fake, user_id, "en")
    before = len(server.fake.calls_to(user_id))
    server.telegram(asker, asker.text(question))
    return "\n".join(c.text or "" for c in server.fake.calls_to(user_id)[before:])


def _gap_row(browser: WebDriver, words: str):  # type: ignore[no-untyped-def]
    rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr") if words in r.text]
    assert len(rows) == 1, f"one row for {words!r}"
    return rows[0]


def test_an_editor_adds_a_question_as_an_example_and_the_bot_answers_it_at_once(
        server: DeskServer, browser: WebDriver) -> None:
    question = "How many eggs does a chicken lay?"
    assert "did not find an answer" in _ask(server, 7101, question)
    new_account(server, browser, "lela", role="editor")
    open_page(server, browser, "/gaps?days=7")
    row = _gap_row(browser, "chicken")
    row.find_element(By.LINK_TEXT, "Another entry…").click()
    wait_for(browser, lambda d: "Decide about a question" in text(d))
    assert browser.find_element(By.NAME, "text").get_attribute("value") == question
    shot(browser, "gap-choose-en")
    browser.find_element(By.CSS_SELECTOR, "#faq option[value=legal_eu_border]").click()
    browser.find_element(By.CSS_SELECTOR, "#choose button[name=example]").click()
    wait_for(browser, lambda d: "Added as an example to" in text(d))
    assert not [r for r in browser.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr") if "chicken" in r.text]
    [decided] = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.decided tbody tr") if "chicken" in r.text]
    assert "legal_eu_border" in decided.text and "lela" in decided.text

    answer = _ask(server, 7102, question)  # another person, the same question: answered with that entry
    assert "did not find an answer" not in answer
    assert "q:y:legal_eu_border" in str(server.fake.calls_to(7102)[-1].params), "answered with the chosen entry"
    events = server.run(server.store.desk_events(20))
    assert any(e.actor == "lela" and e.action == "gap_example" and e.target == "legal_eu_border" for e in events)


def test_an_editor_marks_a_question_out_of_scope_and_the_bot_declines_it_honestly(
        server: DeskServer, browser: WebDriver) -> None:
    question = "What colour should I paint my kitchen walls?"
    assert "did not find an answer" in _ask(server, 7103, question)
    new_account(server, browser, "gio", role="supervisor")
    open_page(server, browser, "/gaps?days=7")
    _gap_row(browser, "kitchen walls").find_element(By.CSS_SELECTOR, "button[name=out_of_scope]").click()
    wait_for(browser, lambda d: "Marked out of scope" in text(d))
    shot(browser, "gaps-decided-en")
    for asker, typed in ((7104, question), (7105, "what color should i paint my kitchen walls")):
        answer = _ask(server, asker, typed)
        assert "I can't help with that here" in answer and "did not find an answer" not in answer, typed
    open_page(server, browser, "/gaps?days=7")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr")
    assert "kitchen walls" not in " ".join(r.text for r in rows), "declined on purpose: not a gap again"
    [decided] = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.decided tbody tr")
                 if "kitchen walls" in r.text]
    decided.find_element(By.CSS_SELECTOR, "button[name=undo]").click()
    wait_for(browser, lambda d: "Decision undone" in text(d))
    assert "did not find an answer" in _ask(server, 7106, question)


def test_a_caseworker_cannot_decide_about_gaps_and_a_post_without_csrf_is_refused(
        server: DeskServer, browser: WebDriver) -> None:
    form = {"text": "Is the moon made of cheese?", "lang": "en", "faq": "legal_eu_border"}
    new_account(server, browser, "dali")
    open_page(server, browser, "/gaps")
    assert "Not for your role" in text(browser)
    with session_client(server, browser) as client:
        page = client.get("/desk/queue").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        refused = client.post("/desk/gaps/example", data={**form, "csrf": token})
        assert refused.status_code == 403 and "Not for your role" in refused.text
        assert client.post("/desk/gaps/out-of-scope", data={**form, "csrf": token}).status_code == 403
    new_account(server, browser, "tiko", role="editor")
    with session_client(server, browser) as client:
        refused = client.post("/desk/gaps/example", data=form)
        assert refused.status_code == 403 and "This form is out of date" in refused.text
    assert not [d for d in server.run(server.store.content_decisions()) if "cheese" in d.text]


def test_screenshots_of_the_gap_decisions_and_statistics_in_three_languages(
        server: DeskServer, browser: WebDriver) -> None:
    _ask(server, 7110, "How many planets circle the sun in our galaxy?")
    _ask(server, 7111, "How can I send money home safely?")
    new_account(server, browser, "nana", role="editor")
    for lang in ("ka", "en", "ru"):
        open_page(server, browser, f"/language?set={lang}&next=/desk/stats")
        open_page(server, browser, "/gaps?days=7")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.gaps tbody tr"))
        assert browser.find_elements(By.CSS_SELECTOR, "table.gaps button[name=out_of_scope]")
        shot(browser, f"gaps-actions-{lang}")
        _gap_row(browser, "planets").find_element(By.CSS_SELECTOR, ".actions a").click()
        wait_for(browser, lambda d: d.find_elements(By.ID, "faq"))
        shot(browser, f"gap-choose-{lang}")
        open_page(server, browser, "/stats")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.entries tbody tr"))
        browser.execute_script("document.querySelector('table.outcomes').closest('section').scrollIntoView()")
        shot(browser, f"stats-outcomes-{lang}")
        browser.set_window_size(390, 844)
        for name, path in (("gaps-actions", "/gaps?days=7"), ("stats-outcomes", "/stats")):
            open_page(server, browser, path)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 400, f"{name} fits a phone screen ({width}px)"
            if name == "stats-outcomes":
                browser.execute_script("document.querySelector('table.outcomes').scrollIntoView()")
            shot(browser, f"{name}-{lang}-phone")
        browser.set_window_size(1280, 1000)
