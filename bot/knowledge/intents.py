"""What a typed message asks for, from phrases staff write in content/intents.yaml.

A phrase matches when every one of its words is in the message, in any order, with any ending (the language's
stemmer), with one typo in a long word, or as a prefix when the word ends with `*` ("угрож*" matches угрожают
and угрозы). Georgian phrases also match Georgian typed in Latin or Cyrillic letters, through the same
transliteration and folding as the FAQ search; danger told in other words is caught by a model learned from
content/danger.yaml (bot/knowledge/danger.py). The core decides what to do with a match; this module only finds
them, and counts how much of the message they leave unexplained, so that "english please" switches the language
while "do I need English to work in the UK?" stays a question.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.i18n import LANGUAGES
from bot.knowledge.danger import DANGER_AT, MIN_WORDS, OFF_TOPIC_AT, SURE_AT
from bot.knowledge.spoken_numbers import spoken_digits
from bot.knowledge.textnorm import PHONE, STOPWORDS, phrase_tokens, russian_in_latin, tokenize
from bot.knowledge.translit import fold, has_cyrillic, to_georgian

if TYPE_CHECKING:
    from bot.knowledge.danger import DangerModel

__all__ = ["DANGER", "INTENTS", "IntentSpec", "Intents", "IntentsFile", "Match"]

# The intents the core acts on, in the order it considers them.
INTENTS = (
    "urgent", "despair", "cry", "language_ka", "language_en", "language_ru", "forget", "mydata", "callback", "human",
    "centre", "live_in", "greeting", "thanks", "out_of_scope",
)
DANGER = ("urgent", "despair", "cry")  # answered with 112 and the hotline first, before anything else
DANGER_OUTWEIGHS = 3  # danger phrases on separate words that no `unless` cancels
# The same, away from the cancelling words' clauses: "my card is blocked, the boss beats me and won't let me go".
APART_OUTWEIGHS = 2
# Laughter marks a joke ("the boss will kill me if I'm late 😂"): across the tuning sets, some 60 calm messages and
# none of 2,600 dangers carry one. Danger told in several separate ways still counts (DANGER_OUTWEIGHS).
# Laughing emoji (😂🤣😆😹😅😁😄), a laughing face typed (":D", "xD") and laughter typed ("haha", "ахах", "ჰაჰა",
# "lol"); "ხახა" and "xaxa" (also "throat") only repeated or closing a sentence. Not "))": it softens or is bitter
# as often as it laughs.
_LAUGHTER = re.compile("[\U0001F602\U0001F923\U0001F606\U0001F639\U0001F605\U0001F601\U0001F604]|"
                       r"\b(?:a?(?:ha){2,}h?|а?(?:ха){2,}х?|ахах\w*|(?:ჰა){2,}ჰ?|ჰაჰ|ახახ\w*|lol|lmao)\b|"
                       r"\b(?:(?:ხა){3,}ხ?|(?:xa){3,}x?)\b|\b(?:ხახა|xaxa)(?=\s*(?:[.!?\n]|$))|"
                       r"[:;]-?D+(?!\w)|\bxD+\b", re.IGNORECASE)
# Requests that, once matched with fewer than MIN_WORDS other words, leave too little for the danger model to read.
_REQUESTS = ("callback", "human", "centre")
# Requests about the bot itself that, once matched, keep the danger model from reading the message.
_ABOUT_THE_BOT = ("forget", "mydata", "language_ka", "language_en", "language_ru")
ABOUT_BOT_STORY = 4  # other words from which such a request comes with a story the model reads (from OFF_TOPIC_AT)
PHRASE, UNLESS, HINT, REQUEST = "phrase", "unless", "hint", "request"
FUZZY_MIN = 6  # shorter words are too often another real word one letter away
PREFIX_MIN = 3
FORM = "="  # marks a phrase word that matches only the form written (a folded key follows)
FOLDED_MIN = 5
FOLDED_SHORT = 3
# A word that cancels danger ("last year", "what are the signs", "we divorced") speaks for the whole message, but
# not for a clause of its own that turns to the present: "we divorced, but now he threatens to kill me", "last
# year went fine. Now they lock us in at night" ("but" alone turned too many questions about the signs). "Still"
# and "to this day" turn in Georgian ("the same people still threaten me"); so does "since then" (მას მერე: "came
# back long ago and since then he drinks and beats me"), but not "after X happened" (მას შემდეგ, რაც). Most turns
# start a clause of their own wherever they stand ("went long ago and they still keep him locked in").
# A comma before "that" does not end a clause: "В новостях показали, что людей держат взаперти" is one report; a
# second "and that" starts one ("она скучает по мне и что хозяйка её запирает").
_CLAUSE_END = re.compile(r"[.!?;…:\n—]+|,+(?!\s*(?:რომ|რო|что|that)\b)| - |(?=\s(?:და რომ|и что|and that)\b)")
_SENTENCE_END = re.compile(r"[.!?\n]+")
_TURNS = (r"ახლა|ეხლა|ამჟამად|ჯერ კიდევ|ჯერკიდევ|ჯერ კიდე|ჯერაც|დღემდე|დღესაც|ახლაც|მას მერე(?!,? რაც)|"
          r"მას შემდეგ(?!,? რაც)|axla|exla|axlac|jer kidev|dghemde|mas mere(?!,? rac)|сейчас|теперь|now|currently")
# "Again" and "this time" turn a clause, but do not start one inside another: beside "last year" in one clause they
# are still last year ("last year he beat me again, then I ran away").
_AGAIN = r"ამჯერად|ისევ|კვლავ|isev"
_TURN = re.compile(rf"\b({_TURNS}|{_AGAIN})\b", re.IGNORECASE)
_TURN_START = re.compile(rf"(?=\b(?:{_TURNS})\b)", re.IGNORECASE)
SLACK = 3  # other words a phrase's words may have among them
# Characters of a message read, in bounded time: all of Telegram's longest message (4,096), and most of Viber's.
MAX_READ = 4096
# An `unless` phrase cancels only when written much as it stands: "русский не понимаю" must not cancel
# "пишите на русском, грузинский не понимаю".
UNLESS_SLACK = 1
_LATIN = re.compile(r"[A-Za-z]")
# Russian function words that Georgian typed in Cyrillic letters never has ("да" is Georgian "and" too): with one
# of them, a Cyrillic message is Russian, and its words read as Georgian are noise (запись в базе is not ბაზა).
_RUSSIAN_ONLY = STOPWORDS["ru"] - {"да"}

Phrases = Annotated[dict[str, list[str]], Field(default_factory=dict)]


class IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: Phrases
    # Phrases that ask for the intent however long the message is, where `alone` would drop a phrase: "can you
    # answer in russian from now? my father will read it..." asks for Russian; "english" in a long message does not.
    # Their words must stand next to each other, as written.
    requests: Phrases
    # Danger phrases that a cancelling word in another clause does not cancel: told now and unmistakably (locked in
    # now, a threat on one's life, a ransom asked), they count as danger told twice (APART_OUTWEIGHS).
    severe: Phrases
    unless: Phrases  # a match of one of these cancels the intent ("I already asked for a callback")
    # Danger's cancelling words about another matter (enrolling a child at school, a visa expiring, a blocked
    # card, "this queue will kill me"): they cancel the danger phrases of their own clause only, as a question
    # about school says nothing of "my partner beats my son" in the next. Like `unless`, they make the danger
    # model read the whole message from its higher bar (SURE_AT).
    aside: Phrases
    alone: int | None = None  # at most this many other words in the message; None: any message
    # The same for a match made by one word alone ("english", "consultant", "office in"): a lone word is often
    # just part of a question ("the georgian embassy", "a consultation by phone"), a whole phrase rarely is.
    alone_one_word: int | None = None
    phone_number: bool = False  # a message with a phone number and no question ("my number 555 12 34 56")
    # Details that say little alone ("passport", "owe", "at night") but, `hints_needed` different ones in one
    # message, tell the intent as surely as a phrase: danger is often told by its details, never named. One hint
    # may be written several ways, separated by "|" ("passport* | documents"): those count once.
    hints: Phrases
    hints_needed: int = Field(default=2, ge=2)
    # Another intent whose hints count together with these ("forgive me" and "the debt" are two details of
    # danger); the match is this intent's when `hints_needed` of them are its own.
    hints_with: str | None = None
    # The FAQ entry shown after the first reply, instead of the search's answer: the words of someone saying
    # goodbye match unrelated entries (healthcare cover, the 90/180 rule), never the help they need.
    answer: str | None = None
    # The entries that may follow the first reply when the search is unsure: of its choices only these are shown
    # ("locked in a room" comes near an employment contract and the debt entry; under 112 they only distract).
    follow: list[str] = Field(default_factory=list)
    # The menu node shown instead of any one answer: a question as broad as a whole section ("how can I work
    # abroad legally?") is best served by that section's list of questions.
    menu: str | None = None

    @model_validator(mode="after")
    def _languages(self) -> IntentSpec:
        for name in ("phrases", "requests", "severe", "unless", "aside", "hints"):
            unknown = sorted(set(getattr(self, name)) - set(LANGUAGES))
            if unknown:
                raise ValueError(f"{name}: unknown language code(s) {', '.join(unknown)}")
        return self


class IntentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intents: dict[str, IntentSpec]

    @model_validator(mode="after")
    def _known(self) -> IntentsFile:
        # Staff may add intents of their own that open a menu section; any other name must be one the core knows.
        unknown = sorted(name for name, item in self.intents.items() if name not in INTENTS and item.menu is None)
        if unknown:
            raise ValueError(f"unknown intent(s) {', '.join(unknown)}; known: {', '.join(INTENTS)}, or any name "
                             "with a `menu:`")
        for name, item in self.intents.items():
            if item.aside and name not in DANGER:
                raise ValueError(f"{name}: `aside:` is for the danger intents ({', '.join(DANGER)}); "
                                 "use `unless:`")
            if item.hints_with is not None and item.hints_with not in self.intents:
                raise ValueError(f"{name}: hints_with names {item.hints_with!r}, which has no entry here")
        return self


@dataclass(frozen=True)
class Match:
    """The intents a message matched, each with the fewest message words its phrases left unexplained."""

    intents: dict[str, int] = field(default_factory=dict)
    number: bool = False  # the message holds a phone number
    requested: frozenset[str] = frozenset()  # intents asked for in so many words (`requests:`)

    def __contains__(self, intent: str) -> bool:
        return intent in self.intents

    def first(self, names: Iterable[str]) -> str | None:
        return next((name for name in names if name in self.intents), None)


@dataclass(frozen=True)
class _Phrase:
    intent: str
    words: tuple[str, ...]  # exact terms, and prefixes ending with "*"
    kind: str  # PHRASE, REQUEST, UNLESS or HINT
    hint: int = 0  # which hint of its intent and language a HINT phrase is one way of writing
    pool: str = ""  # the intent whose hints a HINT phrase counts with (its own, or `hints_with`)
    # The words as written, folded ("" for a prefix). A request stands as written, as stems join forms that ask
    # nothing (ინგლისურზე გადადი "switch to English" and გადადის "he is switching" share a stem); Georgian typed
    # in other letters meets a word by this form when its guessed letters stem differently (хидзе, ხიდზე).
    written: tuple[str, ...] = ()
    severe: bool = False  # a danger phrase of `severe:`
    aside: bool = False  # a cancelling word of `aside:`
    needed: frozenset[str] = field(init=False)  # the words, for one test of whether all are in the message
    slack: int = field(init=False)  # other words allowed among its words

    def __post_init__(self) -> None:
        object.__setattr__(self, "needed", frozenset(self.words))
        # A word written as one form ("ვალები=") makes the phrase stand as written: its words side by side.
        as_written = self.kind == REQUEST or any(word.startswith(FORM) for word in self.words)
        object.__setattr__(self, "slack", 0 if as_written else UNLESS_SLACK if self.kind == UNLESS else SLACK)


class _LangPhrases:
    """All phrases of one language, indexed by each of their words."""

    def __init__(self, lang: str, phrases: list[_Phrase]) -> None:
        self.lang = lang
        self.phrases = phrases
        self.exact: set[str] = set()
        self.prefixes: set[str] = set()
        self.forms: set[str] = set()  # words that match only as typed (see _phrase_words)
        for phrase in phrases:
            for word in phrase.words:
                if word.startswith(FORM):
                    self.forms.add(word)
                else:
                    (self.prefixes if word.endswith("*") else self.exact).add(word.rstrip("*"))
        # Typos are forgiven against every word but Georgian danger words: one letter turns მოვხვდე (I get in)
        # into მოვკვდე (I die), and the folded reading below already forgives how Georgian is typed.
        fuzzy = self.exact if lang != "ka" else {word for phrase in phrases if phrase.intent not in DANGER
                                                 for word in phrase.words if word in self.exact}
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for word in fuzzy:
            self.by_length[len(word)].append(word)
        # Georgian typed in Latin letters is transliterated by guess (p: პ or ფ? t: თ or ტ?), so long words also
        # meet in the folded, script-blind form; short ones do not (folded, ჩემი "my" and ცემს "beats" are one).
        self.folded: dict[str, set[str]] = defaultdict(set)
        self.folded_prefixes: dict[str, set[str]] = defaultdict(set)
        if lang == "ka":
            # A short word meets by its folded form only inside a phrase of several words ("agar shemidzlia" for
            # აღარ შემიძლია), where the other words make a chance likeness harmless.
            alone = {phrase.words[0] for phrase in phrases if len(phrase.words) == 1}
            forms = {(word, key) for word in self.exact for key in (fold(word),)} | {
                (word, key) for phrase in phrases for word, key in zip(phrase.words, phrase.written, strict=True)
                if key and not word.endswith("*")}
            for word, key in forms:
                if len(key) >= FOLDED_MIN or (len(key) >= FOLDED_SHORT and word not in alone):
                    self.folded[key].add(word)
            for word in self.prefixes:
                if len(key := fold(word)) >= FOLDED_MIN:
                    self.folded_prefixes[key].add(word + "*")
        self.stop = frozenset(t for word in STOPWORDS.get(lang, ()) for _, t in phrase_tokens(word, lang))
        # Only phrases whose first word is in the message can match: looking at those alone is what keeps a
        # message's cost independent of how many phrases staff write.
        self.by_first: dict[str, list[_Phrase]] = defaultdict(list)
        for phrase in phrases:
            self.by_first[phrase.words[0]].append(phrase)

    @lru_cache(maxsize=8192)  # noqa: B019 - one per content version; typed words recur
    def _near(self, term: str) -> str | None:
        if len(term) < FUZZY_MIN:
            return None
        choices = [*self.by_length.get(len(term) - 1, ()), *self.by_length.get(len(term), ()),
                   *self.by_length.get(len(term) + 1, ())]
        found = process.extractOne(term, choices, scorer=OSA.distance, score_cutoff=1)
        return found[0] if found else None

    @lru_cache(maxsize=16384)  # noqa: B019 - one per content version; typed words recur
    def _stands_for(self, surface: str, term: str) -> tuple[str, ...]:
        """The phrase words one message word stands for, in a fixed order (which phrase counts first must not
        depend on the hash seed)."""
        words: list[str] = []
        if self.forms and (form := FORM + fold(surface)) in self.forms:
            words.append(form)
        if term in self.exact:
            words.append(term)
        elif (near := self._near(term)) is not None:
            words.append(near)
        words.extend(surface[:size] + "*" for size in range(PREFIX_MIN, len(surface) + 1)
                     if surface[:size] in self.prefixes)
        if self.folded:
            folded, stem = fold(surface), fold(term)
            for key in (stem,) if stem == folded else (stem, folded):
                words.extend(self.folded.get(key, ()))
            for size in range(FOLDED_MIN, len(folded) + 1):
                words.extend(self.folded_prefixes.get(folded[:size], ()))
        return tuple(words)

    def match(self, text: str) -> tuple[dict[str, tuple[int, int]], set[str], dict[str, set[tuple[str, int]]],
                                        dict[str, int], set[str]]:
        """The intents fired, each with the words it left unexplained and the most words (not counting function
        words) of one phrase that matched; the intents cancelled; the different hints (intent, number) of each
        pool the message holds, on separate words; every intent a phrase named, cancelled or not, with how many
        of its phrases matched on separate words; and the intents a request phrase asked for."""
        tokens = phrase_tokens(text, self.lang)
        if not tokens:
            return {}, set(), {}, {}, set()
        # The phrase words each position of the message stands for.
        at: dict[str, list[int]] = defaultdict(list)
        for position, token in enumerate(tokens):
            for word in self._stands_for(*token):
                at[word].append(position)
        if not at:
            return {}, set(), {}, {}, set()
        named: dict[str, int] = defaultdict(int)
        told: dict[str, set[int]] = defaultdict(set)
        fired: dict[str, set[int]] = {}
        longest: dict[str, int] = defaultdict(int)
        blocked: set[str] = set()
        hint_words: dict[str, set[int]] = defaultdict(set)
        hint_at: dict[tuple[str, int], list[int]] = {}
        hints: dict[str, set[tuple[str, int]]] = defaultdict(set)
        requested: set[str] = set()
        # Danger's cancelling words (of `unless:` and `aside:`) and danger phrases, each by the words it matched
        # (see _TURN).
        cancels: dict[str, list[list[int]]] = defaultdict(list)
        asides: dict[str, list[list[int]]] = defaultdict(list)
        dangers: dict[str, list[list[int]]] = defaultdict(list)
        # Requests as written and the other intents' cancelling words, by the words each matched (see below).
        asks: dict[str, list[list[int]]] = defaultdict(list)
        quiet: dict[str, list[list[int]]] = defaultdict(list)
        severe: set[tuple[int, ...]] = set()  # the words of `severe:` danger phrases' matches
        for phrase in (p for word in at for p in self.by_first.get(word, ())):
            if not at.keys() >= phrase.needed:
                continue
            used = _in_order(phrase.words, at, phrase.slack)
            if used is None:
                continue
            # In another form than written, a request's words are an ordinary phrase of its intent.
            asked = phrase.kind == REQUEST and all(
                not word or word == fold(tokens[i][0]) for word, i in zip(phrase.written, used, strict=True))
            if phrase.kind == UNLESS and phrase.intent in DANGER:
                (asides if phrase.aside else cancels)[phrase.intent].append(used)
            elif phrase.kind == UNLESS:
                blocked.add(phrase.intent)
                fired.pop(phrase.intent, None)
                quiet[phrase.intent].append(used)
            elif phrase.kind == HINT:
                hint = (phrase.intent, phrase.hint)
                if hint not in hints[phrase.pool] and hint_words[phrase.pool].isdisjoint(used):
                    hint_words[phrase.pool].update(used)
                    hints[phrase.pool].add(hint)
                    hint_at[hint] = used
            else:
                if asked:
                    asks[phrase.intent].append(used)
                if told[phrase.intent].isdisjoint(used):
                    told[phrase.intent].update(used)
                    named[phrase.intent] += 1
                if phrase.intent in blocked:
                    continue
                if phrase.intent in DANGER:
                    dangers[phrase.intent].append(used)
                    if phrase.severe:
                        severe.add(tuple(used))
                    continue
                fired.setdefault(phrase.intent, set()).update(used)
                if asked:
                    requested.add(phrase.intent)
                longest[phrase.intent] = max(longest[phrase.intent], self._words(used, tokens))
        clauses = self._clauses(text, tokens) if cancels or asides or asks.keys() & blocked else None
        # A request as written stands in a clause of its own: "пишите по-русски, я учился в русской школе" asks
        # for Russian, though "учился" (studied) cancels the intent in a question about language skills.
        for intent in asks.keys() & blocked:
            assert clauses is not None
            clause = clauses[0]
            cancelled = {clause[i] for used in quiet[intent] for i in used}
            standing = [used for used in asks[intent] if all(clause[i] not in cancelled for i in used)]
            if standing:
                blocked.discard(intent)
                for used in standing:
                    fired.setdefault(intent, set()).update(used)
                    longest[intent] = max(longest[intent], self._words(used, tokens))
                requested.add(intent)
        for intent, found in dangers.items():
            if clauses is not None and (intent in cancels or intent in asides):
                clause, turns = clauses
                quiet = {clause[i] for used in (*cancels.get(intent, ()), *asides.get(intent, ())) for i in used}
                apart = [used for used in found if all(clause[i] not in quiet for i in used)]
                ways = _separate(apart) + any(tuple(used) in severe for used in apart)
                found = apart if intent not in cancels or ways >= APART_OUTWEIGHS else [
                    used for used in apart if all(clause[i] in turns for i in used)]
            for used in found:
                fired.setdefault(intent, set()).update(used)
                longest[intent] = max(longest[intent], self._words(used, tokens))
        blocked.update(intent for intent in cancels.keys() | asides.keys() if intent not in fired)
        content = [i for i, (_, term) in enumerate(tokens) if term not in self.stop]
        left = {intent: (sum(1 for i in content if i not in used), longest[intent])
                for intent, used in fired.items() if intent not in blocked}
        # Danger's clues outside the clauses of words about another matter still count as danger told by several
        # details (DANGER_OUTWEIGHS): "how do I enrol my son at school? the boss keeps our passports, has not paid
        # us since spring and locks the gate at night".
        aside_only = (blocked & asides.keys()) - cancels.keys()
        clause = clauses[0] if clauses is not None else []
        aside_clauses = {clause[i] for intent in aside_only for used in asides[intent] for i in used}
        kept = {pool: {h for h in found if h[0] not in blocked or (
                    h[0] in aside_only and all(clause[i] not in aside_clauses for i in hint_at[h]))}
                for pool, found in hints.items()}
        return left, blocked, kept, named, requested - blocked

    def _words(self, used: list[int], tokens: list[tuple[str, str]]) -> int:
        return sum(1 for i in used if tokens[i][1] not in self.stop)  # "office in" is one word

    def _clauses(self, text: str, tokens: list[tuple[str, str]]) -> tuple[list[int], set[int]]:
        """Each word's clause, and the clauses that turn (see _TURN); one clause when the clauses, read apart,
        do not give the same words."""
        parts = [piece for part in _CLAUSE_END.split(text) for piece in _TURN_START.split(part) if piece.strip()]
        numbers = [n for n, part in enumerate(parts) for _ in phrase_tokens(part, self.lang)]
        if len(numbers) != len(tokens):
            return [0] * len(tokens), set()
        return numbers, {n for n, part in enumerate(parts) if _TURN.search(part)}


def _serious(text: str) -> str:
    """The message without the sentences laughter closes ("" when it is all one joke); a sentence that starts
    with laughter is all joke ("😂😂 the boss will kill me if I'm late")."""
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        parts = _LAUGHTER.split(sentence)
        if len(parts) > 1 and any(part.strip() for part in parts[:-1]) and parts[-1].strip():
            kept.append(parts[-1].strip())
        elif len(parts) == 1 and sentence.strip():
            kept.append(sentence.strip())
    return ". ".join(kept)


def _separate(found: list[list[int]]) -> int:
    """How many of the phrases' matches stand on words of their own."""
    taken: set[int] = set()
    count = 0
    for used in found:
        if taken.isdisjoint(used):
            taken.update(used)
            count += 1
    return count


