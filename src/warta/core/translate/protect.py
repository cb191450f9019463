"""Placeholder protection: what must not change is taken out of a segment before the engine
sees it, and put back (checked) after.

Protected, as *atoms* written ``{1}``, ``{2}``, ...: URLs, e-mail addresses, @handles,
#hashtags, dates ("November 25, 2026", "25/11/2026"), quantities (a number with its currency,
scale word or unit: "$4.5 billion", "Rs 1,200 crore", "12 per cent", "35 km", "2.4 million
euros"; also any number written with separators, "1,200" or "4.5"), glossary terms, and any
text that already looks like a placeholder. Inline links are *spans* written
``<a1>link text</a1>``: the engine translates the link text in the context of its sentence,
and the href never goes near it.

Why these forms: ``{1}`` is the format-string placeholder of the software localisation
corpora (KDE, GNOME, Mozilla, ...) that OPUS-MT and Argos models are trained on, and
``<a1>…</a1>`` is markup of the same kind; both are made of characters every SentencePiece
vocabulary holds, DeepL's XML mode and LLM endpoints keep them, and neither reads as a word
that could be translated. ``restore`` tolerates the usual engine damage: spaces inside
(``{ 1 }``, ``< / a1 >``), changed case (``<A1>``), HTML-escaped brackets, full-width braces.

An atom comes back in the *target's* form where warta knows it (Indonesian: decimal comma
and thousands dot, "miliar"/"juta", "persen", "25 November 2026"); otherwise verbatim.
Plain integers ("12 people", "2026") are left to the engine, which copies them reliably and
needs them for grammar; :func:`missing_numbers` verifies every number afterwards.

Pure functions, no I/O.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol

from warta.core.document import Link


class TermMatcher(Protocol):
    """What ``protect`` needs of a glossary (see ``glossary.Glossary``)."""

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, rendering)`` of every term in ``text``."""
        ...


@dataclass(frozen=True)
class Slot:
    """One protected thing. ``index`` is the number in its placeholder; ``render`` is the
    text put back (the target-language form), ``source`` what stood in the segment."""

    kind: str  # url email handle hashtag date quantity number term literal link
    index: int
    source: str
    render: str
    href: str = ""  # links only

    @property
    def placeholder(self) -> str:
        return f"<a{self.index}>" if self.kind == "link" else f"{{{self.index}}}"


@dataclass(frozen=True)
class Protected:
    text: str  # what the engine gets
    slots: tuple[Slot, ...] = ()

    @property
    def atoms(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.kind != "link")

    @property
    def links(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.kind == "link")


@dataclass(frozen=True)
class Restored:
    text: str
    links: tuple[Link, ...] = ()
    intact: bool = True
    problems: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- detection (English source)

