"""Translation blocks → safe HTML, and dates in the site's language.

Everything that comes from a feed or an extracted page is untrusted: every text is escaped,
and an inline link becomes an ``<a href>`` only when its target is an absolute http(s) URL
(``javascript:``, ``data:`` and relative links keep their text and lose the link).
Datetimes are stored in UTC and shown in the site's time zone (``site.timezone``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from django.conf import settings
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Indonesia's three civil zones carry their own names; Babel's "z" does not know them
# outside the "id" locale, and the tz database abbreviations are numeric ("+08").
_ID_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
_DATE_PATTERN = "EEEE, d MMMM y HH:mm"
# Unicode bidi embeddings, overrides and isolates: a U+202E in a title would display the
# rest of the line reversed ("gpj.exe" spoofing); warta's text never needs them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
RELATED_AFTER_PARAGRAPHS = 2


def site_zone() -> str:
    return str(settings.WARTA["site.timezone"])


@functools.lru_cache(maxsize=32)
def _parse_locale(code: str) -> Locale | None:
    try:
        return Locale.parse(translation.to_locale(code))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def babel_locale() -> Locale:
    """Babel's locale for the active UI language (the site's, ``site.language``, unless a
    request or ``translation.override`` chose another); English when Babel does not know it."""
    for code in (translation.get_language(), settings.LANGUAGE_CODE):
        locale = _parse_locale(code) if code else None
        if locale is not None:
            return locale
    return Locale("en")


def format_datetime_id(dt: datetime | None, tz: str | None = None) -> str:
    """``"Sabtu, 9 September 2023 14:05 WIB"``: ``dt`` in zone ``tz`` (default: the site's
    zone), day and month names in the active UI language (Indonesian on an Indonesian site;
    "Saturday, 9 September 2023 14:05 WIB" in English). A naive ``dt`` is taken as UTC.
    ``None`` → ``""``."""
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    name = tz or site_zone()
    zone = ZoneInfo(name)
    local = dt.astimezone(zone)
    abbrev = _ID_ZONES.get(name) or local.tzname() or name
    return f"{format_datetime(local, _DATE_PATTERN, tzinfo=zone, locale=babel_locale())} {abbrev}"


def clean_text(text: str) -> str:
    """``text`` without bidi override/embedding/isolate controls (they could reverse how
    the rest of a page line reads); everything else is kept, and escaped where shown."""
    return _BIDI_CONTROLS.sub("", text)


def safe_url(href: object) -> str:
    """``href`` when it is an absolute http(s) URL with a host, else ``""``."""
    if not isinstance(href, str):
        return ""
    href = href.strip()
    if not href or any(ord(ch) < 32 or ch.isspace() for ch in href):
        return ""
    try:
        parts = urlsplit(href)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return href


def _placed_links(text: str, links: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    """``(start, end, href)`` for each usable link, in order, without overlaps. A link whose
    offset no longer matches its text (a translation may move it) is looked up by text."""
    placed: list[tuple[int, int, str]] = []
    for link in links:
        if not isinstance(link, Mapping):
            continue
        href = safe_url(link.get("href"))
        label = str(link.get("text") or "")
        if not href or not label:
            continue
        try:
            start = int(link.get("start", -1))
        except (TypeError, ValueError):
            start = -1
        if start < 0 or text[start : start + len(label)] != label:
            start = text.find(label)
            if start < 0:
                continue
        placed.append((start, start + len(label), href))
    placed.sort()
    out: list[tuple[int, int, str]] = []
    end = 0
    for start, stop, href in placed:
        if start >= end:
            out.append((start, stop, href))
            end = stop
    return out


def inline_html(
    text: str,
    links: Iterable[Mapping[str, Any]] = (),
    emphasis: Iterable[Mapping[str, Any]] = (),
) -> SafeString:
    """``text`` escaped, with its safe links re-inserted as anchors and its emphasis
    (``{"text", "start", "kind": "em"|"strong"}``) as ``<em>``/``<strong>``. An emphasis that
    cuts across a link is left out (the words stay); one that covers links wraps them."""
    text = clean_text(text)
    anchors = _placed_links(text, links)

    def linked(start: int, stop: int) -> str:
        parts: list[str] = []
        pos = start
        for a_start, a_stop, href in anchors:
            if a_start >= start and a_stop <= stop:
                parts.append(escape(text[pos:a_start]))
                parts.append(format_html('<a href="{}" rel="nofollow noopener">{}</a>', href,
                                         text[a_start:a_stop]))
                pos = a_stop
        parts.append(escape(text[pos:stop]))
        return "".join(parts)

    out: list[str] = []
    pos = 0
    for start, stop, tag in _placed_emphasis(text, emphasis, anchors):
        out.append(linked(pos, start))
        out.append(f"<{tag}>{linked(start, stop)}</{tag}>")
        pos = stop
    out.append(linked(pos, len(text)))
    return mark_safe("".join(out))


def _placed_emphasis(text: str, emphasis: Iterable[Mapping[str, Any]],
                     anchors: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``(start, end, "em"|"strong")`` in order, without overlaps, none cutting a link."""
    placed: list[tuple[int, int, str]] = []
    for span in emphasis:
        if not isinstance(span, Mapping):
            continue
        label = str(span.get("text") or "")
        tag = "strong" if span.get("kind") == "strong" else "em"
        try:
            start = int(span.get("start", -1))
        except (TypeError, ValueError):
            start = -1
        if not label.strip():
            continue
        if start < 0 or text[start : start + len(label)] != label:
            start = text.find(label)
            if start < 0:
                continue
        stop = start + len(label)
        if any(a < stop and start < b and not (start <= a and b <= stop) for a, b, _ in anchors):
            continue
        placed.append((start, stop, tag))
    placed.sort()
    out: list[tuple[int, int, str]] = []
    end = 0
    for start, stop, tag in placed:
        if start >= end:
            out.append((start, stop, tag))
            end = stop
    return out


