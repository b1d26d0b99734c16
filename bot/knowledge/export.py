"""`hotline content export-examples`: the editors' decisions from the desk written into the content files, where
they are reviewed and versioned like any other edit.

Examples go into their entry's `examples:` list in its own FAQ file; out-of-scope questions into
`out_of_scope.yaml`. The files are edited in place by inserting lines, never by dumping the YAML again, so
comments, quoting and layout stay exactly as staff wrote them (PyYAML cannot keep comments, and a round-trip
library would be a new dependency for one command). Each new line is a double-quoted scalar after the list's
last item, at that item's indentation. Every edited file is read back before it is written: if it does not
parse to the old data plus the new examples (a list in flow style, a multi-line item), the file is left alone
and its examples go into a separate review file instead, to be pasted by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.i18n import LANGUAGES
from bot.knowledge.decisions import Decided
from bot.knowledge.loader import OUT_OF_SCOPE_FILE
from bot.knowledge.redact import normalise_question
from bot.knowledge.yamlread import YamlDoc, read_yaml

__all__ = ["ExportResult", "export_decisions"]

OUT_OF_SCOPE_HEADER = """\
# Questions the hotline does not answer here, as editors decided them in the desk's content gaps
# (written by `hotline content export-examples`; review them like any edit). Each question, and one typed
# nearly the same way, is declined honestly with the hotline and the callback button instead of searched.
# Topics rather than questions (weather, football, ...) belong in intents.yaml under out_of_scope.

questions:
"""


@dataclass
class ExportResult:
    written: dict[str, int] = field(default_factory=dict)  # file -> lines added
    already: int = 0  # decisions the files already had
    unknown: list[str] = field(default_factory=list)  # entries no longer in the content
    review: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # entry -> lang -> examples to paste


@dataclass
class _Insert:
    after: int  # 1-based line after which the lines go (0: at the start)
    lines: list[str]
    block: bool = False  # a new language's list: after any items added to the list it follows


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one), on one line whatever the text holds."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def _item_indent(line: str) -> str | None:
    stripped = line.lstrip(" ")
    return line[: len(line) - len(stripped)] if stripped.startswith("- ") else None


def _one_line_item(doc: YamlDoc, lines: list[str], loc: tuple[Any, ...], value: Any) -> bool:
    """Whether the list item at `loc` is written on its own single line (so a line can follow it)."""
    number = doc.lines.get(loc)
    if number is None or _item_indent(lines[number - 1]) is None:
        return False
    try:
        return bool(yaml.safe_load(lines[number - 1].lstrip(" ")[2:]) == value)
    except yaml.YAMLError:
        return False


def _append_to_list(doc: YamlDoc, lines: list[str], loc: tuple[Any, ...], current: list[Any],
                    texts: list[str]) -> _Insert | None:
    """Lines after the last item of the block list at `loc`, or None when it is not one to extend safely."""
    if not current:
        return None
    last = (*loc, len(current) - 1)
    if not _one_line_item(doc, lines, last, current[-1]):
        return None
    indent = _item_indent(lines[doc.lines[last] - 1]) or ""
    return _Insert(doc.lines[last], [f"{indent}- {_quoted(t)}\n" for t in texts])


def _new_language(doc: YamlDoc, lines: list[str], loc: tuple[Any, ...], mapping: dict[str, Any], lang: str,
                  texts: list[str]) -> _Insert | None:
    """A new `lang:` list after the last language of the block mapping at `loc` (laid out like that one)."""
    block = [(k, v) for k, v in mapping.items() if isinstance(v, list) and v]
    if not block:
        return None
    key, items = block[-1]
    key_line, last = doc.lines.get((*loc, key)), (*loc, key, len(items) - 1)
    if key_line is None or not _one_line_item(doc, lines, last, items[-1]):
        return None
    key_text = lines[key_line - 1]
    key_indent = key_text[: len(key_text) - len(key_text.lstrip(" "))]
    indent = _item_indent(lines[doc.lines[last] - 1]) or ""
    if not key_text.lstrip(" ").startswith(f"{key}:"):
        return None
    return _Insert(doc.lines[last], [f"{key_indent}{lang}:\n", *(f"{indent}- {_quoted(t)}\n" for t in texts)],
                   block=True)


def _apply(lines: list[str], inserts: list[_Insert]) -> str:
    for insert in sorted(inserts, key=lambda i: (i.after, i.block), reverse=True):
        lines[insert.after:insert.after] = insert.lines
    text = "".join(lines)
    return text if text.endswith("\n") else text + "\n"


def _reads_back(text: str, expected: dict[tuple[Any, ...], list[str]]) -> bool:
    """The edited text parses, and each edited list is its old items plus the new ones."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    for loc, wanted in expected.items():
        node: Any = data
        for part in loc:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return False
        if node != wanted:
            return False
    return True