_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_MONTHS = {name.lower(): i for i, name in enumerate(_MONTH_NAMES, 1)} | {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
# Month names are matched capitalised only ("may" is a verb), with an optional dot ("Nov.").
_MONTH = r"(?P<month>" + "|".join(sorted((m.capitalize() for m in _MONTHS), key=len,
                                         reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CURRENCY_PREFIX = (
    r"(?:US|A|C|S|HK|NZ)\$|\$|€|£|¥|₹|(?:Rs|Rp|INR|USD|EUR|GBP|IDR)\.?\s?"
)
_SCALES = {
    "thousand": "ribu", "million": "juta", "billion": "miliar", "trillion": "triliun",
    "mn": "juta", "bn": "miliar", "lakh": "lakh", "lakhs": "lakh", "crore": "crore",
    "crores": "crore",
}
_UNITS = {
    "per cent": "persen", "percent": "persen", "%": "%", "km": "km", "kilometres": "kilometer",
    "kilometers": "kilometer", "kilometre": "kilometer", "kilometer": "kilometer",
    "miles": "mil", "mile": "mil", "kg": "kg", "kilograms": "kilogram", "kilogram": "kilogram",
    "tonnes": "ton", "tonne": "ton", "tons": "ton", "ton": "ton", "metres": "meter",
    "meters": "meter", "metre": "meter", "meter": "meter", "cm": "cm", "mm": "mm",
    "ha": "ha", "hectares": "hektare", "hectare": "hektare", "mph": "mph", "km/h": "km/jam",
    "°C": "°C", "°F": "°F", "degrees": "derajat", "litres": "liter", "liters": "liter",
    "MW": "MW", "GW": "GW", "kW": "kW", "kWh": "kWh", "GB": "GB", "MB": "MB", "TB": "TB",
    "dollars": "dolar", "dollar": "dolar", "euros": "euro", "euro": "euro", "pounds": "pound",
    "pound": "pound", "rupees": "rupee", "rupee": "rupee", "yuan": "yuan", "yen": "yen",
    "rupiah": "rupiah", "ringgit": "ringgit", "pesos": "peso", "peso": "peso", "won": "won",
    "baht": "baht", "riyals": "riyal", "dirhams": "dirham",
}
_UNIT_RE = "|".join(re.escape(u).replace(r"\ ", r"\s") for u in
                    sorted(_UNITS, key=len, reverse=True))
_SCALE_RE = "|".join(sorted(_SCALES, key=len, reverse=True))

_DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("literal", re.compile(r"[{｛]\s*\d+\s*[}｝]|<\s*/?\s*a\s*\d+\s*>", re.I)),
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"“”‘’]+", re.I)),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("date", re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?(?!\w)")),
    ("date", re.compile(rf"\b{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?(?!\w)")),
    ("date", re.compile(rf"\b{_MONTH}\s+{_YEAR}(?!\w)")),
    ("date", re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")),
    ("quantity", re.compile(
        rf"(?P<cur>{_CURRENCY_PREFIX})?(?<![\w.,])(?P<num>{_NUM})"
        rf"(?:\s?(?P<scale>{_SCALE_RE})\b)?"
        rf"(?:\s?(?P<unit>{_UNIT_RE})(?![\w/]))?(?![\w.,]?\d)", re.I)),
    ("handle", re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{1,30}\b")),
    ("hashtag", re.compile(r"(?<![\w#&])#\w*[^\W\d]\w*")),
)
_KINDS = ("literal", "url", "email", "date", "quantity", "handle", "hashtag", "term")
_PRIORITY = {kind: i for i, kind in enumerate(_KINDS)}
_TRAILING = ".,;:!?'\")]}"

# Number formats: (thousands separator, decimal separator) per language.
NUMBER_STYLE = {"en": (",", "."), "id": (".", ",")}
_ID_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember")


def localise_number(num: str, source: str, target: str) -> str:
    """Rewrite ``num`` (written the ``source`` way) in ``target``'s number format; unknown
    languages keep it as is. Digits are never added or removed: "2026" stays "2026"."""
    src, tgt = NUMBER_STYLE.get(_base(source)), NUMBER_STYLE.get(_base(target))
    if src is None or tgt is None or src == tgt:
        return num
    return "".join(tgt[0] if c == src[0] else tgt[1] if c == src[1] else c for c in num)


def _base(lang: str) -> str:
    return lang.lower().replace("_", "-").split("-")[0]


def _render_quantity(m: re.Match[str], source: str, target: str) -> tuple[int, int, str]:
    """Span and rendering of a quantity. Words are translated only where warta has the
    target's words (Indonesian); otherwise only the currency + number is protected."""
    cur, num, scale, unit = m.group("cur") or "", m.group("num"), m.group("scale"), m.group("unit")
    if not (cur or scale or unit or "," in num or "." in num):
        return -1, -1, ""  # a plain integer: left to the engine, checked afterwards
    rendered = cur + localise_number(num, source, target)
    if _base(target) != "id" or _base(source) != "en":
        return m.start(), m.start("num") + len(num), rendered
    if scale:
        rendered += " " + _same_case(scale, _SCALES[scale.lower()])
    if unit:
        word = _UNITS.get(unit) or _UNITS.get(re.sub(r"\s+", " ", unit.lower()), unit)
        spaced = bool(scale) or m.string[m.start("unit") - 1].isspace()
        rendered += (" " if spaced else "") + (word if word == unit else _same_case(unit, word))
    return m.start(), m.end(), rendered


def _same_case(model: str, word: str) -> str:
    """``word`` capitalised like ``model`` ("Billion" → "Miliar" in a title-case headline)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


def _render_date(m: re.Match[str], source: str, target: str) -> str:
    text, found = m.group(), m.groupdict()
    if not found.get("month") or _base(target) != "id" or _base(source) != "en":
        return text
    month = _ID_MONTHS[_MONTHS[found["month"].lower()] - 1]
    parts = [found.get("day"), month, found.get("year")]
    return " ".join(p for p in parts if p)


def _candidates(text: str, glossary: TermMatcher | None, source: str,
                target: str) -> list[tuple[int, int, str, str]]:
    """Every detectable span ``(start, end, kind, rendering)``, overlapping allowed."""
    found: list[tuple[int, int, str, str]] = []
    for kind, pattern in _DETECTORS:
        for m in pattern.finditer(text):
            start, end, render = m.start(), m.end(), m.group()
            if kind == "url":
                while end > start and text[end - 1] in _TRAILING:
                    if text[end - 1] == ")" and text.count("(", start, end) >= text.count(
                            ")", start, end):
                        break
                    end -= 1
                render = text[start:end]
            elif kind == "date":
                render = _render_date(m, source, target)
            elif kind == "quantity":
                start, end, render = _render_quantity(m, source, target)
                if start < 0:
                    continue
            if end > start:
                found.append((start, end, kind, render))
    if glossary is not None:
        found.extend((s, e, "term", r) for s, e, r in glossary.find(text))
    return found


def _choose(found: list[tuple[int, int, str, str]],
            bounds: set[int]) -> list[tuple[int, int, str, str]]:
    """Leftmost-longest, non-overlapping spans that do not cross a link boundary."""
    found.sort(key=lambda f: (f[0], f[0] - f[1], _PRIORITY[f[2]]))
    chosen: list[tuple[int, int, str, str]] = []
    end = 0
    for span in found:
        if span[0] < end or any(span[0] < b < span[1] for b in bounds):
            continue
        chosen.append(span)
        end = span[1]
    return chosen


def valid_links(text: str, links: tuple[Link, ...] | list[Link]) -> list[Link]:
    """The links whose text is at their offset (or found verbatim), in order, not
    overlapping; the rest cannot be placed and are left out."""
    kept: list[Link] = []
    for link in sorted(links, key=lambda k: k.start):
        start = link.start
        if not link.text.strip():
            continue
        if text[start: start + len(link.text)] != link.text:
            start = text.find(link.text)
            if start < 0:
                continue
        if kept and start < kept[-1].start + len(kept[-1].text):
            continue
        kept.append(Link(link.text, link.href, start))
    return kept


def protect(text: str, links: tuple[Link, ...] | list[Link] = (),
            glossary: TermMatcher | None = None, *, source: str = "en",
            target: str = "") -> Protected:
    """Replace what must not change with placeholders; wrap each link's text in
    ``<aN>…</aN>``. ``links`` are offsets into ``text``. ``target`` selects the form atoms are
    restored in (``""``: verbatim). Never raises on text."""
    placed = valid_links(text, links)
    bounds = {p for k in placed for p in (k.start, k.start + len(k.text))}
    events: list[tuple[int, int, str]] = []  # (position, order, emitted text)
    slots: list[Slot] = []
    for i, link in enumerate(placed, 1):
        slots.append(Slot("link", i, link.text, "", link.href))
        # spaced, so the link's first and last words are tokenised as words ("▁the"), not
        # as the tail of a marker; restore() takes the spaces out again
        events.append((link.start, 1, f"<a{i}> "))
        events.append((link.start + len(link.text), 0, f" </a{i}>"))
    cuts: list[tuple[int, int]] = []
    for n, (start, end, kind, render) in enumerate(
            _choose(_candidates(text, glossary, source, target), bounds), 1):
        slots.append(Slot(kind, n, text[start:end], render))
        events.append((start, 2, f"{{{n}}}"))
        cuts.append((start, end))
    if not slots:
        return Protected(text)
    events.sort(key=lambda e: (e[0], e[1]))
    out: list[str] = []
    cursor = 0
    skip = dict(cuts)
    for pos, order, mark in events:
        if pos > cursor:
            out.append(text[cursor:pos])
            cursor = pos
        out.append(mark)
        if order == 2:
            cursor = skip[pos]
    out.append(text[cursor:])
    return Protected("".join(out), tuple(slots))


# ---------------------------------------------------------------- restore

_TOKEN = re.compile(
    r"[{｛]\s*(?P<atom>\d+)\s*[}｝]"
    r"|(?:<|&lt;)\s*(?P<close>/)?\s*a\s*(?P<link>\d+)\s*(?:>|&gt;)", re.I)


def restore(translated: str, slots: tuple[Slot, ...] | Protected) -> Restored:
    """Put the protected things back into the engine's output. ``intact`` is False (with
    ``problems`` saying why) when a placeholder is missing, duplicated, unknown or a link
    span is broken or empty; the text is then still the best effort, not to be published
    unflagged. Link offsets in the result point into the returned text."""
    if isinstance(slots, Protected):
        slots = slots.slots
    if not slots:
        return Restored(translated)
    atoms = {s.index: s for s in slots if s.kind != "link"}
    links = {s.index: s for s in slots if s.kind == "link"}
    problems: list[str] = []
    seen: set[int] = set()
    opened: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    text = ""
    cursor = 0
    for m in _TOKEN.finditer(translated):
        text += translated[cursor: m.start()]
        cursor = m.end()
        if m.group("atom") is not None:
            n = int(m.group("atom"))
            slot = atoms.get(n)
            if slot is None or n in seen:
                problems.append(f"{'duplicated' if slot else 'unknown'} placeholder {{{n}}}")
                continue
            seen.add(n)
            text += slot.render
            continue
        n = int(m.group("link"))
        if n not in links:
            problems.append(f"unknown link marker <a{n}>")
        elif m.group("close"):
            if n not in opened or n in spans:
                problems.append(f"link {n} ({links[n].href}) closed but not opened")
                continue
            text, space = _close_link(text, translated, cursor)
            spans[n] = (opened[n], len(text))
            text += space
        elif n in opened:
            problems.append(f"link {n} ({links[n].href}) opened twice")
        else:
            text, cursor = _open_link(text, translated, cursor)
            opened[n] = len(text)
    text += translated[cursor:]
    for n, slot in atoms.items():
        if n not in seen:
            problems.append(f"lost {slot.kind} {slot.source!r}")
    restored_links: list[Link] = []
    for n, slot in links.items():
        if n not in spans:
            problems.append(f"lost link {slot.source!r} ({slot.href})")
            continue
        start, end = spans[n]
        inner = text[start:end]
        if not inner.strip():
            problems.append(f"empty link {slot.source!r} ({slot.href})")
            continue
        restored_links.append(Link(inner, slot.href, start))
    restored_links.sort(key=lambda k: k.start)
    for a, b in itertools.pairwise(restored_links):
        if b.start < a.start + len(a.text):
            problems.append(f"links {a.href} and {b.href} overlap")
    return Restored(text, tuple(restored_links), not problems, tuple(problems))


_NO_SPACE_AFTER = "([{“‘\"'«/-"
_NO_SPACE_BEFORE = ".,;:!?)]}”’\"'»/-"


def _open_link(text: str, translated: str, cursor: int) -> tuple[str, int]:
    """At ``<aN>``: the spaces inside the marker pair are not the link's; one space goes
    before the link where the engine wrote ``word<aN> text``."""
    rest = len(translated) - len(translated[cursor:].lstrip())
    if rest > cursor and text and not text[-1].isspace() and text[-1] not in _NO_SPACE_AFTER:
        text += " "
    return text, max(rest, cursor)


def _close_link(text: str, translated: str, cursor: int) -> tuple[str, str]:
    """At ``</aN>``: the spaces before it are not the link's; returns the text up to the
    link's end and what follows it (one space where the engine wrote ``text </aN>word``)."""
    stripped = text.rstrip()
    after = translated[cursor:]
    if (len(stripped) < len(text) and after and not after[0].isspace()
            and after[0] not in _NO_SPACE_BEFORE and not _TOKEN.match(after)):
        return stripped, " "
    return stripped, ""


# ---------------------------------------------------------------- numbers check

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def _readings(token: str) -> set[object]:
    """What a written number can mean: its digit groups (so "4.5" ~ "4,5" and "10:30" ~
    "10.30") and its value read the English or the Indonesian way ("1,200" = 1200 = "1.200")."""
    groups = tuple(re.split(r"[.,:]", token))
    found: set[object] = {groups}
    if ":" in token:
        return found
    for thousands, decimal in NUMBER_STYLE.values():
        whole, _, frac = token.partition(decimal)
        parts = whole.split(thousands)
        if decimal in frac or thousands in frac:
            continue
        if len(parts) > 1 and not all(len(p) == 3 for p in parts[1:]):
            continue
        try:
            found.add(Decimal("".join(parts) + ("." + frac if frac else "")))
        except InvalidOperation:
            continue
    return found


def missing_numbers(source: str, translated: str) -> list[str]:
    """Numbers of ``source`` that do not appear in ``translated`` (each occurrence counts
    once). Separators may differ as the target's house style asks: "4.5" ~ "4,5",
    "1,200" ~ "1.200" ~ "1200", "10:30" ~ "10.30"; digits may not."""
    pool = [_readings(t) for t in _NUMBER.findall(translated)]
    missing: list[str] = []
    for token in _NUMBER.findall(source):
        readings = _readings(token)
        for i, candidate in enumerate(pool):
            if readings & candidate:
                del pool[i]
                break
        else:
            missing.append(token)
    return missing
