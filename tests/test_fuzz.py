"""Random event sequences across every flow and language: nothing escapes, every event is answered,
and the session always stays loadable."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import runtime
from bot.config import Settings
from bot.core.events import Contact, Event, Kind, Location, SessionKey
from bot.core.flows.navigation import COMMANDS
from bot.knowledge.loader import ContentHolder
from tests.conftest import CONTENT_DIR

_content = ContentHolder(CONTENT_DIR)
_content.reload()
_ids = itertools.count()


def _known_buttons() -> list[str]:
    content = _content.current
    data = [f"m:{n}" for n in content.nodes] + [f"f:{f}" for f in list(content.faqs)[:10]]
    data += ["n:home", "n:back", "n:human", "l:ka", "l:en", "l:ru", "a:centres", "a:callback", "a:eligibility",
             "a:language", "a:hotline", "c:all", "c:c:kutaisi", "c:none", "p:show", "p:forget", "p:yes", "p:no",
             "cb:start", "cb:start:reint_medical", "cb:agree", "cb:decline", "cb:back", "cb:cancel", "cb:confirm",
             "e:start", "q:y:legal_agency_check", "q:n:legal_agency_check"]
    return data


texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["Kutaisi", "ზუგდიდში", "Москва", "how do I get a work visa", "samushao viza", "+995 555 12 34 56",
                     "Nino", "2024-05", "<b>hi</b>", "'; DROP TABLE sessions; --", "🙂🙂", "\x00\x07\u202e",
                     "\ud83d half"]),
    st.just("x" * 10_000),
)
events = st.one_of(
    st.builds(lambda t: (Kind.TEXT, {"text": t}), texts),
    st.builds(lambda d: (Kind.BUTTON, {"data": d}),
              st.one_of(st.sampled_from(_known_buttons()), st.text(max_size=70))),
    st.builds(lambda c: (Kind.COMMAND, {"data": c}), st.sampled_from([*COMMANDS, "nonsense", ""])),
    st.builds(lambda lat, lon: (Kind.LOCATION, {"location": Location(lat, lon)}),
              st.one_of(st.floats(-90, 90), st.floats()), st.one_of(st.floats(-180, 180), st.floats())),
    st.builds(lambda p, own: (Kind.CONTACT, {"contact": Contact(p, is_own=own)}),
              st.one_of(st.text(max_size=30), st.just("+995555123456")), st.sampled_from([True, False, None])),
    st.just((Kind.UNSUPPORTED, {})),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(events, min_size=1, max_size=25), lang=st.sampled_from(["ka", "en", "ru", None]))
def test_random_sequences_never_break_the_bot(tmp_path_factory: object, sequence: list, lang: str | None) -> None:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")  # type: ignore[attr-defined]

    async def play() -> None:
        settings_ = Settings(data_dir=data_dir, content_dir=CONTENT_DIR, flood_messages_per_10s=10_000)
        async with runtime(settings_, watch_content=False, content=_content) as rt:
            key = SessionKey("fuzz", "u1")
            for kind, fields in sequence:
                event = Event(key=key, kind=kind, update_id=str(next(_ids)), platform_language=lang, **fields)
                replies = await rt.engine.handle(event)
                assert replies, f"no reply to {kind} {fields!r:.80}"
                assert all(r.text or r.venue for r in replies)
                assert "something went wrong" not in replies[0].text, f"{kind} {fields!r:.80} failed"
                for reply in replies:
                    for row in reply.buttons:
                        for button in row:
                            assert len(button.data.encode()) <= 64, button.data
                assert await rt.store.load_session(key) is not None

    asyncio.run(play())
