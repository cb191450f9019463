"""Translate a whole ``Document``: every segment of the article in a few engine batches.

Units: the title, the dateline, the lead image caption and every block. Block text is split
into sentences (``segment.split_sentences``); each sentence is sent without its surrounding
whitespace, which is put back verbatim. Identical sentences are translated once.

Kept as they are: block types, image ``src``, credits (photographer/agency names are never
translated, also where the caption repeats them), byline, URLs.

Inline links — a stop-gap until placeholder protection (``protect.py``): a link survives
when its text occurs verbatim in the translated block (e.g. a name), at the first such
place after the previous link; otherwise the link is dropped and its words stay in the
translation as plain text. The href is never altered.
"""

from __future__ import annotations

from dataclasses import replace

from warta.core.document import Block, Document, Image, Link
from warta.core.errors import TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.segment import split_sentences, strip_space

OPEN_QUOTE, CLOSE_QUOTE = "“", "”"
Pieces = list[tuple[str, str, str]]  # (leading ws, core to translate, trailing ws)


class _Segments:
    """Collects the sentences of a document, translates them in batches, renders units."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.cores: dict[str, str] = {}  # source sentence -> translation (after run)

    def add(self, text: str) -> Pieces:
        pieces = [strip_space(p) for p in split_sentences(text, self.lang)]
        for _, core, _ in pieces:
            if core:
                self.cores.setdefault(core, core)
        return pieces

    def run(self, translator: Translator, source: str, target: str, max_batch: int) -> int:
        """Translate every distinct sentence; return the number of engine calls."""
        todo = list(self.cores)
        step = max(1, max_batch)
        for start in range(0, len(todo), step):
            chunk = todo[start : start + step]
            out = translator.translate_batch(chunk, source, target)
            if len(out) != len(chunk):
                raise TranslateError(
                    f"engine {translator.name} returned {len(out)} "
                    f"translations for {len(chunk)} segments"
                )
            self.cores.update(zip(chunk, out, strict=True))
        return (len(todo) + step - 1) // step

    def render(self, pieces: Pieces) -> str:
        return "".join(
            lead + (self.cores[core] if core else "") + trail for lead, core, trail in pieces
        )


def _split_quotes(text: str) -> tuple[str, str, str]:
    """``(“, inner, ”)`` if the whole text is one typographic quotation, else ``("", text, "")``."""
    stripped = text.strip()
    if len(stripped) > 2 and stripped.startswith(OPEN_QUOTE) and stripped.endswith(CLOSE_QUOTE):
        inner = stripped[1:-1]
        if OPEN_QUOTE not in inner and CLOSE_QUOTE not in inner:
            return OPEN_QUOTE, inner, CLOSE_QUOTE
    return "", text, ""


def _restore_quotes(opening: str, text: str, closing: str) -> str:
    if not opening:
        return text
    text = text.strip()
    if not text.startswith(OPEN_QUOTE):
        text = OPEN_QUOTE + text.lstrip('"«„')
    if not text.endswith(CLOSE_QUOTE):
        text = text.rstrip('"»') + CLOSE_QUOTE
    return text


def _split_credit(caption: str, credit: str) -> tuple[str, str, str]:
    """``(before, credit, after)`` where the caption repeats the credit, so it stays as is."""
    at = caption.rfind(credit) if credit else -1
    if at < 0:
        return caption, "", ""
    return caption[:at], credit, caption[at + len(credit) :]


def map_links(links: tuple[Link, ...], translated: str) -> tuple[Link, ...]:
    """Re-anchor links in ``translated`` by the verbatim rule (see module docstring)."""
    kept: list[Link] = []
    cursor = 0
    for link in links:
        at = translated.find(link.text, cursor) if link.text else -1
        if at < 0 and link.text:
            at = translated.find(link.text)
            if any(k.start < at + len(link.text) and at < k.start + len(k.text) for k in kept):
                at = -1  # would overlap a link already placed
        if at >= 0:
            kept.append(replace(link, start=at))
            cursor = at + len(link.text)
    return tuple(sorted(kept, key=lambda k: k.start))


class _Unit:
    """One translatable text (title, caption, block), remembering what to put back."""

    def __init__(
        self, segments: _Segments, text: str, credit: str = "", quotes: bool = False
    ) -> None:
        before, self.credit, after = _split_credit(text, credit)
        self.opening, inner, self.closing = (
            _split_quotes(before) if quotes and not self.credit else ("", before, "")
        )
        self.segments = segments
        self.pieces = segments.add(inner)
        self.after = segments.add(after)

    def render(self) -> str:
        body = _restore_quotes(self.opening, self.segments.render(self.pieces), self.closing)
        return body + self.credit + self.segments.render(self.after)


def translate_document(
    doc: Document, translator: Translator, source: str, target: str, *, max_batch: int = 32
) -> Document:
    """Return a translated copy of ``doc`` (``doc`` is not modified; ``language`` becomes
    ``target``). All sentences of the document go to ``translator.translate_batch`` in
    batches of at most ``max_batch`` distinct non-empty sentences; empty or whitespace-only
    text is never sent. Deterministic for a deterministic engine, so re-running is
    idempotent. Raises TranslateError (from the engine, or if it returns a wrong count)."""
    segments = _Segments(source)
    title = _Unit(segments, doc.title)
    dateline = _Unit(segments, doc.dateline)
    caption = _Unit(segments, doc.image.caption, doc.image.credit) if doc.image else None
    blocks = [
        _Unit(segments, b.text, b.credit if b.type == "img" else "", b.type == "quote")
        for b in doc.blocks
    ]
    segments.run(translator, source, target, max_batch)
    image = doc.image
    if image is not None and caption is not None:
        image = Image(src=image.src, caption=caption.render(), credit=image.credit)
    return replace(
        doc,
        title=title.render(),
        dateline=dateline.render(),
        image=image,
        blocks=[_translate_block(b, u) for b, u in zip(doc.blocks, blocks, strict=True)],
        language=target,
    )


def _translate_block(block: Block, unit: _Unit) -> Block:
    text = unit.render()
    return block.with_text(text, map_links(block.links, text))
