"""The ``Translator`` protocol every engine implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Translator(Protocol):
    """Translates batches of plain-text segments (sentences or short units).

    ``translate_batch`` returns exactly one output per input, in order, and raises
    ``TranslateError`` (or a subclass) on failure; it never returns partial results.
    """

    name: str  # engine name, e.g. "ctranslate2"

    @property
    def model_id(self) -> str:  # what produced the text, stored as provenance
        ...

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]: ...
