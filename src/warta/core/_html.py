"""Helpers for reading a source page: decoding, URLs, page metadata, figures and credits.

Private to ``warta.core.extract``. Everything here reads the parsed source tree; nothing
performs I/O.
"""

from __future__ import annotations

import contextlib
import copy
import email.utils
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement as HtmlElement

from warta.core.encoding import decode_html as decode_html

_WS = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def safe_url(href: str | None, base: str) -> str:
    """Absolute http(s) URL for ``href`` relative to ``base``; "" for anything else
    (``javascript:``, ``data:``, ``mailto:``, garbage)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return ""
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return absolute


def element_text(el: HtmlElement) -> str:
    return clean_text(el.text_content())


def meta_content(tree: HtmlElement, *names: str) -> str:
    """The first non-empty ``<meta name|property|itemprop=...>`` content among ``names``
    (in the order of ``names``). One walk over the page's ``<meta>`` elements, whatever the
    number of names: this runs several times per page."""
    found: dict[str, str] = {}
    wanted = set(names)
    for el in tree.iter("meta"):
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key in wanted and key not in found:
                value = clean_text(el.get("content") or el.get("value"))
                if value:
                    found[key] = value
    return next((found[name] for name in names if name in found), "")


def page_language(tree: HtmlElement) -> str:
    """Primary language subtag ("en", "id") from ``<html lang>``, content-language or
    og:locale; "" when the page does not say."""
    value = tree.get("lang") or tree.get("xml:lang") or ""
    if not value:
        for el in tree.iterfind(".//meta[@http-equiv]"):
            if (el.get("http-equiv") or "").lower() == "content-language":
                value = el.get("content") or ""
    value = value or meta_content(tree, "og:locale", "language")
    primary = re.split(r"[-_,;\s]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def canonical_link(tree: HtmlElement, url: str) -> str:
    for el in tree.iterfind(".//link[@rel]"):
        if "canonical" in (el.get("rel") or "").lower().split():
            found = safe_url(el.get("href"), url)
            if found:
                return found
    return safe_url(meta_content(tree, "og:url"), url)


def json_ld_articles(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page that has a headline or datePublished."""
    return [o for o in json_ld_items(tree) if "headline" in o or "datePublished" in o]


