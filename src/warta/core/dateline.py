"""Datelines: the "MOSCOW, Russia:" / "LONDON (Reuters) -" opening of a news story.

A dateline is recognised only in the shapes news agencies use; an ordinary sentence that
happens to contain a colon or a dash ("However: the...", "He said - then") is left alone.
Pure functions, no I/O.
"""

from __future__ import annotations

import re

# One word of a place name: "Moscow", "NEW", "St.", "KOMPAS.com", "Port-au-Prince", "Kyiv".
_WORD = r"[A-Z][A-Za-z\u00C0-\u024F'’.]*(?:-[A-Za-z\u00C0-\u024F'’.]+)*"
_PLACE = rf"{_WORD}(?:(?:\s+|\s*/\s*){_WORD}){{0,3}}"
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Januari|Februari|Maret|Mei|Juni|"
    r"Juli|Agustus|Oktober|Desember)[a-z]*\.?"
)
_DATE = rf"{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?"
_AGENCY = rf"\((?:[A-Z][A-Za-z.&'’ ]{{0,30}}|[A-Za-z]+\.com|{_DATE})\)"
_SEP = r"(?:--|[:\-–—|])"

_DATELINE_RE = re.compile(
    rf"""^\s*
    (?P<place>{_PLACE})
    (?:\s*,\s*(?P<region>{_PLACE}))?
    (?:\s*,\s*(?P<date>{_DATE}))?
    (?:\s*(?P<agency>{_AGENCY})(?:\s*(?P<sep>{_SEP}))?|\s*(?P<sep2>{_SEP}))
    (?:(?=\s|$)|(?:(?<=--)|(?<=—))(?=[A-Z"“]))\s*""",
    re.VERBOSE,
)

# Capitalised words that open ordinary sentences or labels, never a place.
_NOT_PLACES = frozenset({
    "however", "meanwhile", "but", "and", "or", "so", "yet", "in", "on", "at", "by", "for",
    "from", "to", "of", "the", "a", "an", "this", "that", "these", "those", "he", "she", "they",
    "we", "it", "i", "you", "his", "her", "their", "our", "its", "earlier", "later", "also",
    "still", "then", "now", "here", "there", "when", "while", "after", "before", "since",
    "update", "updated", "note", "editor", "editors", "breaking", "exclusive", "watch", "read",
    "related", "photo", "video", "live", "analysis", "opinion", "comment", "correction",
    "warning", "advertisement", "sponsored", "q", "mr", "mrs", "ms", "dr",
})
_MAX_DATELINE_CHARS = 70

# Scripts without capital letters cannot use the "WASHINGTON —" test, so an uncased place
# ("دمشق، سوريا (CNN) --") counts only with an agency in parentheses and a separator.
_UNCASED_WORD = r"[^\W\d_A-Za-z][^\W\d_]*"
_UNCASED_RE = re.compile(
    rf"""^\s*(?P<dateline>{_UNCASED_WORD}(?:[\s،,、]+{_UNCASED_WORD}){{0,3}}\s*
    \((?:[A-Z][A-Za-z.&'’ ]{{0,30}}|[A-Za-z]+\.com)\))\s*{_SEP}\s+""",
    re.VERBOSE,
)
# East Asian wire openings: "【6月18日 AFP】", "【ワシントン共同】" (a bracketed date or
# agency; a bracketed label such as "【速報】" "breaking" is not one), and
# "新华社北京11月17日电" (Xinhua: agency, place, date, 电 "cable").
_CJK_RE = re.compile(
    r"^\s*(?P<dateline>【(?=[^】]*(?:\d|[A-Z]{2}|共同|時事|ロイター|新华社|新華社))[^【】\n]{1,30}】"
    r"|(?:新华社|中新社|中新网)[^\s，。：:]{1,20}?电(?:\s*[（(][^）)]{1,20}[）)])?)\s*"
)


def split_dateline(first_paragraph: str) -> tuple[str, str]:
    """Split a story's first paragraph into ``(dateline, rest)``.

    Recognised: "MOSCOW, Russia:", "Moscow (AFP) -", "WASHINGTON —", "NEW DELHI:",
    "JAKARTA, KOMPAS.com -", "LONDON (Reuters) -", "Kyiv, Ukraine (AP) —",
    "New Delhi, Nov 25 (PTI)", "WASHINGTON (Aug. 13) --", "NEW YORK--Verizon..."; in
    scripts without capitals, a place with an agency ("دمشق، سوريا (CNN) --"), and the
    East Asian wire forms "【6月18日 AFP】" and "新华社北京11月17日电".
    The dateline is returned without its trailing separator (the agency in parentheses is
    kept); ``rest`` is the remaining text, stripped (it may be
    empty when the paragraph held only the dateline). Returns ``("", first_paragraph)``
    when the paragraph does not open with a dateline.
    """
    m = _DATELINE_RE.match(first_paragraph)
    if m is None or not _is_dateline(m, first_paragraph):
        return _split_other_scripts(first_paragraph)
    dateline = first_paragraph[m.start("place") : _dateline_end(m)].strip()
    return dateline, first_paragraph[m.end() :].strip()


def _split_other_scripts(text: str) -> tuple[str, str]:
    for pattern in (_CJK_RE, _UNCASED_RE):
        m = pattern.match(text)
        if m is not None and m.end() < len(text) and len(m.group("dateline")) <= 40:
            return m.group("dateline").strip(), text[m.end() :].strip()
    return "", text


def _dateline_end(m: re.Match[str]) -> int:
    for group in ("agency", "date", "region", "place"):
        if m.group(group):
            return m.end(group)
    return m.end()  # pragma: no cover - "place" always matches


def _is_dateline(m: re.Match[str], text: str) -> bool:
    place, region, date, agency = m.group("place", "region", "date", "agency")
    rest = text[m.end() :]
    if m.end("place") - m.start("place") + len(region or "") > _MAX_DATELINE_CHARS:
        return False
    if place.split()[0].rstrip(".").lower() in _NOT_PLACES:
        return False
    if region and region.split()[0].rstrip(".").lower() in _NOT_PLACES:
        return False
    if rest and not _opens_sentence(rest):
        return False
    if agency or date or region:
        return True
    # A bare place before a separator must be written in capitals ("WASHINGTON —"),
    # unless it is the whole paragraph ("Washington/ New Delhi:" as NDTV prints it, "Jakarta-")
    # with a dash, or places joined by a slash: a lone "Archive:" or "Episode Teaser Image:"
    # paragraph is a label.
    if place.upper() == place:
        return True
    sep = m.group("sep2") or ""
    return not rest.strip() and (sep in ("-", "–", "—", "--") or "/" in place)


def _opens_sentence(rest: str) -> bool:
    first = rest.lstrip()[:1]
    return bool(first) and (first.isupper() or first.isdigit() or first in "\"“‘'(")
