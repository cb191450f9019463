from __future__ import annotations

import pytest

from warta.core.translate.segment import (
    join_sentences,
    segmenter_language,
    split_sentences,
    strip_space,
)

ROUND_TRIP = [
    "",
    "   ",
    "No full stop",
    "One. Two.",
    "  Leading space. Trailing space.  ",
    "Mr. Smith paid $3.5m in the U.S. yesterday.  He  left.\n\nNext paragraph!\tTab? Yes.",
    "“We will rebuild the school,” the governor said. “Soon.”",
    "Harga naik 3,5% pada 2023, kata biro itu. Siapa yang membayar? Belum ada yang tahu!",
    "Line one\nLine two\r\nLine three",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
@pytest.mark.parametrize("lang", ["en", "id"])
def test_split_then_join_is_lossless(text: str, lang: str) -> None:
    assert join_sentences(split_sentences(text, lang)) == text


def test_split_keeps_abbreviations_and_numbers_inside_sentences() -> None:
    text = "Mr. Smith paid $3.5m in the U.S. yesterday. He left."
    assert split_sentences(text, "en") == [
        "Mr. Smith paid $3.5m in the U.S. yesterday. ",
        "He left.",
    ]


def test_whitespace_between_sentences_stays_with_the_sentence_before() -> None:
    assert split_sentences("A b c.  D e f!\n\nG h?", "en") == ["A b c.  ", "D e f!\n\n", "G h?"]


def test_indonesian_uses_english_rules() -> None:
    assert segmenter_language("id") == "en"
    assert segmenter_language("en-GB") == "en"
    assert split_sentences("Harga naik. Dia pergi.", "id") == ["Harga naik. ", "Dia pergi."]


def test_empty_and_blank_text() -> None:
    assert split_sentences("", "en") == []
    assert split_sentences(" \n", "en") == [" \n"]


@pytest.mark.parametrize("piece", ["  Hello world. ", "x", "   ", "\nA\n"])
def test_strip_space_parts_concatenate_back(piece: str) -> None:
    lead, core, trail = strip_space(piece)
    assert lead + core + trail == piece
    assert core == piece.strip()
