"""Distinct, deterministic English article text for tests and benchmarks that need many
*different* stories (a template with only the numbers changed is, rightly, one story to the
near-duplicate clustering of ``warta.core.cluster``)."""

from __future__ import annotations

import random

_WORD_TEXT = """
minister council police city budget court election village river school hospital farmers
teachers students province governor mayor president parliament market prices rice fuel
flood storm harbour airport railway bridge highway factory workers union strike bank loan
export import coffee palm oil nickel coal mine forest fire smoke border navy army festival
museum library stadium football team coach match season league drivers bus ferry island
mountain volcano earthquake tsunami warning weather rain drought harvest fishermen boat
reef tourism hotel visitors ticket museum theatre film director actor singer concert
vaccine clinic doctors nurses patients virus outbreak report survey data census families
children women elders youth housing rent land permit law bill vote opposition coalition
party campaign debate budget tax revenue spending deficit growth inflation rupiah dollar
investors shares company startup internet phone network power grid solar wind dam water
pipeline road repair contract tender audit fraud trial judge verdict prison appeal
agreement treaty talks summit delegation ambassador embassy visa trade tariff quota
"""
_VERB_TEXT = """said announced approved rejected opened closed raised cut delayed promised warned
reported confirmed denied signed visited inspected launched suspended extended reviewed
"""
WORDS = sorted(set(_WORD_TEXT.split()))
VERBS = _VERB_TEXT.split()
DAYS = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
        "on Saturday", "on Sunday", "last week", "this morning", "late on Friday"]


def sentence(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(6, 11))
    verb = rng.choice(VERBS)
    number = rng.randint(2, 9_999)
    cut = rng.randint(1, 3)
    head = " ".join(words[:cut])
    tail = " ".join(words[cut:])
    return (f"The {head} {verb} {rng.choice(DAYS)} that {number} {tail} would follow "
            f"{rng.choice(WORDS)}.")


def article_paragraphs(seed: int, paragraphs: int = 6, sentences: int = 3) -> list[str]:
    """``paragraphs`` paragraphs of ``sentences`` sentences, the same for the same seed and
    unlike any other seed's."""
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(sentences)) for _ in range(paragraphs)]
