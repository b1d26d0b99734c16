"""Core Replies -> Viber send_message payloads, within Viber's limits.

Viber shows only the keyboard of the last message it received, so the buttons of every Reply in one answer are
merged into a single keyboard on the last message (a location request followed by "all centres" stays usable).
Keyboards are a 6-column grid; a core row becomes one keyboard row (at most 3 buttons wide, for legibility).
A keyboard taller than Viber allows is paged: the rows that do not fit move behind a "More" button, and the
whole keyboard travels in the message's `tracking_data`, which Viber returns with the user's next message, so the
next page can be drawn on any worker without server-side state.

Limits (Viber REST bot API docs): text 7,000 characters; request 30 KB; sender name 28 characters;
tracking_data 4,000 characters; button Columns 1-6, Rows 1-2, Text 250 characters (may hold HTML, so labels
are escaped); a keyboard at most 12 rows in portrait mode; `location-picker` and `share-phone` need API level 3.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from bot.channels.viber_client import dumps
from bot.core.events import Button, ButtonAction, Reply

__all__ = [
    "BUTTON_MARK",
    "KEYBOARD_ROWS",
    "MAX_BUTTON_TEXT",
    "MAX_REQUEST_BYTES",
    "MAX_SENDER_NAME",
    "MAX_TEXT",
    "MAX_TRACKING_DATA",
    "MORE_MARK",
    "PageTexts",
    "Sender",
    "button_text",
    "decode_keyboard",
    "encode_keyboard",
    "merged_rows",
    "needs_paging",
    "page_payload",
    "parse_more",
    "render",
    "render_welcome",
    "split_text",
]

log = logging.getLogger(__name__)

MAX_TEXT = 7000
MAX_REQUEST_BYTES = 30_000  # Viber: 30 KB per request; kept a little under 30 KiB
TEXT_BYTES = 20_000  # leaves room for keyboard and tracking data in the same request
MAX_SENDER_NAME = 28
MAX_TRACKING_DATA = 4000
MAX_BUTTON_TEXT = 250
GRID_COLUMNS = 6
ROW_BUTTONS = 3
KEYBOARD_ROWS = 12
REQUEST_API_VERSION = 3
BUTTON_MARK = "#"  # ActionBody of a reply button: "#" + the core's button data
MORE_MARK = "#!more:"  # ActionBody of the paging button: MORE_MARK + page number
TRACKING_PREFIX = "kb1:"

_ACTION_TYPES = {
    ButtonAction.CALLBACK: "reply",
    ButtonAction.LOCATION: "location-picker",
    ButtonAction.CONTACT: "share-phone",
}
_ACTION_CODES = {ButtonAction.CALLBACK: "c", ButtonAction.LOCATION: "l", ButtonAction.CONTACT: "p"}
_CODE_ACTIONS = {code: action for action, code in _ACTION_CODES.items()}

Row = tuple[Button, ...]


@dataclass(frozen=True)
class Sender:
    name: str
    avatar: str | None = None

    def as_dict(self) -> dict[str, str]:
        sender = {"name": self.name[:MAX_SENDER_NAME] or "Bot"}
        if self.avatar:
            sender["avatar"] = self.avatar
        return sender


@dataclass(frozen=True)
class PageTexts:
    """Translated words for paging; only needed when a keyboard has more than one page."""

    more: str
    first: str
    heading: str  # "{page}" and "{pages}" are filled in


def button_text(label: str, limit: int | None = MAX_BUTTON_TEXT) -> str:
    """Viber button Text may hold HTML: escape it, then cut (never inside an entity) to the limit."""
    escaped = html.escape(label, quote=False)
    if limit is None or len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def split_text(text: str, max_chars: int = MAX_TEXT, max_bytes: int = TEXT_BYTES) -> list[str]:
    """Splits at paragraph, then line, then word boundaries so each part fits both limits."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= max_chars and len(rest.encode("utf-8")) <= max_bytes:
            parts.append(rest)
            break
        window = _fitting_prefix(rest, max_chars, max_bytes)
        cut = next((found for found in (window.rfind(sep) for sep in ("\n\n", "\n", " "))
                    if found > len(window) // 3), len(window))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def _fitting_prefix(text: str, max_chars: int, max_bytes: int) -> str:
    window = text[:max_chars]
    while len(window.encode("utf-8")) > max_bytes:
        window = window[: max(1, len(window) * max_bytes // len(window.encode("utf-8")) - 1)]
    return window


def merged_rows(replies: list[Reply]) -> list[Row]:
    """All buttons of one answer, in order; a row repeated (two navigation rows) is kept once, at its last place."""
    rows = [row for reply in replies for row in reply.buttons if row]
    unique: list[Row] = []
    for row in reversed(rows):
        if row not in unique:
            unique.insert(0, row)
    return unique


def _grid(rows: list[Row]) -> list[Row]:
    """Core rows cut to at most ROW_BUTTONS buttons, each piece one keyboard row."""
    return [row[i : i + ROW_BUTTONS] for row in rows for i in range(0, len(row), ROW_BUTTONS)]


def _is_fixed(row: Row) -> bool:
    """Navigation rows (back, menu, person) stay on every page."""
    return all(b.action is ButtonAction.CALLBACK and b.data.startswith("n:") for b in row)


def _split_fixed(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    end = len(rows)
    while end > 0 and _is_fixed(rows[end - 1]):
        end -= 1
    return rows[:end], rows[end:]


def _pages(rows: list[Row]) -> tuple[list[list[Row]], list[Row]]:
    body, fixed = _split_fixed(rows)
    if len(body) + len(fixed) <= KEYBOARD_ROWS:
        return [body], fixed
    size = max(1, KEYBOARD_ROWS - len(fixed) - 1)
    return [body[i : i + size] for i in range(0, len(body), size)], fixed


def needs_paging(replies: list[Reply]) -> bool:
    return len(_pages(_grid(merged_rows(replies)))[0]) > 1


def _button(button: Button, columns: int) -> dict[str, Any]:
    action = _ACTION_TYPES[button.action]
    body = BUTTON_MARK + button.data if button.action is ButtonAction.CALLBACK else action
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": action,
        "ActionBody": body,
        "Text": button_text(button.label),
        "TextSize": "regular",
        "Silent": True,
    }


def _row(row: Row) -> list[dict[str, Any]]:
    width = GRID_COLUMNS // len(row)
    buttons = [_button(b, width) for b in row]
    buttons[-1]["Columns"] += GRID_COLUMNS - width * len(row)
    return buttons


def _more(label: str, page: int) -> dict[str, Any]:
    return {"Columns": GRID_COLUMNS, "Rows": 1, "ActionType": "reply", "ActionBody": f"{MORE_MARK}{page}",
            "Text": button_text(label), "TextSize": "regular", "Silent": True}


def _keyboard(pages: list[list[Row]], fixed: list[Row], page: int, texts: PageTexts | None) -> dict[str, Any]:
    buttons = [b for row in pages[page] for b in _row(row)]
    if len(pages) > 1 and texts is not None:
        last = page == len(pages) - 1
        buttons.append(_more(texts.first if last else texts.more, 0 if last else page + 1))
    buttons += [b for row in fixed for b in _row(row)]
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}


def encode_keyboard(rows: list[Row]) -> str:
    """Every row of a paged keyboard, compressed, for tracking_data; rows that do not fit are dropped from the end."""
    body, fixed = _split_fixed(rows)
    while True:
        data = [[[b.label, b.data, _ACTION_CODES[b.action]] for b in row] for row in (*body, *fixed)]
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        token = TRACKING_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")
        if len(token) <= MAX_TRACKING_DATA or not body:
            return token
        log.warning("keyboard of %d rows too large for tracking_data; dropping the last row", len(body))
        body = body[:-1]


def decode_keyboard(tracking_data: str | None) -> list[Row] | None:
    """The rows stored by `encode_keyboard`, or None when the data is missing or not ours."""
    if not tracking_data or not tracking_data.startswith(TRACKING_PREFIX):
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(tracking_data[len(TRACKING_PREFIX) :]))
        data = json.loads(raw)
        return [tuple(Button(str(label), str(value), _CODE_ACTIONS[code]) for label, value, code in row)
                for row in data]
    except (ValueError, TypeError, KeyError, zlib.error):
        return None


def parse_more(text: str) -> int | None:
    """The page asked for by a paging button press, or None for any other text."""
    if not text.startswith(MORE_MARK):
        return None
    number = text[len(MORE_MARK) :]
    return int(number) if number.isdigit() else None


def _with_keyboard(message: dict[str, Any], rows: list[Row], page: int, texts: PageTexts | None) -> None:
    pages, fixed = _pages(_grid(rows))
    page = min(page, len(pages) - 1)
    message["keyboard"] = _keyboard(pages, fixed, page, texts)
    if len(pages) > 1:
        message["tracking_data"] = encode_keyboard(rows)
    if any(b.action is not ButtonAction.CALLBACK for row in pages[page] + fixed for b in row):
        message["min_api_version"] = REQUEST_API_VERSION


def _base(sender: Sender) -> dict[str, Any]:
    return {"sender": sender.as_dict()}


def _text(sender: Sender, text: str) -> dict[str, Any]:
    return {**_base(sender), "type": "text", "text": text}


def render(replies: list[Reply], sender: Sender, texts: PageTexts | None = None) -> list[dict[str, Any]]:
    """send_message payloads (without `receiver`) for one answer of the core; the keyboard rides on the last."""
    messages: list[dict[str, Any]] = []
    for reply in replies:
        if reply.venue is not None:
            venue = reply.venue
            messages.append({**_base(sender), "type": "location",
                             "location": {"lat": venue.latitude, "lon": venue.longitude}})
        text = reply.text or (f"{reply.venue.title}\n{reply.venue.address}" if reply.venue else "")
        messages += [_text(sender, part) for part in split_text(text)]
    rows = merged_rows(replies)
    if not rows:
        return messages
    if not messages:
        messages.append(_text(sender, "⬇️"))
    _with_keyboard(messages[-1], rows, 0, texts)
    return _fit_last(messages, sender)


def _fit_last(messages: list[dict[str, Any]], sender: Sender) -> list[dict[str, Any]]:
    """Moves text off the keyboard message until that request fits Viber's size cap."""
    last = messages[-1]
    if last.get("type") != "text" or len(dumps(last)) <= MAX_REQUEST_BYTES:
        return messages
    budget = MAX_REQUEST_BYTES - len(dumps({**last, "text": ""})) - 16
    parts = split_text(last["text"], max_bytes=max(budget, 1000))
    return [*messages[:-1], *[_text(sender, p) for p in parts[:-1]], {**last, "text": parts[-1]}]


def page_payload(rows: list[Row], page: int, sender: Sender, texts: PageTexts) -> dict[str, Any]:
    """The message answering a "More" press: a short heading with the requested page of the stored keyboard."""
    pages, _ = _pages(_grid(rows))
    page = min(max(page, 0), len(pages) - 1)
    message = _text(sender, texts.heading.format(page=page + 1, pages=len(pages)))
    _with_keyboard(message, rows, page, texts)
    return message


def render_welcome(replies: list[Reply], sender: Sender, texts: PageTexts | None = None) -> dict[str, Any] | None:
    """The single message Viber lets a bot send before subscription, as the body of the HTTP answer."""
    if not replies:
        return None
    parts = []
    for reply in replies:
        if reply.venue is not None:
            parts.append(f"{reply.venue.title}\n{reply.venue.address}")
        if reply.text:
            parts.append(reply.text)
    text = "\n\n".join(parts).strip() or "⬇️"
    message = _text(sender, split_text(text)[0])
    rows = merged_rows(replies)
    if rows:
        _with_keyboard(message, rows, 0, texts)
    return message
