"""Sentence segmentation for translation, lossless: the pieces concatenate to the input.

Sentence boundaries come from pysbd (rule-based, maintained, handles "Mr.", "U.S.", "3.5",
quotes). pysbd may drop or move whitespace, so we only take *where* its sentences start
and cut the original string there: ``"".join(split_sentences(t, lang)) == t`` always.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from itertools import pairwise

import pysbd
from pysbd.languages import LANGUAGE_CODES

_LOCK = threading.Lock()


@cache
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang, clean=False)


def segmenter_language(lang: str) -> str:
    """The pysbd language used for ``lang`` (e.g. "en", "id-ID"); unknown ones use English
    rules, which fit Latin-script languages such as Indonesian well enough."""
    base = lang.lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGE_CODES else "en"


def split_sentences(text: str, lang: str) -> list[str]:
    """Split ``text`` into sentences; each piece keeps the whitespace that follows it
    (the first also keeps any leading whitespace).

    Lossless: ``join_sentences(split_sentences(text, lang)) == text`` for every string.
    Returns ``[]`` for ``""`` and ``[text]`` for whitespace-only text. Never raises on text.
    """
    if not text.strip():
        return [text] if text else []
    return list(_split(text, segmenter_language(lang)))


@lru_cache(maxsize=4096)
def _split(text: str, lang: str) -> tuple[str, ...]:
    """:func:`split_sentences`, remembered: a document's text is segmented when its
    segments are collected for a shared engine batch and again when it is rendered, and the
    same boilerplate paragraphs come back in story after story."""
    segmenter = _segmenter(lang)
    with _LOCK:  # pysbd keeps per-call state on the segmenter; serialise to be thread-safe
        # pysbd's own ``segment`` then maps each sentence back onto the text with one
        # compiled regular expression per sentence (a third of its time); a plain ``find``
        # from the previous sentence's end does the same here
        sentences = segmenter.processor(text).process()
    starts: list[int] = []
    cursor = 0
    for sentence in sentences:
        core = sentence.strip()
        if not core:
            continue
        found = text.find(core, cursor)
        if found < 0:  # pysbd altered this sentence: its text stays with the one before
            continue
        starts.append(found)
        cursor = found + len(core)
    if not starts:
        return (text,)
    starts[0] = 0
    bounds = [*starts, len(text)]
    return tuple(text[a:b] for a, b in pairwise(bounds) if b > a)


def join_sentences(pieces: Iterable[str]) -> str:
    """Inverse of :func:`split_sentences` (pieces already carry their whitespace)."""
    return "".join(pieces)


def strip_space(piece: str) -> tuple[str, str, str]:
    """``(leading whitespace, core, trailing whitespace)`` of a piece; they concatenate
    back to ``piece``. The core is what an engine translates."""
    core = piece.strip()
    if not core:
        return piece, "", ""
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return lead, core, trail


MAX_SEGMENT_CHARS = 600  # longer "sentences" (lists, run-ons, junk) are cut for the engine
_BREAKS = ("; ", ": ", " – ", " — ", ", ", " ")


def split_long(text: str, max_chars: int = MAX_SEGMENT_CHARS) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_chars`` characters, each after the last
    clause break that fits (a semicolon, colon, dash, comma, else a space; a hard cut only
    where there is no space at all). Engines truncate or loop on very long input; cutting
    here keeps every character: ``"".join(split_long(t)) == t``. Short text: ``[text]``."""
    if max_chars < 1 or len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    rest = text
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = -1
        for mark in _BREAKS:
            at = window.rfind(mark, max_chars // 3)
            if at > 0:
                cut = at + len(mark)
                break
        if cut <= 0 or cut > max_chars:
            cut = max_chars
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces
