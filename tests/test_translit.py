"""Georgian <-> Latin <-> Cyrillic: the national romanisation, best-guess Georgian spelling, and folding."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from bot.knowledge.textnorm import russian_in_latin
from bot.knowledge.translit import (
    CYRILLIC_TO_GEORGIAN,
    GEORGIAN_TO_LATIN,
    LATIN_TO_GEORGIAN,
    fold,
    georgian_to_latin,
    to_georgian,
    to_russian,
)

MODERN_GEORGIAN = "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ"
RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def test_national_romanisation_of_the_whole_alphabet() -> None:
    assert georgian_to_latin(MODERN_GEORGIAN) == "abgdevztiklmnopzhrstupkghqshchtsdztschkhjh"


@pytest.mark.parametrize(
    ("georgian", "latin"),
    [
        ("წყალტუბო", "tsqaltubo"),
        ("ქუთაისი", "kutaisi"),
        ("ჭიათურა", "chiatura"),
        ("მცხეთა", "mtskheta"),
        ("ზუგდიდში ვარ!", "zugdidshi var!"),
        ("ᲑᲐᲗᲣᲛᲘ", "batumi"),  # Mtavruli capitals
        ("Tbilisi 2024", "tbilisi 2024"),
    ],
)
def test_georgian_to_latin(georgian: str, latin: str) -> None:
    assert georgian_to_latin(georgian) == latin


@pytest.mark.parametrize(
    ("text", "georgian"),
    [
        ("tbilisi", "თბილისი"),
        ("kutaisi", "ქუთაისი"),
        ("gamarjoba", "გამარჯობა"),
        ("akhaltsikhe", "ახალციხე"),
        ("mtskheta", "მცხეთა"),
        ("tsqali", "წყალი"),
        ("tskali", "წყალი"),
        ("qvareli", "ყვარელი"),  # official romanisation: q is ყ
        ("ts'q'alt'ubo", "წყალტუბო"),  # apostrophes mark ejectives
        ("ch’iatura", "ჭიათურა"),
        ("shemogvikhede", "შემოგვიხედე"),
        ("zhinvali", "ჟინვალი"),
        ("dzma", "ძმა"),
        ("gh", "ღ"),
        ("wyali", "წყალი"),  # keyboard style: w = წ, y = ყ
        ("rogor xar", "როგორ ხარ"),
        ("qalaqshi wavedi", "ქალაქში წავედი"),  # keyboard style gives itself away (w): q = ქ
        ("Зугдиди", "ზუგდიდი"),
        ("Гурджаани", "გურჯაანი"),
        ("Цкнети", "წყნეთი"),
        ("Телави", "თელავი"),
        ("ბათუმი 5!", "ბათუმი 5!"),
        ("grants gascemt", "გრანტს გასცემთ"),  # a final ts is ტ + the ending ს
    ],
)
def test_to_georgian(text: str, georgian: str) -> None:
    assert to_georgian(text) == georgian


@pytest.mark.parametrize(
    "spellings",
    [
        ["tskaltubo", "tsqaltubo", "Tskhaltubo", "წყალტუბო", "Цхалтубо", "Цкалтубо", "wyaltubo", "ts'q'alt'ubo"],
        ["Kutaisi", "Qutaisi", "qutaisi", "Кутаиси", "ქუთაისი", "KUTAISI"],
        ["Borjomi", "Boržomi", "Боржоми", "ბორჯომი"],
        ["Mtskheta", "mcxeta", "Мцхета", "მცხეთა"],
        ["Zestaponi", "Zestafoni", "Зестафони", "ზესტაფონი"],
        ["Gurjaani", "Gurdjaani", "Гурджаани", "გურჯაანი"],
        ["Chiatura", "Tchiatura", "Чиатура", "ჭიათურა"],
        ["Khashuri", "xashuri", "Хашури", "ხაშური"],
        ["Tskhinvali", "Ts’khinvali", "Цхинвали", "ცხინვალი"],
        ["Tkibuli", "Tqibuli", "tyibuli", "Ткибули", "ტყიბული"],
        ["kakhetshi", "კახეთში"],
        ["pasports", "პასპორტს"],
        ["Kyiv", "Київ"],
        ["Batumi", "ᲑᲐᲗᲣᲛᲘ", "ბათუმი", "Батуми"],
    ],
)
def test_fold_brings_spellings_together(spellings: list[str]) -> None:
    assert len({fold(s) for s in spellings}) == 1, {s: fold(s) for s in spellings}


@pytest.mark.parametrize(("a", "b"), [("Sighnaghi", "Сигнахи"), ("Lagodekhi", "Лагодехи"), ("Tbilisi", "Tblisi")])
def test_fold_keeps_near_spellings_near(a: str, b: str) -> None:
    assert Levenshtein.distance(fold(a), fold(b)) <= 1


def test_fold_keeps_words_apart_and_drops_punctuation() -> None:
    assert fold("Dedoplis-Tskaro") == "dedoplis ckaro"
    assert fold("  Tbilisi!!  2024 ") == "tbilisi 2024"
    assert fold("") == fold("!!!") == fold("🙂") == ""
    assert fold("אבג") == ""  # scripts without a table fold to nothing rather than to noise


def test_every_table_letter_is_covered() -> None:
    assert set(MODERN_GEORGIAN) <= set(GEORGIAN_TO_LATIN)
    assert set(RUSSIAN) <= set(CYRILLIC_TO_GEORGIAN)
    assert set("abcdefghijklmnopqrstuvwxyz") <= set(LATIN_TO_GEORGIAN)
    for letter, latin in GEORGIAN_TO_LATIN.items():
        if latin:
            assert fold(letter) == fold(latin), letter


LETTERS = st.sampled_from(list(MODERN_GEORGIAN + RUSSIAN + RUSSIAN.upper() + "abcdefghijklmnopqrstuvwxyzABCXYZ '-’"))


@given(st.lists(LETTERS, max_size=30).map("".join))
def test_fold_is_a_lowercase_ascii_skeleton(text: str) -> None:
    key = fold(text)
    assert re.fullmatch(r"([0-9a-z]+( [0-9a-z]+)*)?", key)
    assert not re.search(r"([a-z])\1", key)
    assert fold(text.upper()) == key


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz' ", max_size=30))
def test_to_georgian_leaves_no_latin_letters(text: str) -> None:
    assert not re.search(r"[a-z']", to_georgian(text))


@given(st.text(alphabet=RUSSIAN + RUSSIAN.upper() + " ", max_size=30))
def test_to_georgian_leaves_no_cyrillic_letters(text: str) -> None:
    assert not re.search(r"[\u0400-\u04ff]", to_georgian(text))


@given(st.text(alphabet=MODERN_GEORGIAN + " ", max_size=30))
def test_georgian_romanises_to_plain_ascii(text: str) -> None:
    assert re.fullmatch(r"[a-z ]*", georgian_to_latin(text))


@pytest.mark.parametrize(("typed", "read"), [
    ("pomogite pojaluista, muj b'et menya", "помогите пожалуйста, муж бьет меня"),
    ("seichas zakrylas v vannoi s det'mi", "сейчас закрылас в ванной с детьми"),
    ("ya v germanii, ne znayu chto delat", "я в германии, не знаю что делат"),
    # the soft sign left out, щ typed as sh
    ("hozyain bet menya", "хозяин бьет меня"),
    ("menya biut", "меня бьют"),
    ("oni ishut nas", "они ищут нас"),
])
def test_russian_typed_in_latin_letters_reads_in_cyrillic(typed: str, read: str) -> None:
    assert to_russian(typed) == read


@pytest.mark.parametrize("text", ["do i need a visa to work in poland", "dabrunebulebi yvela ertvebian programashi",
                                  "oni da tbilisi", "перезвоните мне"])
def test_only_russian_in_latin_letters_gets_a_russian_reading(text: str) -> None:
    assert russian_in_latin(text) is None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz' ", max_size=30))
def test_to_russian_leaves_no_latin_letters(text: str) -> None:
    assert not re.search(r"[a-z']", to_russian(text))
