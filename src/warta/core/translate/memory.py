"""Segment-level translation memory: what the engine said for one exact input, kept so the
same input is never sent twice (boilerplate, an updated story, one wire story in two feeds).

The key is ``segment_key``: sha256 of (engine, model id, source language, target language,
glossary version, the normalised engine input). The engine input is the segment *after*
protection, placeholders included (``"{1} people were evacuated"``), so the stored text is the
engine's raw output and is restored with the slots of whichever segment asks: one entry
serves every sentence that differs only in a number, link or glossary term.

Under fallback (engine A down, B answers) each row is keyed by and records the engine that
really produced it (``provenance_of``), and a look-up tries the key of every engine the
translator may use (``candidates_of``), in its order: B's rows are used while A is down,
and A's rows are preferred once it is back.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from warta.core.translate.base import Translator


@dataclass(frozen=True)
class MemoryItem:
    key: str
    source_text: str  # the engine input (with placeholders)
    target_text: str  # the engine output (with placeholders)
    engine: str
    model_id: str
    source: str
    target: str


@runtime_checkable
class SegmentMemory(Protocol):
    """Storage of engine outputs by ``segment_key``. Implementations may drop entries at
    any time (it is a cache); ``put_many`` of a key already present changes nothing."""

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """The stored output of each key present (absent keys are left out)."""
        ...

    def put_many(self, items: Iterable[MemoryItem]) -> None: ...


@runtime_checkable
class ProvenanceTranslator(Protocol):
    """A translator made of several engines (``routing.FallbackTranslator``) that can say
    which one produced each output."""

    def candidates(self) -> list[tuple[str, str]]:
        """``(engine name, model id)`` of each engine it may use, preferred first."""
        ...

    def provenance(self, text: str) -> tuple[str, str]:
        """``(engine name, model id)`` of the engine that translated input ``text``."""
        ...


def candidates_of(translator: Translator) -> list[tuple[str, str]]:
    """The ``(engine, model id)`` pairs whose memory rows may answer for ``translator``."""
    if isinstance(translator, ProvenanceTranslator):
        return translator.candidates()
    return [(translator.name, translator.model_id)]


def provenance_of(translator: Translator, text: str) -> tuple[str, str]:
    """``(engine, model id)`` that produced ``translator``'s output for input ``text``."""
    if isinstance(translator, ProvenanceTranslator):
        return translator.provenance(text)
    return translator.name, translator.model_id


def normalise_segment(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def segment_key(engine: str, model_id: str, source: str, target: str, glossary_version: str,
                text: str) -> str:
    body = "\x1f".join((engine, model_id, source, target, glossary_version,
                        normalise_segment(text)))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class DictMemory:
    """A process-local ``SegmentMemory`` (tests, ``warta translate``). Counts hits."""

    def __init__(self) -> None:
        self.items: dict[str, MemoryItem] = {}
        self.hits = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        found = {k: self.items[k].target_text for k in keys if k in self.items}
        self.hits += len(found)
        return found

    def peek_many(self, keys: Sequence[str]) -> dict[str, str]:
        """``get_many`` without counting hits."""
        return {k: self.items[k].target_text for k in keys if k in self.items}

    def put_many(self, items: Iterable[MemoryItem]) -> None:
        for item in items:
            self.items.setdefault(item.key, item)

    def __len__(self) -> int:
        return len(self.items)