def _new(existing: Iterable[str], texts: Iterable[str]) -> list[str]:
    seen = {normalise_question(x) for x in existing}
    fresh = []
    for text in texts:
        key = normalise_question(text)
        if key and key not in seen:
            seen.add(key)
            fresh.append(" ".join(text.split()))
    return fresh


def _export_examples(directory: Path, wanted: dict[str, dict[str, list[str]]], result: ExportResult) -> None:
    for path in sorted((directory / "faq").glob("*.yaml")):
        doc = read_yaml(path)
        entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
        if not isinstance(entries, list):
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        inserts: list[_Insert] = []
        expected: dict[tuple[Any, ...], list[str]] = {}
        placed: list[tuple[str, str, list[str]]] = []  # (entry, language, texts) inserted in this file
        for position, entry in enumerate(entries):
            fid = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(fid, str) or fid not in wanted:
                continue
            examples = entry.get("examples") if isinstance(entry.get("examples"), dict) else {}
            for lang, texts in wanted.pop(fid).items():
                have = examples.get(lang) if isinstance(examples.get(lang), list) else []
                fresh = _new(have, texts)
                result.already += len(texts) - len(fresh)
                if not fresh:
                    continue
                loc = ("entries", position, "examples")
                insert = _append_to_list(doc, lines, (*loc, lang), have, fresh) if have else \
                    _new_language(doc, lines, loc, examples, lang, fresh)
                if insert is None:
                    result.review.setdefault(fid, {}).setdefault(lang, []).extend(fresh)
                    continue
                inserts.append(insert)
                expected[(*loc, lang)] = [*have, *fresh]
                placed.append((fid, lang, fresh))
        if not inserts:
            continue
        text = _apply(lines, inserts)
        if _reads_back(text, expected):
            path.write_text(text, encoding="utf-8")
            result.written[str(path)] = sum(len(i.lines) for i in inserts)
        else:
            for fid, lang, fresh in placed:
                result.review.setdefault(fid, {}).setdefault(lang, []).extend(fresh)
    result.unknown.extend(sorted(wanted))


def _export_out_of_scope(directory: Path, wanted: dict[str, list[str]], result: ExportResult) -> None:
    path = directory / OUT_OF_SCOPE_FILE
    if not wanted:
        return
    if not path.exists():
        body = "".join(f"  {lang}:\n" + "".join(f"    - {_quoted(t)}\n" for t in _new([], texts))
                       for lang, texts in sorted(wanted.items()))
        path.write_text(OUT_OF_SCOPE_HEADER + body, encoding="utf-8")
        result.written[str(path)] = body.count("\n")
        return
    doc = read_yaml(path)
    questions = doc.data.get("questions") if isinstance(doc.data, dict) else None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if not isinstance(questions, dict):
        result.review["(out of scope)"] = wanted
        return
    inserts: list[_Insert] = []
    expected: dict[tuple[Any, ...], list[str]] = {}
    for lang, texts in wanted.items():
        have = questions.get(lang) if isinstance(questions.get(lang), list) else []
        fresh = _new(have, texts)
        result.already += len(texts) - len(fresh)
        if not fresh:
            continue
        insert = _append_to_list(doc, lines, ("questions", lang), have, fresh) if have else \
            _new_language(doc, lines, ("questions",), questions, lang, fresh)
        if insert is None:
            result.review.setdefault("(out of scope)", {}).setdefault(lang, []).extend(fresh)
            continue
        inserts.append(insert)
        expected[("questions", lang)] = [*have, *fresh]
    if inserts:
        text = _apply(lines, inserts)
        if _reads_back(text, expected):
            path.write_text(text, encoding="utf-8")
            result.written[str(path)] = sum(len(i.lines) for i in inserts)
        else:
            for (_, lang), texts in expected.items():
                have = questions.get(lang) if isinstance(questions.get(lang), list) else []
                result.review.setdefault("(out of scope)", {}).setdefault(lang, []).extend(texts[len(have):])


def export_decisions(directory: Path, decisions: Iterable[Decided]) -> ExportResult:
    """Writes the decisions into the content files under `directory`; what cannot go in place is returned under
    `review` (entry -> language -> texts) for a separate file."""
    examples: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    declined: dict[str, list[str]] = defaultdict(list)
    for item in decisions:
        if item.lang not in LANGUAGES:
            continue
        if item.out_of_scope:
            declined[item.lang].append(item.text)
        else:
            examples[item.faq_id][item.lang].append(item.text)
    result = ExportResult()
    _export_examples(Path(directory), {k: dict(v) for k, v in examples.items()}, result)
    _export_out_of_scope(Path(directory), dict(declined), result)
    return result
