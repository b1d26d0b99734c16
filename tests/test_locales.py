"""Every interface message is extracted, translated in every language, not fuzzy, and keeps its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import REPO_ROOT
from bot.i18n import LANGUAGES, Catalogues

LOCALES = REPO_ROOT / "locales"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _code_messages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO_ROOT), method_map=[("bot/**.py", "python"),
                                                                       ("bot/desk/templates/**.html", "jinja2")]):
        found.add(message[0] if isinstance(message, tuple | list) else message)
    return found


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return read_po(fh)


def test_template_is_up_to_date() -> None:
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(LOCALES / "bot.pot") if m.id}
    in_code = _code_messages()
    assert in_code - template == set(), "run pybabel extract (see README): new messages are not in locales/bot.pot"
    assert template - in_code == set(), "run pybabel extract (see README): bot.pot has messages no longer in code"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_translated(lang: str) -> None:
    template = [m for m in _catalog(LOCALES / "bot.pot") if m.id]
    catalog = _catalog(LOCALES / lang / "LC_MESSAGES" / "bot.po")
    problems = []
    for message in template:
        found = catalog.get(message.id)
        if found is None:
            problems.append(f"missing: {message.id!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        strings = found.string if isinstance(found.string, tuple | list) else [found.string]
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        singular = message.id if isinstance(message.id, str) else message.id[0]
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(singular)):
                problems.append(f"placeholders differ: {singular!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_translator_falls_back_to_georgian_then_english(tmp_path: Path) -> None:
    for lang, text in (("ka", 'msgid "Only here"\nmsgstr "მხოლოდ აქ"\n'), ("ru", ""), ("en", "")):
        po = tmp_path / lang / "LC_MESSAGES" / "bot.po"
        po.parent.mkdir(parents=True)
        po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + text, encoding="utf-8")
    catalogues = Catalogues(tmp_path)
    assert catalogues.translator("ru").gettext("Only here") == "მხოლოდ აქ"
    assert catalogues.translator("ru").gettext("Nowhere") == "Nowhere"


def test_numbers_follow_the_language() -> None:
    catalogues = Catalogues()
    assert catalogues.translator("en").number(1234.5) == "1,234.5"
    assert catalogues.translator("ru").number(1234.5) == "1\xa0234,5"
