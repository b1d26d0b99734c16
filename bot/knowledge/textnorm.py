"""Light per-language normalisation so that a question and an FAQ entry meet on the same terms.

People type informally: Georgian in Latin or Cyrillic letters, Russian with any inflection, English with
plurals. Each language gets one analyser turning text into search terms; the index and the query use the same
analyser, so a term only has to be normalised consistently, not linguistically perfectly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, partial

import snowballstemmer

from bot.knowledge.translit import fold, has_cyrillic, has_georgian, to_georgian, to_russian

__all__ = [
    "LANGS",
    "PHONE",
    "STOPWORDS",
    "analyse",
    "analyse_pairs",
    "analyser",
    "phrase_tokens",
    "place_terms",
    "russian_in_latin",
    "stem",
    "stem_ka",
    "tokenize",
]

LANGS = ("ka", "en", "ru")
# A phone number: nine digits or more, spaced or dashed as people write them (555 12 34 56, +995-32-2913461).
PHONE = re.compile(r"(?:\+?\d[\s\-().]{0,2}){9,}")

_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"[a-zA-Z]")
_PLACEHOLDER = re.compile(r"\{\w+\}")
_GEORGIAN = re.compile(r"[\u10d0-\u10ff]")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """
        a about above after again all also am an and any are as at be been before being below between both
        but by can could did do does doing done down during each few for from further had has have having he
        her here hers him his how i if in into is it its itself just me more most my myself no nor not now of
        off on once only or other our ours out over own same she should so some such than that the their
        them then there these they this those through to too under until up very was we were what when where
        which while who whom why will with would you your yours yourself s t don doesn didn isn aren wasn
        can't cannot im ive id hi hello hey please thanks thank pls plz want wanted wants need needs needed
        would like know tell say said anyone someone something anything get got getting way ok okay dear
        regards yes question questions ask asking let us one many much won wont dont doesnt didnt cant im ive
        """.split()
    ),
    "ru": frozenset(
        """
        и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её мне
        было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до
        вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их
        чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой
        совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при
        наконец два об другой хоть после над больше тот через эти нас про всего них какая много разве три эту
        моя впрочем хорошо свою этой перед иногда лучше чуть том такой им более всегда конечно всю между это
        здравствуйте привет добрый день пожалуйста подскажите скажите подскажи скажи хочу хотел хотела хотим
        нужно нужен нужна нужны спасибо ли какие какое каких сколько как-то вопрос можете могу могут узнать
        знать есть ваш ваши вашей мои моё мое мою моим
        """.split()
    ),
    "ka": frozenset(
        """
        და რა როგორ რომ თუ არ ეს ის მე შენ ჩვენ თქვენ მინდა მინდოდა გვინდა შემიძლია შეიძლება შეგიძლიათ არის
        აქვს მაქვს როდის სად ვინ რატომ რამდენი რამდენ უნდა კი ხომ ან მაგრამ ვარ ხარ იყო ამ იმ რომელი ჩემი
        ჩემს ჩემთვის თქვენი გამარჯობა გთხოვთ მადლობა ძალიან ასევე უკვე კიდევ მაინც ნუ ვერ ხო არა დიახ
        როგორც მერე თუკი ან თან ჰო აი ეგ ეგი რაღაც რამე ვინმე სადმე რით რისი რის რას ვის ჩემო მითხარით
        მითხარი მაინტერესებს მაინტერესებდა გამიგია ვიცი ვიცოდე გავიგო გაიგოთ იცით კითხვა კითხვები მქონდა
        ბატონო ქალბატონო სალამი მოგესალმებით გეთაყვა ხართ არიან ყველა ყველაფერი რაიმე ჩემზე ჩემგან ჩემთან
        ჩემ მისი მის მას მათ მათი ამის იმის ამას იმას თქვენს თქვენთვის თქვენთან ჩვენი ჩვენს ახლა ვქნა
        რო ეხლა კიდე მარა კაცო რავა ეგრე ეგეთი მაგის ქე ძაან აბა ვაფშე ვაბშე კაროჩე ტიპა
        """.split()
    ),
}
# Words that show Latin letters spell Russian: function words of three letters or more, less those that Georgian
# or English typed in Latin also spell (chem "my", sam "three", net, Tom, pro), and common openers.
_RUSSIAN_IN_LATIN = frozenset(w for w in STOPWORDS["ru"] if len(w) >= 3) - {
    "они", "чем", "сам", "нет", "том", "про", "его"} | {
    "пожалуйста", "пожалуста", "давайте", "можно", "помогите", "здравствуйте", "спасибо", "нужно", "надо", "хочу",
    "подскажите", "скажите", "сколько", "почему", "знаю", "работа", "помощь", "сейчас", "это",
    "думаю", "собой", "вижу", "могу", "живу", "хочется", "жить", "жит", "умереть", "умерет",
    # frequent words, some as typed without the soft sign ("skolko", "nelzya")
    "сколко", "нелзя", "никуда", "ничего", "говорят", "должна", "должен",
    "перезвоните", "перезвонить", "перезвонит", "позвоните", "позвонить",
    # a cry or a threat in two or three words ("spasite", "hozyain grozit ubit")
    "помоги", "спасите", "грозит", "грозится", "угрожает", "убить", "убьет"}

_KA_STOP_FOLDED = frozenset(fold(word) for word in STOPWORDS["ka"])
_SNOWBALL = {"en": snowballstemmer.stemmer("english"), "ru": snowballstemmer.stemmer("russian")}

# Georgian nouns take case endings and postpositions as suffixes: ვიზა, ვიზის, ვიზით, ვიზაზე, ვიზებისთვის.
# A postposition replaces the case it governs, so after one is removed only plural and stem vowels go.
_KA_POSTPOSITIONS = tuple(
    sorted(
        "ისთვის თვის ისკენ კენ ისგან გან იდან დან ამდე მდე ივით ვით ში ზე თან ებში ებზე".split(),
        key=len,
        reverse=True,
    )
)
_KA_CASES = tuple(
    sorted("ებისა ების ებით ებმა ებად ებს ები ებო ისა ის ით თა მა ად ს მ დ ი ა ე ო უ".split(), key=len, reverse=True)
)
# An ending written after a hyphen belongs to the word before it ("10-დან", "english-ზე", "SMS-ით"): alone it
# would read as a word of its own (დან is also the stem of დანა, a knife).
_KA_HYPHENED_ENDING = re.compile(
    "-(?:" + "|".join(sorted({*_KA_POSTPOSITIONS, *_KA_CASES, "მდე"}, key=len, reverse=True)) + ")(?![ა-ჰ])")
# The same typed in Latin letters ("10-dan", "english-ze").
_KA_HYPHENED_ENDING_LATIN = re.compile(r"-(?:istvis|tvis|idan|dan|amde|mde|shi|ze|tan|gan|it|is|ad)(?![a-z])", re.I)
_KA_VOWELS = "აეიოუ"
_KA_MIN_STEM = 3


def tokenize(text: str) -> list[str]:
    """Lower-case words and numbers; placeholders like {hotline} are markup, not words."""
    text = unicodedata.normalize("NFKC", _PLACEHOLDER.sub(" ", text)).lower().replace("ё", "е")
    return _WORD.findall(text)


def russian_in_latin(text: str, chosen: bool = False) -> str | None:
    """Russian typed in Latin letters ("ya v germanii, ne znayu chto delat"), read in Cyrillic; None for any other
    text. A Russian function word of three letters or more, or a word only Russian has, must show it: short ones
    are also English or Georgian typed in Latin ("i", "da", "to", "no", "oni"). `chosen`: the person chose
    Russian, so Latin letters are Russian without such a word ("zaperli v podvale")."""
    if has_cyrillic(text) or has_georgian(text) or _LATIN.search(text) is None:
        return None
    reading = to_russian(text)
    return reading if chosen or not _RUSSIAN_IN_LATIN.isdisjoint(tokenize(reading)) else None


def _strip_one(token: str, suffixes: tuple[str, ...]) -> tuple[str, bool]:
    for suffix in suffixes:
        if token.endswith(suffix) and len(token) - len(suffix) >= _KA_MIN_STEM:
            return token[: -len(suffix)], True
    return token, False


def stem_ka(token: str) -> str:
    """Remove a Georgian postposition or case ending, the plural -ებ and trailing stem vowels."""
    if len(token) <= _KA_MIN_STEM or not _GEORGIAN.search(token):
        return token
    token, had_postposition = _strip_one(token, _KA_POSTPOSITIONS)
    if not had_postposition:
        token, _ = _strip_one(token, _KA_CASES)
    token, _ = _strip_one(token, ("ებ",))
    while len(token) > _KA_MIN_STEM and token[-1] in _KA_VOWELS:
        token = token[:-1]
    return token


@lru_cache(maxsize=200_000)
def stem(token: str, lang: str) -> str:
    """The search term for one lower-cased token in `lang`."""
    if lang == "ka":
        return stem_ka(token)
    stemmer = _SNOWBALL.get(lang)
    if stemmer is None or token.isdigit():
        return token
    return str(stemmer.stemWord(token))


_FOREIGN_LETTER = re.compile(r"[a-zA-Z\u0400-\u04ff]")
_TYPED_WORD = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*")
_APOSTROPHES = re.compile(r"['’ʼ`]")
_FOREIGN_STOPWORDS = STOPWORDS["en"] | STOPWORDS["ru"]


@lru_cache(maxsize=200_000)
def _georgian_pair(token: str) -> tuple[str, str]:
    return fold(token), fold(stem_ka(token))


def _georgian_tokens(text: str) -> list[str]:
    # Words typed in Latin or Cyrillic letters are transliterated together (one guess per text at the
    # keyboard habit), except English and Russian function words, which would only become Georgian-looking
    # noise; Georgian words that look the same are function words too (me, da, an).
    text = _KA_HYPHENED_ENDING_LATIN.sub("", _KA_HYPHENED_ENDING.sub("", _PLACEHOLDER.sub(" ", text)))
    words = _TYPED_WORD.findall(unicodedata.normalize("NFKC", text).lower())
    foreign = [i for i, word in enumerate(words) if _FOREIGN_LETTER.search(word)]
    if foreign:
        dropped = {i for i in foreign if _APOSTROPHES.sub("", words[i]) in _FOREIGN_STOPWORDS}
        kept = [i for i in foreign if i not in dropped]
        converted = to_georgian(" ".join(words[i] for i in kept)).split(" ")
        if len(converted) != len(kept):
            converted = [to_georgian(words[i]) for i in kept]
        for i, word in zip(kept, converted, strict=True):
            words[i] = word
        words = [word for i, word in enumerate(words) if i not in dropped]
    return [token for word in words for token in _WORD.findall(word)]


def _georgian_pairs(text: str) -> list[tuple[str, str]]:
    # Transliterated, stemmed in Georgian script, then folded to a skeleton so that the letters informal
    # typing confuses (თ/ტ, ქ/კ/ყ, ც/წ/ჩ/ჭ, ფ/პ ...) still meet.
    pairs: list[tuple[str, str]] = []
    for token in _georgian_tokens(text):
        surface, term = _georgian_pair(token)
        if surface and term and surface not in _KA_STOP_FOLDED:
            pairs.append((surface, term))
    return pairs


def analyse_pairs(text: str, lang: str) -> list[tuple[str, str]]:
    """(word as typed, search term) pairs; the typed word is kept for typo matching before stemming."""
    if lang == "ka":
        return _georgian_pairs(text)
    stop = STOPWORDS.get(lang, frozenset())
    pairs: list[tuple[str, str]] = []
    for token in tokenize(text):
        if token in stop:
            continue
        term = stem(token, lang)
        if term and term not in stop:
            pairs.append((token, term))
    return pairs


def phrase_tokens(text: str, lang: str) -> list[tuple[str, str]]:
    """(word, term) pairs with function words kept: "call me", "можно на русском" are phrases too.

    The word is what prefix patterns are compared with: lower-cased, and for Georgian in Georgian letters.
    """
    if lang == "ka":
        # In Georgian letters, not folded: folded, ჩემი (my) and ცემს (beats) would be one word.
        return [(token, stem(token, lang)) for token in _georgian_tokens(text)]
    return [(token, stem(token, lang)) for token in tokenize(text)]


def analyse(text: str, lang: str) -> list[str]:
    """Search terms for `text` as seen by the `lang` analyser (Georgian transliterates Latin/Cyrillic first)."""
    return [term for _, term in analyse_pairs(text, lang)]


# Where someone works, worked or lives is usually a detail of the question, not its topic: "my employer in Italy
# took my passport" is about the passport, "a train from Tbilisi to Kutaisi" is not about the centres there.
# Place names still match, but weigh little (see search.py).
_PLACE_NAMES = """
    germany германия გერმანია italy италия იტალია greece греция საბერძნეთი spain испания ესპანეთი
    france франция საფრანგეთი poland польша პოლონეთი turkey турция თურქეთი israel израиль ისრაელი
    america usa сша америка ამერიკა აშშ britain england великобритания англия ინგლისი ბრიტანეთი
    belgium бельгия ბელგია netherlands holland нидерланды голландия ნიდერლანდები ჰოლანდია austria австрия
    ავსტრია czechia чехия ჩეხეთი russia россия რუსეთი ukraine украина უკრაინა cyprus кипр კვიპროსი
    portugal португалия პორტუგალია ireland ирландия ირლანდია sweden швеция შვედეთი switzerland швейцария
    შვეიცარია bulgaria болгария ბულგარეთი lithuania литва ლიტვა latvia латвия ლატვია estonia эстония
    ესტონეთი norway норвегия ნორვეგია denmark дания დანია finland финляндия ფინეთი romania румыния
    რუმინეთი hungary венгрия უნგრეთი slovakia словакия სლოვაკეთი croatia хорватия ხორვატია canada
    канада კანადა azerbaijan азербайджан აზერბაიჯანი armenia армения სომხეთი kazakhstan казахстан
    ყაზახეთი emirates эмираты ემირატები dubai дубай დუბაი japan япония იაპონია korea корея კორეა
    athens афины ათენი paris париж პარიზი berlin берлин ბერლინი milan милан მილანი madrid мадрид
    მადრიდი barcelona барселона ბარსელონა istanbul стамбул სტამბოლი moscow москва მოსკოვი london
    лондон ლონდონი warsaw варшава ვარშავა munich мюнхен მიუნხენი vienna вена ვენა brussels брюссель
    ბრიუსელი amsterdam амстердам ამსტერდამი prague прага პრაღა thessaloniki салоники სალონიკი
    tbilisi тбилиси თბილისი batumi батуми ბათუმი kutaisi кутаиси ქუთაისი rustavi рустави რუსთავი zugdidi
    зугдиди ზუგდიდი gori гори გორი telavi телави თელავი poti поти ფოთი zestaponi зестафони ზესტაფონი
    samtredia самтредиа სამტრედია khashuri хашури ხაშური senaki сенаки სენაკი marneuli марнеули მარნეული
    ozurgeti озургети ოზურგეთი akhaltsikhe ахалцихе ახალციხე kobuleti кобулети ქობულეთი
    """.split()


@lru_cache(maxsize=8)
def place_terms(lang: str) -> frozenset[str]:
    """Search terms, as the `lang` analyser makes them, of foreign countries and cities migrants go to."""
    return frozenset(t for name in _PLACE_NAMES for t in analyse(name, lang) if len(t) >= 4)


def analyser(lang: str) -> Callable[[str], list[tuple[str, str]]]:
    """A one-argument `analyse_pairs` for `lang`, for building an index per language (picklable, so a built
    index can be cached)."""
    return partial(analyse_pairs, lang=lang)
