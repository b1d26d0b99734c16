"""Phone numbers written out in words, in the three languages and both Georgian scripts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.spoken_numbers import spoken_digits, spoken_runs


@pytest.mark.parametrize(("text", "digits"), [
    ("five nine nine, two one, four four, eight seven", "599214487"),
    ("five hundred ninety nine one two three four five six", "599123456"),
    ("oh five nine nine one two three four five", "059912345"),
    ("пять девять девять, двенадцать, тридцать четыре, пятьдесят шесть", "599123456"),
    ("пятьсот девяносто девять сто двадцать три сорок пять шестьдесят семь", "5991234567"),
    ("ხუთას ოთხმოცდაცხრამეტი თორმეტი ოცდათოთხმეტი ორმოცდაექვსი", "599123446"),
    ("xuti cxra cxra ocdaerti otxmocdaati samocdaati", "599219070"),
])
def test_a_number_said_in_groups_is_read_as_its_digits(text: str, digits: str) -> None:
    assert [found for _, _, found in spoken_runs(text)] == [digits]


@pytest.mark.parametrize("text", [
    "i have two kids and one wife",
    "мне тридцать пять лет, двое детей и одна внучка",
    "ოცდაათი წლის ვარ, ორი შვილი მყავს",
    "one two three four five six",  # six digits: not yet a phone number
    "five nine nine and then I lost the rest, two one",
])
def test_numbers_that_are_not_phone_numbers_stay_words(text: str) -> None:
    assert spoken_digits(text) is None


def test_the_rest_of_the_message_is_kept() -> None:
    assert spoken_digits("my number is five nine nine, one two, three four, five six. call after six") == (
        "my number is 599123456. call after six")


@given(st.text(max_size=200))
def test_any_text_is_read_without_error_and_runs_lie_inside_it(text: str) -> None:
    for start, end, digits in spoken_runs(text):
        assert 0 <= start < end <= len(text) and digits.isdigit() and len(digits) >= 7