IMAGE_SIZES = "(max-width: 760px) 100vw, 720px"
_MAX_SRCSET = 8


def _dimension(value: object) -> int:
    """A positive pixel size from an image dict (int or digit string), else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value if 0 < value < 100_000 else 0
    if isinstance(value, str) and value.strip().isdigit():
        return _dimension(int(value.strip()))
    return 0


def image_srcset(image: Mapping[str, Any], src: str, width: int) -> str:
    """A ``srcset`` from the widths the source offers: an image dict's ``srcset`` (a list of
    ``{"src", "width"}`` or an HTML ``srcset`` string) plus the main source at its known
    width. Only absolute http(s) candidates with a width descriptor are kept (a comma or
    space inside a URL would split a candidate, so such URLs are dropped); ``""`` when
    fewer than one usable candidate is known."""
    candidates: dict[int, str] = {}
    raw = image.get("srcset")
    items: list[tuple[object, object]] = []
    if isinstance(raw, str):
        for part in raw.split(","):
            bits = part.split()
            if len(bits) == 2 and bits[1].endswith("w"):
                items.append((bits[0], bits[1][:-1]))
    elif isinstance(raw, list):
        items = [(c.get("src"), c.get("width")) for c in raw if isinstance(c, Mapping)]
    for url, w in items[: _MAX_SRCSET * 2]:
        href, px = safe_url(url), _dimension(w)
        if href and px and "," not in href:
            candidates.setdefault(px, href)
    if width and "," not in src:
        candidates[width] = src
    if not candidates:
        return ""
    return ", ".join(f"{u} {w}w" for w, u in sorted(candidates.items())[:_MAX_SRCSET])


def figure_html(
    image: Mapping[str, Any] | None, css_class: str = "", *, lazy: bool = True
) -> SafeString:
    """``<figure>`` for an image dict ``{"src", "caption", "credit"}`` (optionally
    ``"width"``, ``"height"`` and ``"srcset"``); ``""`` when the source is not an http(s)
    URL.

    Known dimensions become ``width``/``height`` attributes, so the browser reserves the
    box before the image arrives (no layout shift); a known width list becomes ``srcset``
    with ``sizes``. Images load lazily except the lead photo (``lazy=False``), which is in
    the first screen and should not wait.
    """
    if not image:
        return mark_safe("")
    src = safe_url(image.get("src"))
    if not src:
        return mark_safe("")
    caption = clean_text(str(image.get("caption") or image.get("text") or "")).strip()
    credit = clean_text(str(image.get("credit") or "")).strip()
    cls = format_html(' class="{}"', css_class) if css_class else ""
    width, height = _dimension(image.get("width")), _dimension(image.get("height"))
    attrs = [format_html('src="{}" alt="{}"', src, caption)]
    if width and height:
        attrs.append(format_html('width="{}" height="{}"', width, height))
    srcset = image_srcset(image, src, width)
    if srcset:
        attrs.append(format_html('srcset="{}" sizes="{}"', srcset, IMAGE_SIZES))
    attrs.append(mark_safe('loading="lazy" decoding="async"' if lazy else 'fetchpriority="high"'))
    parts = [format_html("<figure{}><img {}>", cls, mark_safe(" ".join(attrs)))]
    if caption or credit:
        credit_html = format_html(' <span class="credit">{}</span>', credit) if credit else ""
        parts.append(format_html("<figcaption>{}{}</figcaption>", caption, credit_html))
    parts.append("</figure>")
    return mark_safe("".join(parts))


def card_image_html(image: Mapping[str, Any] | None, url: str, *, lazy: bool = True) -> SafeString:
    """A list card's linked thumbnail (width/height when known, lazy unless it is the lead
    story's); ``""`` without a usable source."""
    src = safe_url(image.get("src")) if image else ""
    if not image or not src:
        return mark_safe("")
    width, height = _dimension(image.get("width")), _dimension(image.get("height"))
    attrs = [format_html('src="{}" alt="{}"', src, str(image.get("caption") or ""))]
    if width and height:
        attrs.append(format_html('width="{}" height="{}"', width, height))
    srcset = image_srcset(image, src, width)
    if srcset:
        attrs.append(format_html('srcset="{}" sizes="{}"', srcset, IMAGE_SIZES))
    if lazy:
        attrs.append(mark_safe('loading="lazy" decoding="async"'))
    return format_html('<a class="card-image" href="{}" tabindex="-1" aria-hidden="true">'
                       "<img {}></a>", url, mark_safe(" ".join(attrs)))


