"""Translate a whole ``Document``: every segment of the article in a few engine batches,
with what must not change protected, and checked.

Units: the title, the dateline, the lead image caption and every block. Block text is split
into sentences (``segment.split_sentences``); sentences joined by an inline link are kept
together. Each segment is sent without its surrounding whitespace, which is put back
verbatim. Identical engine inputs are translated once; with a ``memory``
(``memory.SegmentMemory``) an input translated before is not sent at all.

Protection (``protect.py``): URLs, e-mail addresses, handles, hashtags, dates, quantities and
glossary terms become placeholders; a link's text is wrapped in ``<aN>…</aN>`` so it is
translated in its sentence, and its new offset is computed from the markers. A segment whose
placeholders do not come back intact is translated again *without* protection and flagged
(``placeholder_lost``); its links survive only where their text appears verbatim in that
translation (``map_links``), else they are dropped (``link_dropped``). Every segment's numbers
are checked against its source (``number_mismatch``; "4.5" ~ "4,5", see
``protect.missing_numbers``). A "review" flag makes it for an editor, never auto-published.

Kept as they are: block types, image ``src``, credits (photographer/agency names are never
translated, also where the caption repeats them), byline, hrefs. Typographic quotes around a
whole quotation block are taken off before translation and put back after. Emphasis spans
(``Block.emphasis``) travel as links do, as pseudo-links (``emphasis:em``).

Guards (docs/translation.md, "Guards that keep the story intact"): a label of at most
``SHORT_WORDS`` words (headline, caption, subheading, list item) is sent with the lead
sentence behind a ``{0}`` separator and split back; a sentence already in the target language
or mostly in a right-to-left script is kept, not sent; control characters are removed; a
sentence over ``segment.MAX_SEGMENT_CHARS`` is cut at clause boundaries. After rendering,
each unit is checked against its source (``quality.assess``); every flag carries a severity
and only "review" flags keep a story from being published automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from warta.core.document import Block, Document, Emphasis, Image, Link
from warta.core.errors import TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.glossary import Glossary
from warta.core.translate.memory import (
    MemoryItem,
    SegmentMemory,
    candidates_of,
    provenance_of,
    segment_key,
)
from warta.core.translate.protect import (
    Protected,
    missing_numbers,
    protect,
    restore,
    valid_links,
)
from warta.core.translate.quality import (
    assess,
    is_already_target,
    is_control,
    rtl_share,
    severity_of,
)
from warta.core.translate.segment import MAX_SEGMENT_CHARS, split_long, split_sentences, strip_space

OPEN_QUOTE, CLOSE_QUOTE = "“", "”"
PLACEHOLDER_LOST = "placeholder_lost"
NUMBER_MISMATCH = "number_mismatch"
LINK_DROPPED = "link_dropped"
ALREADY_TARGET = "already_target"
FOREIGN_SCRIPT = "foreign_script"
SHORT_WORDS = 3  # a unit of at most this many words is translated with the lead as context
_SHORT_UNITS = ("title", "caption", "h2", "h3", "li", "img")
_CONTEXT_SEPARATOR = "{0}"  # never used by protect(), which numbers from 1
EMPHASIS_DROPPED = "emphasis_dropped"
_EMPHASIS = "emphasis:"  # pseudo-href: emphasis travels through the links' machinery
_SEPARATOR = re.compile(r"[{｛]\s*0\s*[}｝]")
_PLACEHOLDER = re.compile(r"\{\d+\}|</?a\d+>")


@dataclass(frozen=True)
class Flag:
    """Why a unit needs an editor: ``flag`` is a code, ``where`` the unit ("title",
    "dateline", "caption", "block 3" — 1-based), ``detail`` for a person."""

    flag: str
    where: str
    detail: str = ""

    @property
    def severity(self) -> str:
        """``info`` (shown, never holds the story back) or ``review`` (quality.SEVERITY)."""
        return severity_of(self.flag)

    def to_dict(self) -> dict[str, str]:
        return {"flag": self.flag, "where": self.where, "detail": self.detail,
                "severity": self.severity}


@dataclass
class DocumentTranslation:
    """The translated document, its flags, and what it cost."""

    doc: Document
    flags: list[Flag] = field(default_factory=list)
    block_flags: list[list[str]] = field(default_factory=list)  # codes, one list per block
    segments: int = 0  # non-empty segments in the document
    engine_inputs: int = 0  # distinct inputs sent to the engine (retries included)
    engine_calls: int = 0  # translate_batch calls
    memory_hits: int = 0  # distinct inputs answered by the memory
    retried: int = 0  # segments translated again without protection
    in_context: int = 0  # short labels translated with the lead sentence as context

    def block_dicts(self) -> list[dict[str, Any]]:
        """``Block.to_dict()`` of each block, with ``"flags"`` where it has any."""
        out = []
        for block, codes in zip(self.doc.blocks, self.block_flags, strict=True):
            d = block.to_dict()
            if codes:
                d["flags"] = list(codes)
            out.append(d)
        return out

    def flag_dicts(self) -> list[dict[str, str]]:
        return [f.to_dict() for f in self.flags]


class _Segment:
    """One engine unit: a sentence (or sentences a link joins), with its links."""

    def __init__(self, text: str, links: tuple[Link, ...]) -> None:
        self.text = text
        self.links = links
        self.protected = Protected(text)
        self.out = text
        self.out_links: tuple[Link, ...] = ()
        self.flags: list[tuple[str, str]] = []  # (code, detail)
        self.retry = False
        self.context = ""  # the lead sentence a short label is translated with
        self.passed = False  # kept as it is (already in the target language, RTL script)

    def engine_input(self) -> str:
        """What the engine gets: the protected text, behind which a short label carries the
        lead sentence as context, after a separator it must keep (``{0}``)."""
        if self.context and _needs_engine(self.protected.text):
            return f"{self.protected.text} {_CONTEXT_SEPARATOR} {self.context}"
        return self.protected.text


Part = str | _Segment


def _split_quotes(text: str) -> tuple[str, int, int, str]:
    """``(“, inner start, inner end, ”)`` if the whole text is one typographic quotation,
    else ``("", 0, len(text), "")``."""
    stripped = text.strip()
    if len(stripped) > 2 and stripped.startswith(OPEN_QUOTE) and stripped.endswith(CLOSE_QUOTE):
        inner = stripped[1:-1]
        if OPEN_QUOTE not in inner and CLOSE_QUOTE not in inner:
            start = text.index(OPEN_QUOTE) + 1
            return OPEN_QUOTE, start, start + len(inner), CLOSE_QUOTE
    return "", 0, len(text), ""


def _restore_quotes(text: str, links: tuple[Link, ...]) -> tuple[str, tuple[Link, ...]]:
    """Put “ ” around a translated quotation (engines may add straight quotes or none)."""
    stripped = text.strip()
    shift = -(len(text) - len(text.lstrip()))
    if not stripped.startswith(OPEN_QUOTE):
        bare = stripped.lstrip('"«„')
        shift += 1 - (len(stripped) - len(bare))
        stripped = OPEN_QUOTE + bare
    if not stripped.endswith(CLOSE_QUOTE):
        stripped = stripped.rstrip('"»') + CLOSE_QUOTE
    moved = (replace(k, start=k.start + shift) for k in links)
    return stripped, tuple(k for k in moved if stripped[k.start: k.start + len(k.text)] == k.text)


def _split_credit(caption: str, credit: str) -> tuple[int, int]:
    """``(start, end)`` of the credit where the caption repeats it (kept as is), else
    ``(len, len)``."""
    at = caption.rfind(credit) if credit else -1
    if at < 0:
        return len(caption), len(caption)
    return at, at + len(credit)


def map_links(links: tuple[Link, ...], translated: str) -> tuple[Link, ...]:
    """Re-anchor links where their text occurs verbatim in ``translated`` (the fallback when
    link markers were lost): at the first such place after the previous link, else dropped."""
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


def _region(text: str, base: int, end: int, links: list[Link], lang: str,
            segments: list[_Segment]) -> list[Part]:
    """Parts of ``text[base:end]``: whitespace and sentences, sentences a link spans merged."""
    cores: list[list[int]] = []
    offset = base
    long: set[int] = set()  # starts of pieces cut from a too long sentence
    for piece in split_sentences(text[base:end], lang):
        lead, core, _ = strip_space(piece)
        if core:
            start = offset + len(lead)
            cut = split_long(core)
            for sub in cut:
                sub_lead, sub_core, _ = strip_space(sub)
                if sub_core:
                    cores.append([start + len(sub_lead), start + len(sub_lead) + len(sub_core)])
                    if len(cut) > 1:
                        long.add(start + len(sub_lead))
                start += len(sub)
        offset += len(piece)
    for link in links:
        s, e = link.start, link.start + len(link.text)
        touched = [i for i, (a, b) in enumerate(cores) if a < e and s < b]
        if len(touched) > 1:
            first, last = touched[0], touched[-1]
            cores[first : last + 1] = [[cores[first][0], cores[last][1]]]
    parts: list[Part] = []
    cursor = base
    for a, b in cores:
        if a > cursor:
            parts.append(text[cursor:a])
        inside = tuple(Link(k.text, k.href, k.start - a) for k in links
                       if a <= k.start and k.start + len(k.text) <= b)
        segment = _Segment(text[a:b], inside)
        if a in long:
            segment.flags.append(("long_sentence_split",
                                  f"a sentence over {MAX_SEGMENT_CHARS} characters was cut at "
                                  "clause boundaries"))
        segments.append(segment)
        parts.append(segment)
        cursor = b
    if end > cursor:
        parts.append(text[cursor:end])
    return parts


def _render(parts: list[Part]) -> tuple[str, tuple[Link, ...], list[tuple[str, str]]]:
    text: list[str] = []
    links: list[Link] = []
    flags: list[tuple[str, str]] = []
    length = 0
    for part in parts:
        if isinstance(part, str):
            text.append(part)
            length += len(part)
            continue
        links.extend(replace(k, start=k.start + length) for k in part.out_links)
        text.append(part.out)
        length += len(part.out)
        flags.extend(part.flags)
    return "".join(text), tuple(links), flags


def _drop_controls(text: str, links: tuple[Link, ...]) -> tuple[str, tuple[Link, ...], int]:
    """``text`` without control characters (``quality.is_control``), links moved with it, and
    how many were removed. A link whose text held one keeps its cleaned text."""
    if not any(is_control(c) for c in text):
        return text, links, 0
    keep = [not is_control(c) for c in text]
    before = [0]
    for k in keep:
        before.append(before[-1] + k)
    clean = "".join(c for c, k in zip(text, keep, strict=True) if k)
    moved = []
    for link in links:
        start = min(max(link.start, 0), len(text))
        end = min(start + len(link.text), len(text))
        moved.append(Link("".join(c for c in link.text if not is_control(c)), link.href,
                          before[start] if text[start:end] == link.text else link.start))
    return clean, tuple(moved), len(text) - len(clean)


def _spans(block: Block) -> tuple[Link, ...]:
    """The block's links and its emphasis as one list of spans, emphasis as pseudo-links
    (``emphasis:em``): so emphasis is protected exactly as links are — wrapped in
    ``<aN>…</aN>``, its words translated in their sentence, re-anchored from the markers,
    re-found by text on a retry. Spans may not overlap, so emphasis overlapping a link is
    left out here; where it covered exactly the link, :func:`_unspan` puts it back."""
    spans = list(block.links)
    for e in block.emphasis:
        end = e.start + len(e.text)
        if not any(k.start < end and e.start < k.start + len(k.text) for k in block.links):
            spans.append(Link(e.text, _EMPHASIS + e.kind, e.start))
    return tuple(spans)


def _unspan(block: Block, spans: tuple[Link, ...]) -> tuple[tuple[Link, ...],
                                                           tuple[Emphasis, ...]]:
    """Translated spans back to ``(links, emphasis)``."""
    links = tuple(k for k in spans if not k.href.startswith(_EMPHASIS))
    emphasis = [Emphasis(k.text, k.start, k.href[len(_EMPHASIS):]) for k in spans
                if k.href.startswith(_EMPHASIS)]
    for e in block.emphasis:
        for i, k in enumerate(block.links):
            if (e.start, e.text) == (k.start, k.text):
                same = [t for t in links if t.href == k.href]
                pos = sum(1 for j in block.links[:i] if j.href == k.href)
                if pos < len(same):
                    emphasis.append(Emphasis(same[pos].text, same[pos].start, e.kind))
    return links, tuple(sorted(emphasis, key=lambda e: e.start))


def _lead_sentence(doc: Document, lang: str) -> str:
    """The first sentence of the first paragraph of four words or more (placeholder-like
    text taken out), the context short labels are translated in; "" if there is none."""
    for block in doc.blocks:
        if block.type != "p":
            continue
        for piece in split_sentences(block.text, lang):
            text = " ".join(_PLACEHOLDER.sub(" ", piece).replace("{", "(").replace(
                "}", ")").split())
            if len(text.split()) >= 4 and not any(is_control(c) for c in text):
                return text[:300]
    return ""


def _mark_short(unit: _Unit, lead: str) -> None:
    """A unit of one segment and at most ``SHORT_WORDS`` words gets the lead as context."""
    if (lead and len(unit.own) == 1 and len(unit.own[0].text.split()) <= SHORT_WORDS
            and unit.own[0].text not in lead):
        unit.own[0].context = lead


class _Unit:
    """One translatable text (title, caption, block): an optional quotation, a translated
    region, a credit kept verbatim, and what follows the credit."""

    def __init__(self, segments: list[_Segment], lang: str, text: str,
                 links: tuple[Link, ...] = (), credit: str = "", quotes: bool = False) -> None:
        first = len(segments)
        text, links, removed = _drop_controls(text, links)
        self.source = text
        self.pre_flags = ([("control_chars", f"{removed} control character(s) removed")]
                          if removed else [])
        c_start, c_end = _split_credit(text, credit)
        self.credit = text[c_start:c_end]
        self.credit_links = tuple(Link(k.text, k.href, k.start - c_start) for k in links
                                  if c_start <= k.start and k.start + len(k.text) <= c_end)
        self.opening, start, end, _ = (
            _split_quotes(text[:c_start]) if quotes and not self.credit else ("", 0, c_start, "")
        )
        placed = valid_links(text, links)
        self.before = _region(text, start, end, placed, lang, segments)
        self.after = _region(text, c_end, len(text), placed, lang, segments)
        self.source_links = sum(not k.href.startswith(_EMPHASIS) for k in placed)
        self.source_emphasis = len(placed) - self.source_links
        self.own = segments[first:]

    def render(self) -> tuple[str, tuple[Link, ...], list[tuple[str, str]]]:
        body, links, flags = _render(self.before)
        if self.opening:
            body, links = _restore_quotes(body, links)
        after, after_links, after_flags = _render(self.after)
        credit_at = len(body)
        text = body + self.credit + after
        links += tuple(replace(k, start=k.start + credit_at) for k in self.credit_links)
        links += tuple(replace(k, start=k.start + credit_at + len(self.credit))
                       for k in after_links)
        flags = self.pre_flags + flags + after_flags
        passed = sum(s.passed for s in self.own)
        if passed and passed < len(self.own):
            flags.append(("mixed_language", f"{passed} of {len(self.own)} sentences kept as "
                                            "they were"))
        real = sum(not k.href.startswith(_EMPHASIS) for k in links)
        if real < self.source_links and not any(f == LINK_DROPPED for f, _ in flags):
            flags.append((LINK_DROPPED, f"{self.source_links - real} link(s) lost"))
        if len(links) - real < self.source_emphasis:
            flags.append((EMPHASIS_DROPPED, f"{self.source_emphasis - len(links) + real} "
                                            "emphasised span(s) lost"))
        return text, links, flags


def _translate_all(translator: Translator, texts: list[str], source: str, target: str,
                   max_batch: int) -> tuple[dict[str, str], int]:
    """Translate distinct ``texts``; return the outputs and the number of engine calls."""
    out: dict[str, str] = {}
    step = max(1, max_batch)
    calls = 0
    for start in range(0, len(texts), step):
        chunk = texts[start : start + step]
        try:
            result = translator.translate_batch(chunk, source, target)
        except TranslateError:
            if max(map(len, chunk)) < 2 * MIN_RETRY_CHARS:
                raise  # not a length problem: the caller's fallback handles the engine
            result = [_translate_smaller(translator, t, source, target) for t in chunk]
        calls += 1
        if len(result) != len(chunk):
            raise TranslateError(
                f"engine {translator.name} returned {len(result)} "
                f"translations for {len(chunk)} segments"
            )
        out.update(zip(chunk, result, strict=True))
    return out, calls


MIN_RETRY_CHARS = 100


def _translate_smaller(translator: Translator, text: str, source: str, target: str) -> str:
    """``text`` translated alone, or, where the engine fails on it (a model whose input
    limit its tokens exceed), in two halves cut at a clause break, recursively: the whole
    text comes back or the engine's error is raised, never a truncated text."""
    try:
        result = translator.translate_batch([text], source, target)
        if len(result) != 1:
            raise TranslateError(f"engine {translator.name} returned {len(result)} "
                                 "translations for 1 segment")
        return result[0]
    except TranslateError:
        if len(text) < 2 * MIN_RETRY_CHARS:
            raise
    parts = split_long(text, len(text) // 2 + 1)
    return "".join(_translate_smaller(translator, p.strip(), source, target)
                   + p[len(p.rstrip()):] for p in parts if p.strip()).rstrip()


def _needs_engine(text: str) -> bool:
    """False for an input that is only placeholders, digits and punctuation ("{1}, {2}:"):
    it comes back as it is, so short units never reach the engine to be hallucinated."""
    return any(c.isalpha() for c in _PLACEHOLDER.sub("", text))


class _Run:
    def __init__(self, translator: Translator, source: str, target: str, max_batch: int,
                 glossary: Glossary | None, memory: SegmentMemory | None,
                 localise: bool) -> None:
        self.translator, self.source, self.target = translator, source, target
        self.max_batch, self.glossary, self.memory = max_batch, glossary, memory
        self.style = target if localise else ""
        self.stats = DocumentTranslation(Document(url="", title=""))

    def key(self, text: str, engine: tuple[str, str]) -> str:
        version = self.glossary.version if self.glossary is not None else ""
        return segment_key(engine[0], engine[1], self.source, self.target,
                           f"{version}:{self.style}", text)

    def run(self, segments: list[_Segment]) -> None:
        for seg in segments:
            seg.protected = protect(seg.text, seg.links, self.glossary, source=self.source,
                                    target=self.style)
            self._precheck(seg)
        live = [s for s in segments if not s.passed]
        inputs = list(dict.fromkeys(s.engine_input() for s in live))
        outputs = {t: t for t in inputs if not _needs_engine(t)}
        todo = [t for t in inputs if t not in outputs]
        if self.memory is not None and todo:
            engines = candidates_of(self.translator)
            keys = {t: [self.key(t, e) for e in engines] for t in todo}
            found = self.memory.get_many([k for ks in keys.values() for k in ks])
            for t in todo:
                hit = next((k for k in keys[t] if k in found), None)  # preferred engine first
                if hit is not None:
                    outputs[t] = found[hit]
            self.stats.memory_hits = sum(t in outputs for t in todo)
            todo = [t for t in todo if t not in outputs]
        fresh, calls = _translate_all(self.translator, todo, self.source, self.target,
                                      self.max_batch)
        outputs.update(fresh)
        self.stats.engine_calls += calls
        self.stats.engine_inputs += len(todo)
        for seg in live:
            self._finish(seg, self._own_part(seg, outputs[seg.engine_input()]))
        self._retry([s for s in live if s.retry])
        if self.memory is not None:
            self._remember(live, fresh)
        self.stats.segments = len(segments)

    def _precheck(self, seg: _Segment) -> None:
        """Keep a sentence as it is when translating can only damage it: mostly in a
        right-to-left script (an Arabic or Hebrew quotation the pair's engine does not
        know), or already in the target language (detected with py3langid)."""
        share = rtl_share(seg.text)
        if share > 0.5:
            seg.passed = True
            seg.flags.append((FOREIGN_SCRIPT, "right-to-left text kept untranslated"))
        elif is_already_target(seg.text, self.source, self.target):
            seg.passed = True
            seg.flags.append((ALREADY_TARGET, f"already in {self.target}, kept as it is"))
        elif share > 0:
            seg.flags.append(("rtl_text", "right-to-left words inside the sentence"))
        if seg.passed:
            seg.out, seg.out_links = seg.text, tuple(seg.links)

    def _own_part(self, seg: _Segment, output: str) -> str:
        """A short label's own translation: what precedes the separator. If the engine did
        not keep exactly one separator, the label is translated alone and flagged."""
        if seg.engine_input() == seg.protected.text:
            return output
        parts = _SEPARATOR.split(output)
        if len(parts) == 2 and parts[0].strip():
            self.stats.in_context += 1
            return parts[0].strip()
        alone, calls = _translate_all(self.translator, [seg.protected.text], self.source,
                                      self.target, self.max_batch)
        self.stats.engine_calls += calls
        self.stats.engine_inputs += 1
        seg.flags.append(("short_unchecked", "the lead sentence could not be used as "
                                             "context; translated alone"))
        return alone[seg.protected.text]

    def _finish(self, seg: _Segment, output: str) -> None:
        restored = restore(output, seg.protected)
        if not restored.intact:
            seg.retry = True
            seg.flags.append((PLACEHOLDER_LOST, "; ".join(restored.problems)))
            return
        seg.out, seg.out_links = restored.text, restored.links
        self._check_numbers(seg)

    def _check_numbers(self, seg: _Segment) -> None:
        missing = missing_numbers(seg.text, seg.out)
        if missing:
            seg.flags.append((NUMBER_MISMATCH, "missing " + ", ".join(missing)))

    def _retry(self, segments: list[_Segment]) -> None:
        """Translate again without protection; links only where their text survives."""
        if not segments:
            return
        texts = list(dict.fromkeys(s.text for s in segments))
        plain, calls = _translate_all(self.translator, texts, self.source, self.target,
                                      self.max_batch)
        self.stats.engine_calls += calls
        self.stats.engine_inputs += len(texts)
        self.stats.retried += len(segments)
        for seg in segments:
            seg.out = plain[seg.text]
            seg.out_links = map_links(seg.links, seg.out)
            self._check_numbers(seg)

    def _remember(self, segments: list[_Segment], fresh: dict[str, str]) -> None:
        """Store the engine's outputs that every segment using them accepted unflagged.
        Each row is keyed by, and records, the engine that really produced it (under
        fallback, ``provenance_of`` one segment, not the whole translator)."""
        bad = {s.engine_input() for s in segments
               if any(severity_of(code) != "info" for code, _ in s.flags)}
        items = []
        for t, out in fresh.items():
            if t not in bad:
                engine = provenance_of(self.translator, t)
                items.append(MemoryItem(self.key(t, engine), t, out, engine[0], engine[1],
                                        self.source, self.target))
        if items:
            self.memory.put_many(items)  # type: ignore[union-attr]


def translate_document_checked(
    doc: Document, translator: Translator, source: str, target: str, *, max_batch: int = 32,
    glossary: Glossary | None = None, memory: SegmentMemory | None = None,
    localise: bool = False,
) -> DocumentTranslation:
    """Translate ``doc`` (not modified; ``language`` becomes ``target``) and report flags
    and costs. With ``localise``, protected numbers, amounts and dates are written the
    target's way by warta ("$4.5 billion" → "$4,5 miliar" for Indonesian); without, as in
    the source. Distinct engine inputs go to ``translator.translate_batch`` in batches of at
    most ``max_batch``; empty or whitespace-only text is never sent. Deterministic for a
    deterministic engine, so re-running is idempotent. Raises TranslateError (from the
    engine, or if it returns a wrong number of outputs)."""
    segments: list[_Segment] = []
    title = _Unit(segments, source, doc.title)
    dateline = _Unit(segments, source, doc.dateline)
    caption = (_Unit(segments, source, doc.image.caption, credit=doc.image.credit)
               if doc.image else None)
    blocks = [
        _Unit(segments, source, b.text, _spans(b), b.credit if b.type == "img" else "",
              b.type == "quote")
        for b in doc.blocks
    ]
    lead = _lead_sentence(doc, source)
    for unit in [title, caption, *(u for u, b in zip(blocks, doc.blocks, strict=True)
                                   if b.type in _SHORT_UNITS)]:
        if unit is not None:
            _mark_short(unit, lead)
    run = _Run(translator, source, target, max_batch, glossary, memory, localise)
    run.run(segments)
    result = run.stats
    flags: list[Flag] = []

    def rendered(unit: _Unit, where: str) -> tuple[str, tuple[Link, ...], list[str]]:
        text, links, unit_flags = unit.render()
        if any(not s.passed for s in unit.own):
            unit_flags += [(i.code, i.detail) for i in assess(
                unit.source, text, source, target, glossary=glossary, numbers=False)]
        codes = list(dict.fromkeys(code for code, _ in unit_flags))
        for code in codes:
            detail = "; ".join(d for c, d in unit_flags if c == code and d)
            flags.append(Flag(code, where, detail))
        return text, links, codes

    new_title = rendered(title, "title")[0]
    new_dateline = rendered(dateline, "dateline")[0]
    image = doc.image
    if image is not None and caption is not None:
        image = Image(src=image.src, caption=rendered(caption, "caption")[0],
                      credit=image.credit)
    new_blocks: list[Block] = []
    for i, (block, unit) in enumerate(zip(doc.blocks, blocks, strict=True), 1):
        text, links, codes = rendered(unit, f"block {i}")
        if not block.text.strip() and block.type != "img":
            flags.append(Flag("empty_unit", f"block {i}", "a block without text"))
            codes.append("empty_unit")
        new_blocks.append(block.with_text(text, *_unspan(block, links)))
        result.block_flags.append(codes)
    result.doc = replace(doc, title=new_title, dateline=new_dateline, image=image,
                         blocks=new_blocks, language=target)
    result.flags = flags
    return result


def translate_document(
    doc: Document, translator: Translator, source: str, target: str, *, max_batch: int = 32,
    glossary: Glossary | None = None, memory: SegmentMemory | None = None,
    localise: bool = False,
) -> Document:
    """The translated document of :func:`translate_document_checked` (flags dropped)."""
    return translate_document_checked(doc, translator, source, target, max_batch=max_batch,
                                      glossary=glossary, memory=memory, localise=localise).doc
