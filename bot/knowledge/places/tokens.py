"""Typed text cut into words, each with its folded key, script, case-ending variants and stopword flag."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.knowledge.translit import fold, has_cyrillic, has_georgian

_MAX_TOKENS = 40

# Georgian case endings and postpositions (ზუგდიდში, ქუთაისიდან, გორის, ბათუმამდე, ბათუმელი), the same typed
# in Latin ("batumshi", "qutaisidan"), and Russian noun and adjective endings ("в Москве", "Кутаисский").
_KA_SUFFIXES = "ისთვის თვის ისკენ კენ ისგან გან იდან დან ამდე მდე შიც ში ზე თან ელები ელი ის ით ად მა ს".split()
_LATIN_SUFFIXES = "istvis isken isgan idan dan amde mde shic shi ze tan elebi eli is it ad s".split()
_RU_ENDINGS = (
    "ами ями ах ях ом ем ой ей ою ию ии ия ую е у ю ы и а я ь ский ского скому ским ском ская ской скую ское ские ских"
).split()
_VILLAGE_MARKERS = frozenset(
    fold(w) for w in "village sofeli sopeli sof სოფელი სოფელ სოფ село селе деревня деревне поселок посёлок".split()
)

# Words never read as a place inside a sentence: some spell a place (они ~ Oni) or lie one typo away from one.
# A text of a single word is still looked up exactly, whatever it is.
_STOPWORDS_TEXT = """
a about after again all also am an and any are as at be been before but by can could did do does doing
done down for from get got had has have he her here him his how i if in into is it its just me more
most my no not now of off on once only or other our out over own same she should so some such than that the
their them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your hi hello hey please thanks thank want need like know tell
live living lived stay staying come came go going near nearest close closest around home town city
village region country centre center office help work job visa working abroad return returned back leave
find im iam ok okay yes sir madam dear good morning evening day today tomorrow address phone
number call callback question family children wife husband mother father son daughter brother sister
document documents passport money contract legal illegal employment migrant migration reintegration
business study school university hospital police embassy consulate border airport bus train ticket
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь там потом себя
ничего ей может они тут где есть надо ней для мы тебя их чем была сам без будет тогда кто этот того потому
этого какой здесь этом один мой тем чтобы сейчас были куда можно при после над больше тот через эти нас про
всего них какая много это живу живем живём нахожусь находимся рядом около возле недалеко город городе село
селе деревня район области область регион центр центра ближайший ближайшего адрес телефон работа работу визу
виза помощь помогите здравствуйте привет добрый день пожалуйста спасибо хочу нужно вернулся вернулась
და რა როგორ რომ თუ არ ეს ის მე შენ ჩვენ თქვენ მინდა არის აქვს მაქვს სად ვინ რატომ უნდა კი ან მაგრამ ვარ ხარ
იყო ამ იმ ჩემი გამარჯობა გთხოვთ მადლობა ვცხოვრობ ვცხოვრობთ ვიმყოფები ახლოს მახლობლად ქალაქი ქალაქში
სოფელი სოფელში რაიონი რეგიონი ცენტრი ცენტრთან უახლოესი მისამართი ტელეფონი სამსახური ვიზა დახმარება
var xar aris sad minda gamarjoba madloba vcxovrob vtskhovrob vimkofebi akhlos axlos maxloblad makhloblad
kalaki qalaqi kalakshi qalaqshi sofeli sopeli centri tsentri rogor ra ar ro tu da mainteresebs
georgia грузия грузии საქართველო საქართველოში sakartvelo saqartvelo
артём артем владимир charlotte austin florence victoria
"""
_STOPWORDS = frozenset(k for k in (fold(w).replace(" ", "") for w in _STOPWORDS_TEXT.split()) if k)
# Many villages share their name with an ordinary word (Poka ~ пока, Koda ~ кода, Mami ~ мами, Khomi ~ ხომ). Inside
# a sentence of more than _SHORT_ANSWER words a village is read only with a cue: one of these words just before
# it ("в селе Дарчели", "I live in Ruispiri", "სოფელ ..."), a village or municipality word after it, or a
# Georgian "in/from/to" case ending on it ("ჭკადუაშში", "ruispiridan").
_PLACE_CUES = frozenset(
    fold(w) for w in """in from near at village live living lived born ვცხოვრობ ვცხოვრობთ ვიმყოფები სოფელი სოფელ სოფ
                        დაბა vcxovrob vtskhovrob sofeli sopeli в во из около возле рядом под село селе села деревня
                        деревне поселок посёлок поселке живу живем живём родом""".split()
)
_AFTER_CUES = frozenset(
    fold(w) for w in "village sofeli sopeli municipality district raion სოფელი მუნიციპალიტეტი რაიონი село район".split()
)
_WHERE_ENDINGS = {
    "ka": ("ში", "შიც", "დან", "იდან", "ამდე", "მდე"),
    "lat": ("shi", "shic", "dan", "idan", "amde", "mde"),
}
_SHORT_ANSWER = 3
# Words that, beside a place name, only say where one is, greet or ask for the office there: "Gori", "I'm from Gori"
# and "Gori office?" all ask for the centre.
_WHERE_WORDS = frozenset(
    fold(w) for w in """i im am from in at near here live me my is the to please hi hello hey village town city region
                        municipality district sopeli sofeli sof var vart aq aqa vcxovrob vcxovrobt vtskhovrob axlos
                        akhlos gamarjoba raioni qalaqi kalaki ვარ ვართ აქ აქა ვცხოვრობ ვცხოვრობთ ახლოს მე სოფელი სოფ
                        ქალაქი რაიონი მუნიციპალიტეტი გამარჯობა я мы в во из с тут здесь живу живем живём нахожусь
                        село селе деревня поселок город городе район рядом около привет здравствуйте office
                        centre center address where nearest closest any have you is there ofisi centri misamarti
                        sad axlo akhlo romelia gaqvt aris ოფისი ცენტრი ცენტრის მისამართი სად ახლო უახლოესი რომელია გაქვთ
                        არის офис офиса центр адрес где ближайший есть у вас სოფელ ქალაქ sofel sopel qalaq kalak
                        რაიონში სოფელში ქალაქში raionshi sofelshi qalaqshi municipaliteti sop ak aka gakvt გაქვს gaqvs
                        vtsxovrob ვიმყოფები vimyofebi ჩვენ chven გამარჯობათ gamarjobat სალამი salami ოფისის ofisis
                        centris ოფისია ofisia uaxloesi uakhloesi გთხოვთ gtxovt пожалуйста г ქ посёлок деревне поселке
                        районе проживаю находимся сейчас здравствуй центра офисе подскажите""".split()
)

# A capitalised common word right after one of these is read as the place it also spells: "я живу в Они" (Oni),
# "в городе Они".
_PLACE_PREPOSITIONS = frozenset(
    fold(w) for w in "в во из около возле под город городе село селе деревня деревне поселок посёлке поселке "
                     "in from near at".split()
)



@dataclass(frozen=True, slots=True)
class _Token:
    key: str  # folded
    raw: str  # lower-case letters as typed, to tell apart names that fold alike (ათენი / ატენი)
    script: str  # "ka", "ru" or "lat"
    upper: bool  # an acronym: США, USA
    capital: bool  # written with a capital first letter
    variants: tuple[str, ...]  # folded, with a case ending or inflection removed
    raw_variants: tuple[str, ...]
    stop: bool



def _key(text: str) -> str:
    return fold(text).replace(" ", "")



_APOSTROPHES = re.compile(r"[’ʼ'`ʻ]")
_WORD = re.compile(r"[^\W_]+")
_NOT_LETTER = re.compile(r"[\W_]+")
_VOWELS = frozenset("aeiouაეიოუаеиоуыэюяё")
_FOLDED_KA_SUFFIXES = tuple(sorted({fold(s) for s in _KA_SUFFIXES}, key=len, reverse=True))
_ENDINGS = {
    script: tuple(sorted(endings, key=len, reverse=True))
    for script, endings in (("ka", _KA_SUFFIXES), ("lat", _LATIN_SUFFIXES), ("ru", _RU_ENDINGS))
}


def _plain(text: str) -> str:
    """Lower-case letters only: the spelling as typed, where `fold` would merge ტ and თ."""
    return _NOT_LETTER.sub("", unicodedata.normalize("NFKC", text).lower().replace("ё", "е"))


def _cued(tokens: list[_Token], start: int, size: int, endings: bool = True) -> bool:
    """Whether the words around tokens[start:start+size] say it is a place (see _PLACE_CUES)."""
    last = tokens[start + size - 1]
    where = _WHERE_ENDINGS.get(last.script, ()) if endings else ()
    if any(last.raw.endswith(e) and len(last.raw) > len(e) + 2 for e in where):
        return True
    before = tokens[max(0, start - 2) : start]
    after = tokens[start + size : start + size + 1]
    return any(t.key in _PLACE_CUES for t in before) or any(t.key in _AFTER_CUES for t in after)


def _named_place(tokens: list[_Token], index: int) -> bool:
    """A capitalised word right after a place preposition: named as a place even if it is also a common word."""
    return index > 0 and tokens[index].capital and tokens[index - 1].key in _PLACE_PREPOSITIONS


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for word in _WORD.findall(_APOSTROPHES.sub("", text[:400]))[:_MAX_TOKENS]:
        key = _key(word)
        if not key:
            continue
        script = "ka" if has_georgian(word) else "ru" if has_cyrillic(word) else "lat"
        raw = _plain(word)
        variants, raw_variants = _variants(raw, key, script)
        upper = word.isupper() and len(word) > 1
        tokens.append(_Token(key, raw, script, upper, word[0].isupper(), variants, raw_variants, key in _STOPWORDS))
    return tokens


@lru_cache(maxsize=16_384)
def _variants(raw: str, key: str, script: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The word with one ending removed, every way that applies, longest ending first: folded and as typed."""
    minimum = 3 if script == "ru" else 2
    raw_variants = [raw[: -len(e)] for e in _ENDINGS[script] if raw.endswith(e) and len(raw) - len(e) >= minimum]
    folded = [_key(v) for v in raw_variants]
    if script == "lat":
        # Keyboard-style Latin ("batumSi") only shows its endings once folded.
        folded += [key[: -len(s)] for s in _FOLDED_KA_SUFFIXES if key.endswith(s) and len(key) - len(s) >= 2]
    return tuple(dict.fromkeys(v for v in folded if v and v != key)), tuple(dict.fromkeys(raw_variants))