@dataclass(frozen=True)
class RelatedLink:
    title: str
    url: str


def related_html(related: RelatedLink) -> SafeString:
    return format_html(
        '<aside class="baca-juga"><strong>{}</strong> <a href="{}">{}</a></aside>',
        _("Read also:"),
        related.url,
        related.title,
    )


def _dateline_html(dateline: str) -> SafeString:
    text = dateline.strip().rstrip(":-–— ").strip()
    return format_html('<span class="dateline">{}:</span> ', text)


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    *,
    dateline: str = "",
    related: RelatedLink | None = None,
    skip_image_src: str = "",
) -> SafeString:
    """The article body as HTML.

    ``dateline`` opens the first paragraph as ``<span class="dateline">Place:</span>``;
    ``related`` becomes the "Baca juga" box after the second paragraph (at the end when
    there are fewer); an ``img`` block whose source is ``skip_image_src`` (the lead photo,
    already shown) is left out. Unknown block types render as paragraphs.
    """
    out: list[str] = []
    in_list = False
    paragraphs = 0
    related_done = related is None
    pending_dateline = _dateline_html(dateline) if dateline.strip() else ""
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        btype = str(block.get("type") or "p")
        text = str(block.get("text") or "")
        links = block.get("links") or ()
        emphasis = block.get("emphasis") or ()
        if btype != "li" and in_list:
            out.append("</ul>")
            in_list = False
        if btype == "img":
            if skip_image_src and block.get("src") == skip_image_src:
                continue
            out.append(figure_html({**block, "caption": block.get("caption") or text}))
            continue
        if not text.strip():
            continue
        body = inline_html(text, links, () if btype in ("h2", "h3") else emphasis)
        if btype == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{body}</li>")
        elif btype in ("h2", "h3"):
            out.append(f"<{btype}>{body}</{btype}>")
        elif btype == "quote":
            out.append(f"<blockquote><p>{body}</p></blockquote>")
        else:
            out.append(f"<p>{pending_dateline}{body}</p>")
            pending_dateline = ""
            paragraphs += 1
            if related is not None and not related_done and paragraphs == RELATED_AFTER_PARAGRAPHS:
                out.append(related_html(related))
                related_done = True
    if in_list:
        out.append("</ul>")
    if pending_dateline:  # no paragraph at all: the dateline still opens the text
        out.insert(0, f"<p>{pending_dateline.strip()}</p>")
    if not related_done and related is not None:
        out.append(related_html(related))
    return mark_safe("".join(out))


def plain_paragraphs(blocks: Sequence[Mapping[str, Any]], limit: int = 2) -> list[str]:
    """The text of the first ``limit`` paragraphs (for excerpts and feeds)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping) and block.get("type", "p") == "p":
            text = str(block.get("text") or "").strip()
            if text:
                out.append(text)
                if len(out) >= limit:
                    break
    return out


def blocks_text(blocks: Sequence[Mapping[str, Any]]) -> str:
    """All block text joined by blank lines (figures contribute their caption)."""
    return "\n\n".join(
        str(b.get("text") or b.get("caption") or "") for b in blocks if isinstance(b, Mapping)
    )
