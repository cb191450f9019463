"""What a URL serves, and where a site's feeds are (``warta source add``).

``detect_format`` names what the fetched bytes are: a feed format warta polls ("rss",
"atom", "json", "ninjs", "newsml", "sitemap"), or "html" / "opml" / "unknown" with the
reason in ``FormatGuess.note``. It parses the bytes with the real parsers, so a "feed" here
is one that polling will read.

``discover_feed_links`` reads a site's HTML page for its advertised feeds:
``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json|json">`` in document
order, made absolute against the page URL (and ``<base href>``), http(s) only, each once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html

from warta.core.errors import FeedParseError
from warta.core.feeds import parse_feed, safe_url

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
    "application/rdf+xml": "rss",
    "text/xml": "rss",
    "application/xml": "rss",
}


@dataclass(frozen=True)
class FeedLink:
    """A feed a page advertises: absolute ``url``, its MIME ``type`` and ``title``."""

    url: str
    type: str
    title: str


@dataclass(frozen=True)
class FormatGuess:
    """``format``: a Source format, or "html", "opml", "unknown"; ``note`` says why (the
    parse error for "unknown"); ``entries``: how many items a feed has now."""

    format: str
    note: str = ""
    entries: int = 0
    title: str = ""


def detect_format(content: bytes, url: str, content_type: str | None = None) -> FormatGuess:
    """What ``content`` (fetched from ``url``) is. Never raises for bad input."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<opml" in head:
        return FormatGuess("opml", "an OPML subscription list: use `warta source import`")
    try:
        feed = parse_feed(content, url, content_type=content_type)
    except FeedParseError as e:
        if "html page" in str(e).lower() or _is_html(head, content_type):
            return FormatGuess("html", str(e))
        return FormatGuess("unknown", str(e))
    return FormatGuess(_source_format(feed.format), feed.format, len(feed.entries), feed.title)


def _is_html(head: bytes, content_type: str | None) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    return mime in ("text/html", "application/xhtml+xml") or b"<html" in head


def _source_format(parsed: str) -> str:
    """feedparser's version name ("rss20", "atom10", "json11", "ninjs2") → Source.format."""
    for prefix in ("rss", "atom", "json", "ninjs", "newsml", "sitemap"):
        if parsed.startswith(prefix):
            return prefix
    if parsed.startswith(("nitf", "g2")):
        return "newsml"
    return "auto"


_REL_ALTERNATE = re.compile(r"(^|\s)alternate(\s|$)", re.I)


def discover_feed_links(page: bytes, page_url: str) -> list[FeedLink]:
    """The feeds an HTML page links to in its ``<link rel="alternate">`` elements."""
    try:
        doc: Any = lxml_html.document_fromstring(page)
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        return []
    base = page_url
    for el in doc.iter("base"):
        base = urljoin(page_url, (el.get("href") or "").strip())
        break
    found: dict[str, FeedLink] = {}
    for el in doc.iter("link"):
        rel, mime = el.get("rel") or "", (el.get("type") or "").split(";")[0].strip().lower()
        if (
            not _REL_ALTERNATE.search(rel)
            or mime not in FEED_TYPES
            or mime in ("text/xml", "application/xml")
        ):
            continue
        url = safe_url(el.get("href"), base)
        if url and url not in found:
            found[url] = FeedLink(url, mime, " ".join((el.get("title") or "").split()))
    return list(found.values())
