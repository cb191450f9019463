"""Google News sitemaps (``urlset`` with the ``news:`` namespace) → ``FeedEntry``.

Each ``<url>`` with a ``news:news`` block is one entry: ``loc`` (url and guid),
``news:title``, ``news:publication_date``, ``news:publication/news:language``,
``news:keywords`` (categories), and ``image:image`` (``image:loc``/``image:caption``).
A sitemap without any ``news:news`` yields every ``<url>`` (``lastmod`` as the date). A
sitemap index is refused with a message naming its first sitemaps: add those instead.
"""

from __future__ import annotations

from typing import Any

from warta.core.errors import FeedParseError
from warta.core.feeds import FeedEntry, FeedImage, ParsedFeed, make_guid, plain_text, safe_url
from warta.core.feeds import to_utc as _to_utc
from warta.core.wire import parse_xml_safely, unique

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"


def _find(el: Any, ns: str, path: str) -> str:
    found = el.find("/".join(f"{{{ns}}}{p}" for p in path.split("/")))
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


class NewsSitemapBackend:
    """Google News sitemap (or plain sitemap) ``urlset``."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        root = parse_xml_safely(content, url)
        if root.tag == f"{{{SITEMAP}}}sitemapindex":
            locs = [_find(s, SITEMAP, "loc") for s in root.findall(f"{{{SITEMAP}}}sitemap")]
            shown = ", ".join(loc for loc in locs[:3] if loc)
            raise FeedParseError(url, f"a sitemap index, not a sitemap: add one of its "
                                 f"sitemaps as the source ({shown})")
        if root.tag != f"{{{SITEMAP}}}urlset":
            raise FeedParseError(url, "not a feed: XML but not a sitemap urlset")
        urls = root.findall(f"{{{SITEMAP}}}url")
        news = [u for u in urls if u.find(f"{{{NEWS}}}news") is not None]
        entries = [e for e in (_entry(u, url) for u in (news or urls)) if e is not None]
        languages = unique(e.language or "" for e in entries)
        return ParsedFeed(title=_publication_name(news), link="",
                          language=languages[0] if len(languages) == 1 else None, ttl=None,
                          entries=entries, format="sitemap-news" if news else "sitemap")


def _publication_name(news_urls: list[Any]) -> str:
    names = unique(_find(u, NEWS, "news/publication/name") for u in news_urls)
    return plain_text(names[0], is_html=False) if names else ""


def _entry(el: Any, base: str) -> FeedEntry | None:
    loc = safe_url(_find(el, SITEMAP, "loc"), base)
    if not loc:
        return None
    title = plain_text(_find(el, NEWS, "news/title"), is_html=False)
    published = _find(el, NEWS, "news/publication_date") or _find(el, SITEMAP, "lastmod")
    images = []
    for img in el.findall(f"{{{IMAGE}}}image"):
        src = safe_url(_find(img, IMAGE, "loc"), base)
        if src:
            caption = _find(img, IMAGE, "caption") or _find(img, IMAGE, "title")
            images.append(FeedImage(src, plain_text(caption, is_html=False), ""))
    keywords = _find(el, NEWS, "news/keywords")
    language = _find(el, NEWS, "news/publication/language").lower()
    return FeedEntry(
        guid=make_guid(None, loc, title, published), url=loc, title=title, summary="",
        content="", published=_to_utc(published), updated=_to_utc(_find(el, SITEMAP, "lastmod")),
        images=images,
        categories=unique(plain_text(k, is_html=False) for k in keywords.split(",")),
        language=language or None,
    )