def _in_order(words: tuple[str, ...], at: dict[str, list[int]], slack: int) -> list[int] | None:
    """Positions of the phrase's words in the message, in the phrase's order, with at most `slack` other words
    among them."""
    window = len(words) - 1 + slack
    for first in at[words[0]]:
        used = [first]
        for word in words[1:]:
            following = [p for p in at[word] if used[-1] < p <= first + window]
            if not following:
                break
            used.append(following[0])
        else:
            return used
    return None


class Intents:
    """Built once per content version; `match` is cheap enough to run on every typed message."""

    def __init__(self, spec: IntentsFile, danger: DangerModel | None = None) -> None:
        self.spec = spec
        self._danger = danger
        per_lang: dict[str, list[_Phrase]] = defaultdict(list)
        for intent, item in spec.intents.items():
            for kind, phrases, severe, aside in (
                    (PHRASE, item.phrases, False, False), (PHRASE, item.severe, True, False),
                    (REQUEST, item.requests, False, False), (UNLESS, item.unless, False, False),
                    (UNLESS, item.aside, False, True), (HINT, item.hints, False, False)):
                for lang, texts in phrases.items():
                    for number, text in enumerate(texts):
                        for way in text.split("|") if kind == HINT else (text,):
                            pairs = _phrase_words(way, lang)
                            if pairs:
                                written = tuple(fold(surface) if surface else "" for _, surface in pairs)
                                per_lang[lang].append(_Phrase(intent, tuple(word for word, _ in pairs), kind,
                                                              number, item.hints_with or intent, written, severe,
                                                              aside))
        self._langs = [_LangPhrases(lang, phrases) for lang, phrases in per_lang.items()]
        self._alone = {name: item.alone for name, item in spec.intents.items() if item.alone is not None}
        self._alone_one_word = {name: item.alone_one_word for name, item in spec.intents.items()
                                if item.alone_one_word is not None}
        self._phone = [name for name, item in spec.intents.items() if item.phone_number]
        self._hints_needed = {name: item.hints_needed for name, item in spec.intents.items()
                              if item.hints and not item.hints_with}
        self._hints_with = {item.hints_with: name for name, item in spec.intents.items() if item.hints_with}
        self._last: tuple[tuple[str, str | None] | None, Match] = (None, Match())

    def answer(self, match: Match) -> str | None:
        """The entry a matched intent names to follow its first reply, if any."""
        return next((item.answer for name, item in self.spec.intents.items()
                     if item.answer is not None and name in match), None)

    def follow(self, match: Match) -> frozenset[str] | None:
        """The entries a matched intent allows among the choices after its first reply; None: any."""
        allowed = [set(item.follow) for name, item in self.spec.intents.items() if item.follow and name in match]
        return frozenset().union(*allowed) if allowed else None

    def menu(self, match: Match) -> str | None:
        """The menu node a matched intent names, if any."""
        return next((item.menu for name, item in self.spec.intents.items()
                     if item.menu is not None and name in match), None)

    def match(self, text: str, lang: str | None = None) -> Match:
        """The intents of `text` from someone who chose `lang`; the last answer is kept, since the engine and the
        flow both ask per message."""
        if (text, lang) == self._last[0]:
            return self._last[1]
        match = self._read(text[:MAX_READ], lang)
        self._last = ((text, lang), match)
        return match

    def _read(self, text: str, lang: str | None, model: bool = True) -> Match:
        found: dict[str, int] = {}
        longest: dict[str, int] = defaultdict(int)
        hints: dict[str, int] = defaultdict(int)
        own: dict[str, int] = defaultdict(int)
        blocked: set[str] = set()
        named: dict[str, int] = defaultdict(int)
        requested: set[str] = set()
        cyrillic = has_cyrillic(text)
        scripts = {"en": _LATIN.search(text) is not None, "ru": cyrillic,
                   "ka": not cyrillic or _RUSSIAN_ONLY.isdisjoint(tokenize(text))}
        # Russian typed in Latin letters ("pomogite, muj b'et menya") is read in Cyrillic by the Russian phrases.
        russian = russian_in_latin(text, chosen=lang == "ru") or text
        for phrases in self._langs:
            reading = russian if phrases.lang == "ru" else text
            if not scripts.get(phrases.lang, True) and reading is text:
                continue  # English phrases need Latin letters, Russian ones Cyrillic; Georgian is read from any
            fired, cancelled, hinted, said, asked = phrases.match(reading)
            blocked |= cancelled
            requested |= asked
            for intent, count in said.items():
                named[intent] = max(named[intent], count)
            for pool, found_hints in hinted.items():
                # Latin-typed Georgian may meet one word in two languages: the better reading counts
                hints[pool] = max(hints[pool], len(found_hints))
                joined = self._hints_with.get(pool)
                own[pool] = max(own[pool], sum(1 for intent, _ in found_hints if intent == joined))
            for intent, (left, words) in fired.items():
                found[intent] = min(left, found.get(intent, left))
                longest[intent] = max(longest[intent], words)
        # Latin letters are read as English and as Georgian: a message one reading finds ours ("where is your
        # office ... which metro station") is not off-topic by the other's word.
        if "out_of_scope" in blocked:
            found.pop("out_of_scope", None)
        laughing = _LAUGHTER.search(text) is not None
        if laughing:
            blocked.update(DANGER)
            for intent in DANGER:
                found.pop(intent, None)
            # The laughter speaks for the sentence it closes, not for what the message says after it: "still alive
            # 😅 they feed us every other day, we can't go out".
            serious = _serious(text)
            told = self._read(serious, lang, model=False).first(DANGER) if serious else None
            if told is not None:
                blocked.discard(told)
                found[told] = 0
                longest[told] = 2
        # Danger told in several separate ways outweighs words that would cancel one of them: "last year" in
        # "came back last year ... now her employer took her phone, doesn't let her out and hits her".
        for intent in DANGER:
            if intent in blocked and named.get(intent, 0) >= DANGER_OUTWEIGHS:
                blocked.discard(intent)
                found[intent] = 0
                longest[intent] = 2
        for pool, needed in self._hints_needed.items():
            if hints[pool] < needed:
                continue
            joined = self._hints_with.get(pool)
            # Unless a phrase of the pool's own intent already decided what the message is (and what follows it).
            mine = joined is not None and own[pool] >= needed and pool not in found and joined not in blocked
            intent = joined if mine else pool
            # As with phrases, danger told by several different details outweighs a word that would cancel it
            # ("lol, seriously now: a man in Berlin takes her money, sends her somewhere at night, her face bruised").
            outweighs = intent in DANGER and hints[pool] >= DANGER_OUTWEIGHS
            if intent not in found and (intent not in blocked or outweighs):
                found[intent] = 0
                longest[intent] = needed
        # A cry for help counts only alone ("help!"); with other words, the model reads them as it would.
        for intent in DANGER:
            if found.get(intent, 0) > self._limit(intent, longest[intent]):
                del found[intent]
        # The model, for danger no phrase names; over a word that cancels danger only when sure (SURE_AT); not on
        # a message about something we do not cover (football, the weather; from OFF_TOPIC_AT when the off-topic
        # word is only a detail of a long message), where a short "они сегодня..." reads like "they", nor on a
        # request about the bot itself ("delete everything I wrote, I don't want it stored"), nor on a request
        # that leaves too few words to read danger from ("ukukavshiri minda telefonit").
        about = [found[k] for k in _ABOUT_THE_BOT if k in found and found[k] <= self._limit(k, longest[k])]
        # A story beside it is read, from a higher bar: "delete everything I wrote, that man is still here and
        # watches me" is someone whose phone is watched.
        # Nor on a phone number in words ("five seven seven, one one..."), which reads like nothing it learned.
        spoken = spoken_digits(text)
        unread = any(left < ABOUT_BOT_STORY for left in about) or any(
            found.get(k, MIN_WORDS) < MIN_WORDS for k in _REQUESTS) or (
            spoken is not None and len(PHONE.sub(" ", spoken).split()) < MIN_WORDS)
        # Laughter cancels like a word of the past: only a sure model outweighs it ("lol they took our passports 😂,
        # the boss says we owe for the ticket"); of the tuning sets' laughing calm messages none scored above 0.76.
        # Georgian typed in Cyrillic letters is read by the model in Georgian script, as it learned Georgian.
        at = DANGER_AT if blocked.isdisjoint(DANGER) else SURE_AT
        if "out_of_scope" in found:
            at = max(at, OFF_TOPIC_AT)
        if about:
            at = max(at, OFF_TOPIC_AT)
        off_topic = found.get("out_of_scope", math.inf) <= self._limit("out_of_scope", longest["out_of_scope"])
        if model and self._danger is not None and "urgent" in self.spec.intents and not found.keys() & DANGER \
                and not unread and not off_topic \
                and (self._danger.says(text, at)
                     or (cyrillic and scripts["ka"] and self._danger.says(to_georgian(text), at))):
            found["urgent"] = 0
            longest["urgent"] = 2  # as sure as a phrase
        # A number left without a question is a request to be called on it; so is a number beside "call me",
        # even after "how long must I wait?" (which alone asks about a request). With a question and no such
        # words, the question is answered (or declined with the callback button) and the number is only redacted.
        number = PHONE.search(text) is not None or PHONE.search(spoken or "") is not None
        if self._phone and number:
            for intent in self._phone:
                if named.get(intent) or ("?" not in text and intent not in blocked):
                    found[intent] = 0
                    longest[intent] = 2  # a number is as clear as a phrase
        # A request explains the whole message: whatever else it says is why ("my father will read it"). It does
        # not make the message one about the bot, so danger the model reads in it still comes first.
        return Match({k: v for k, v in found.items()
                      if v <= self._limit(k, longest[k]) or (k in requested and k not in blocked)}, number,
                     frozenset(requested - blocked))

    def _limit(self, intent: str, words: int) -> float:
        """How many other words a match of `words` words may leave in the message."""
        if words <= 1 and intent in self._alone_one_word:
            return self._alone_one_word[intent]
        return self._alone.get(intent, math.inf)


def _phrase_words(text: str, lang: str) -> tuple[tuple[str, str], ...]:
    """Each word's term (a prefix ends with "*"; a word written "ვალები=" is that form alone, in any script: not
    ვალების, "of the debts") and its surface ("" for a prefix or a form), once per term."""
    words: dict[str, str] = {}
    for raw in text.split():
        if raw.endswith("=") and (tokens := phrase_tokens(raw[:-1], lang)):
            words.setdefault(FORM + fold(tokens[0][0]), "")
        elif raw.endswith("*"):
            tokens = phrase_tokens(raw[:-1], lang)
            if tokens:
                words.setdefault(tokens[0][0] + "*", "")
        else:
            for surface, term in phrase_tokens(raw, lang):
                words.setdefault(term, surface)
    return tuple(words.items())