def json_ld_items(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page (``@graph`` members included); bad JSON skipped."""
    found: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        data = _load_ld(script.text or "")
        if data is not None:
            found.extend(_walk_ld(data))
    return found


# Wrappers some CMSs put around JSON-LD for old XHTML parsers, and a stray trailing ";".
_LD_WRAPPER = re.compile(r"^\s*(?:<!\[CDATA\[|<!--|//\s*<!\[CDATA\[)|(?:\]\]>|-->|;)\s*$")


def _load_ld(text: str) -> Any:
    """JSON-LD text → data, or None. Tolerates a CDATA or comment wrapper (Medium and NBC
    wrap every block: read strictly, their ``datePublished`` was lost to
    ``article:published_time``, which they set to the last edit) and raw control characters
    inside strings."""
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_LD_WRAPPER.sub("", _LD_WRAPPER.sub("", text)), strict=False)
    except ValueError:
        return None


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_ld(data["@graph"])


def ld_image_url(value: Any) -> str:
    if isinstance(value, list):
        return ld_image_url(value[0]) if value else ""
    if isinstance(value, dict):
        return str(value.get("url") or value.get("contentUrl") or "")
    return str(value or "")


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 (or "YYYY-MM-DD HH:MM:SS") → aware datetime; naive values are taken as UTC."""
    original = value.strip()
    value = original.replace("Z", "+00:00")
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_other(original)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# JavaScript's Date.toString() ("Sat Dec 07 2024 01:36:42 GMT+0000 (UTC)"), which some CMSs
# write into JSON-LD, and RFC 2822 ("Sat, 07 Dec 2024 01:36:42 +0000").
_JS_DATE = re.compile(r"(?:\w{3},?\s+)?(\w{3})\s+(\d{1,2}),?\s+(\d{4})\s+(\d{2}:\d{2}:\d{2})"
                      r"\s+GMT([+-]\d{2}):?(\d{2})\b.*")


def _parse_other(value: str) -> datetime | None:
    match = _JS_DATE.fullmatch(value)
    with contextlib.suppress(ValueError):
        if match:
            month, day, year, clock, hours, minutes = match.groups()
            return datetime.strptime(f"{year} {month} {day} {clock} {hours}{minutes}",
                                     "%Y %b %d %H:%M:%S %z")
        if re.match(r"(?:\w{3},\s*)?\d{1,2}\s+\w{3}\s+\d{4}\s+\d", value):
            return email.utils.parsedate_to_datetime(value)
    return None


# --- figures, captions, credits ---------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    src: str
    caption: str
    credit: str


_CREDIT_LABEL = (
    r"(?:photo|image|picture|pic|photograph|foto|video|graphic)s?(?:\s+credits?)?|credits?"
)
_CREDIT_PATTERNS = (
    # "(Photo: Reuters)"
    re.compile(rf"\s*\(\s*(?:{_CREDIT_LABEL})\s*[:：]\s*(?P<credit>[^()]{{1,80}})\)\s*$", re.I),
    # "... Photo credit: AFP" after a sentence or a separator
    re.compile(
        rf"(?:^|(?<=[.!?)])\s*|\s*[|/]\s*)(?:{_CREDIT_LABEL})\s*[:：]\s*"
        r"(?P<credit>[^.:]{1,80})\.?\s*$",
        re.I,
    ),
    # "— AP Photo/Evan Vucci"
    re.compile(
        r"\s*(?:[—–]|-{1,2})\s*"
        r"(?P<credit>[A-Z][\w.&' ]{0,30}\bPhotos?\b(?:/[\w.' \-]{1,40})?)\.?\s*$"
    ),
    # "... on Saturday. Image by Harbour Daily", "Photo courtesy of the family"
    re.compile(
        r"(?<=[.!?])\s*(?:photo|image|picture|pic|foto)s?\s+(?:by|courtesy(?:\s+of)?)\s+"
        r"(?P<credit>[^.]{1,60})\.?\s*$",
        re.I,
    ),
)
_FILE_PHOTO = re.compile(r"\(?\b(?:file\s+(?:photo|picture|image|pic)|file)\b\)?\s*[:.]?", re.I)
_CREDIT_CLASSES = ("credit", "copyright", "byline", "source", "author")


def split_credit(caption: str) -> tuple[str, str]:
    """Split a photo credit off a caption: "(Photo: Reuters)", "Photo credit: AFP",
    "— AP Photo/Evan Vucci". A "File photo" marker becomes "(File)" at the caption's end."""
    caption, credit = clean_text(caption), ""
    for pattern in _CREDIT_PATTERNS:
        m = pattern.search(caption)
        if m:
            credit, caption = m.group("credit").strip(), caption[: m.start()].strip()
            break
    return mark_file_photo(caption), credit


def mark_file_photo(caption: str) -> str:
    if not _FILE_PHOTO.search(caption):
        return caption
    stripped = clean_text(_FILE_PHOTO.sub(" ", caption)).strip(" :-–—")
    return f"{stripped} (File)" if stripped else "(File)"


def collect_figures(tree: HtmlElement, base: str,
                    captions: Sequence[HtmlElement] = ()) -> dict[str, Figure]:
    """Captioned images of the source page by absolute src: first ``captions`` (elements a
    source's rules name; each captions the first image in it, its parent or grandparent),
    then ``<figure>`` + ``<figcaption>`` and an ``<img>`` near an element whose class names a
    caption. The first caption found for an image wins."""
    figures: dict[str, Figure] = {}
    for cap in captions:
        _add_nearby_figure(figures, cap, base)
    for fig in tree.iter("figure"):
        img = next(fig.iter("img"), None)
        cap = next(fig.iter("figcaption"), None)
        if img is not None:
            _add_figure(figures, img, cap, base)
    for cap in tree.xpath(".//*[contains(@class, 'caption') and not(self::figcaption)]"):
        _add_nearby_figure(figures, cap, base, cap.getparent())
    return figures


def _add_nearby_figure(figures: dict[str, Figure], cap: HtmlElement, base: str,
                       holder: HtmlElement | None = None) -> None:
    """Caption the first image inside ``holder`` (default: ``cap`` itself) or its parent."""
    holder = cap if holder is None else holder
    for _ in range(3 if holder is cap else 2):
        img = next(holder.iter("img"), None) if holder is not None else None
        if img is not None:
            _add_figure(figures, img, cap, base)
            return
        holder = holder.getparent() if holder is not None else None


def image_src(img: HtmlElement, base: str) -> str:
    for attr in ("src", "data-src", "data-lazy-src", "data-original"):
        src = safe_url(img.get(attr), base)
        if src:
            return src
    srcset = (img.get("srcset") or img.get("data-srcset") or "").split(",")[0].split()
    return safe_url(srcset[0], base) if srcset else ""


def _add_figure(figures: dict[str, Figure], img: HtmlElement, cap: HtmlElement | None,
                base: str) -> None:
    src = image_src(img, base)
    if not src or src in figures:
        return
    credit = ""
    text = ""
    if cap is not None:
        cap = _copy(cap)
        for el in cap.xpath(".//*[@class]"):
            if any(c in (el.get("class") or "").lower() for c in _CREDIT_CLASSES):
                credit = credit or element_text(el)
                el.drop_tree()
        text = element_text(cap)
    caption, found_credit = split_credit(text)
    credit = re.sub(rf"^(?:{_CREDIT_LABEL})\s*[:：]\s*", "", credit or found_credit, flags=re.I)
    figures[src] = Figure(src=src, caption=caption, credit=credit.strip(" ()"))


def _copy(el: HtmlElement) -> HtmlElement:
    """A detached copy of a caption element, to strip its credit from without touching the
    page (a tree copy: no serialising and re-parsing)."""
    copied: HtmlElement = copy.deepcopy(el)
    copied.tail = None
    return copied
