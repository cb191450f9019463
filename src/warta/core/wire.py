"""Wire formats → the same ``FeedEntry`` as feeds: ninjs (IPTC JSON, 1.x and 2.x) here,
NewsML-G2/NITF in :mod:`warta.core.newsml`, Google News sitemaps in
:mod:`warta.core.newssitemap`.

``wire_backend`` picks the backend from the source's format or, for "auto", from the
content; ``parse_feed`` calls it first. Every backend builds entries with the normalisers
of :mod:`warta.core.feeds` (``sanitize_html``, ``plain_text``, ``make_guid``, ``to_utc``),
so the ``FeedEntry`` contract is the same whatever the format. XML is only ever read by
:func:`parse_xml_safely`: no DTD loading, no entity expansion, no network, and a document
that declares entities is refused (entity bombs, external entities).

ninjs (https://iptc.org/standards/ninjs/): 1.x has ``headline``, ``body_html``/``body_text``,
``byline``, ``subject`` and ``associations`` as an object; 2.x has ``headlines``, ``bodies``,
``by``, ``subjects`` and ``associations`` as a list. A document may be one item, a list of
items, or an ``{"items": [...]}`` wrapper (items possibly wrapped again as ``{"item": ...}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from warta.core.errors import FeedParseError
from warta.core.feeds import (
    FeedBackend,
    FeedEntry,
    FeedImage,
    ParsedFeed,
    load_json,
    make_guid,
    plain_text,
    safe_url,
    sanitize_html,
    text_to_html,
    to_utc,
)

WIRE_FORMATS = frozenset({"ninjs", "newsml", "sitemap"})
PUB_STATUSES = frozenset({"usable", "withheld", "canceled"})
_NINJS_MARKERS = re.compile(rb'"(versioncreated|firstcreated|headlines|pubstatus|body_html|'
                            rb'bodies|uri)"\s*:|ninjs', re.I)
_NEWSML_ROOTS = frozenset({"newsItem", "newsMessage", "packageItem", "nitf"})
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PICTURE_TYPES = frozenset({"picture", "image", "graphic"})
_HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")


def wire_backend(format: str | None, content: bytes) -> FeedBackend | None:
    """The backend for a wire format or news sitemap: named by ``format``, or detected
    from the bytes when ``format`` is "auto"/None/a feed format. None: not a wire format
    (the caller's feed backends apply)."""
    from warta.core.newsml import NewsMLBackend
    from warta.core.newssitemap import NewsSitemapBackend

    chosen = format if format in WIRE_FORMATS else _detect(content)
    if chosen == "ninjs":
        return NinjsBackend()
    if chosen == "newsml":
        return NewsMLBackend()
    if chosen == "sitemap":
        return NewsSitemapBackend()
    return None


def _detect(content: bytes) -> str | None:
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        if re.search(rb"jsonfeed\.org\\?/version", content[:4096]):
            return None
        return "ninjs" if _NINJS_MARKERS.search(content) else None
    body = re.sub(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>[]*(\[.*?\])?\s*>", b"", head, flags=re.S)
    first = _FIRST_ELEMENT.search(body)
    if first is None:
        return None
    name = first.group(2).decode("ascii", "replace")
    if name in _NEWSML_ROOTS:
        return "newsml"
    if name in ("urlset", "sitemapindex"):
        return "sitemap"
    return None


def parse_xml_safely(content: bytes, url: str) -> Any:
    """Untrusted XML → lxml root element, never loading a DTD, expanding an entity or
    touching the network. Raises FeedParseError for malformed XML and for any document
    that declares entities (billion laughs, quadratic blow-up, external entities)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as e:
        raise FeedParseError(url, f"XML error: {e}") from e
    except (etree.Error, ValueError) as e:
        raise FeedParseError(url, f"XML error: {e}") from e
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise FeedParseError(url, "refused: the document declares XML entities (entity bomb?)")
    return root


def pub_status(value: str | None) -> str:
    """IPTC publication status ("stat:canceled", "Cancelled", "usable"...) → one of
    ``PUB_STATUSES``; unknown or missing values are "usable"."""
    word = (value or "").strip().lower().rsplit(":", 1)[-1]
    word = {"cancelled": "canceled", "cancel": "canceled", "withhold": "withheld"}.get(word, word)
    return word if word in PUB_STATUSES else "usable"


def version_number(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def byline_authors(byline: str) -> list[str]:
    """"By Jane Doe and John Roe" → ["Jane Doe", "John Roe"]."""
    text = re.sub(r"^\s*by\s+", "", plain_text(byline, is_html=False), flags=re.I)
    parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", text)
    return unique(p for p in parts if p)


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --- ninjs ----------------------------------------------------------------------------------


class NinjsBackend:
    """IPTC ninjs 1.x and 2.x. JSON that holds no ninjs item is a FeedParseError."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        doc = load_json(content, url)
        items = _ninjs_items(doc)
        if not items:
            raise FeedParseError(url, "not a feed: JSON but not a ninjs item")
        entries = [_ninjs_entry(i, url) for i in items if _str(i.get("type")) in ("", "text")
                   or _has_body(i)]
        major = 2 if any(_is_ninjs2(i) for i in items) else 1
        languages = unique(e.language or "" for e in entries)
        return ParsedFeed(title="", link="", language=languages[0] if len(languages) == 1
                          else None, ttl=None, entries=entries, format=f"ninjs{major}")


def _ninjs_items(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        doc = doc["data"]
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        doc = doc["items"]
    candidates = doc if isinstance(doc, list) else [doc]
    items = []
    for c in candidates:
        if isinstance(c, dict) and isinstance(c.get("item"), dict):
            c = c["item"]
        if isinstance(c, dict) and (c.get("uri") or c.get("headline") or c.get("headlines")):
            items.append(c)
    return items


def _is_ninjs2(item: dict[str, Any]) -> bool:
    schema = _str(item.get("$schema"))
    return ("ninjs-schema_2" in schema or "headlines" in item or "bodies" in item
            or isinstance(item.get("associations"), list))


def _has_body(item: dict[str, Any]) -> bool:
    return bool(item.get("body_html") or item.get("body_text") or item.get("bodies"))


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _role_value(values: Any, roles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ninjs 2 ``[{"role", "contenttype", "value"}]`` entry with the first matching role,
    else the first without a role, else the first."""
    rows = [v for v in values if isinstance(v, dict) and _str(v.get("value"))] \
        if isinstance(values, list) else []
    for role in roles:
        for row in rows:
            if _str(row.get("role")).lower().rsplit(":", 1)[-1] == role:
                return row
    return next((r for r in rows if not r.get("role")), rows[0] if rows else {})


def _ninjs_html(row: dict[str, Any], base: str) -> str:
    value = _str(row.get("value"))
    if _str(row.get("contenttype")).lower() in ("", *_HTML_CONTENT_TYPES):
        return sanitize_html(value, base)
    return text_to_html(value)


def _ninjs_title(item: dict[str, Any]) -> str:
    if _str(item.get("headline")):
        return plain_text(_str(item["headline"]))
    return plain_text(_str(_role_value(item.get("headlines"), ("main", "headline")).get("value")))


def _ninjs_body(item: dict[str, Any], base: str) -> str:
    for key in ("body_html", "body_xhtml"):
        if _str(item.get(key)):
            return sanitize_html(_str(item[key]), base)
    if _str(item.get("body_text")):
        return text_to_html(_str(item["body_text"]))
    bodies = _list(item.get("bodies"))
    html_rows = [b for b in bodies if _str(b.get("contenttype")).lower() in _HTML_CONTENT_TYPES]
    row = _role_value(html_rows or bodies, ("main", "body"))
    return _ninjs_html(row, base) if row else ""


def _ninjs_summary(item: dict[str, Any], base: str) -> str:
    if _str(item.get("description_html")):
        return sanitize_html(_str(item["description_html"]), base)
    if _str(item.get("description_text")):
        return text_to_html(_str(item["description_text"]))
    row = _role_value(item.get("descriptions"), ("summary", "abstract", "description"))
    return _ninjs_html(row, base) if row else ""


def _ninjs_entry(item: dict[str, Any], base: str) -> FeedEntry:
    title = _ninjs_title(item)
    first = _str(item.get("firstcreated"))
    latest = _str(item.get("versioncreated"))
    url = next((safe_url(_str(link.get("href")), base) for link in _list(item.get("links"))
                if _str(link.get("rel")).rsplit(":", 1)[-1] in ("canonical", "alternate", "")
                and _str(link.get("contenttype")).lower() in ("", "text/html")), "")
    byline = _str(item.get("byline")) or _str(item.get("by"))
    people = [_str(p.get("name")) for p in _list(item.get("person")) + _list(item.get("people"))
              if _str(p.get("rel") or p.get("role")).rsplit(":", 1)[-1] in ("", "author", "by")]
    subjects = _list(item.get("subject")) + _list(item.get("subjects"))
    return FeedEntry(
        guid=make_guid(_str(item.get("uri")) or _str(item.get("guid")), url, title,
                       first or latest),
        url=url,
        title=title,
        summary=_ninjs_summary(item, base),
        content=_ninjs_body(item, base),
        published=to_utc(first) or to_utc(latest),
        updated=to_utc(latest),
        authors=byline_authors(byline) or unique(plain_text(p, is_html=False) for p in people),
        images=_ninjs_images(item.get("associations"), base),
        categories=unique(plain_text(_str(s.get("name")), is_html=False) for s in subjects),
        language=_str(item.get("language")).lower() or None,
        version=version_number(item.get("version")),
        pub_status=pub_status(_str(item.get("pubstatus"))),
        embargo=to_utc(_str(item.get("embargoed"))),
    )


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ninjs_images(associations: Any, base: str) -> list[FeedImage]:
    """Picture associations (1.x: an object keyed by name; 2.x: a list), feature image
    first, each with its caption and credit."""
    if isinstance(associations, dict):
        named = [(str(k), v) for k, v in associations.items() if isinstance(v, dict)]
    else:
        named = [(_str(a.get("name")), a) for a in _list(associations)]
    named.sort(key=lambda kv: 0 if "feature" in kv[0].lower() else 1)
    images: list[FeedImage] = []
    for _name, assoc in named:
        if _str(assoc.get("type")).lower() not in _PICTURE_TYPES:
            continue
        src = _best_rendition(assoc.get("renditions"), base) or safe_url(
            _str(assoc.get("uri")), base)
        if not src or any(i.url == src for i in images):
            continue
        caption = (_str(assoc.get("description_text"))
                   or plain_text(_str(assoc.get("description_html")))
                   or _str(_role_value(assoc.get("descriptions"), ("caption", "summary"))
                           .get("value"))
                   or _str(assoc.get("headline"))
                   or _str(_role_value(assoc.get("headlines")).get("value")))
        credit = (_str(assoc.get("creditline")) or _str(assoc.get("byline"))
                  or _str(assoc.get("by")) or _str(assoc.get("copyrightholder")))
        images.append(FeedImage(src, plain_text(caption), plain_text(credit, is_html=False)))
    return images


def _best_rendition(renditions: Any, base: str) -> str:
    """The widest image rendition with an http(s) href (1.x dict or 2.x list)."""
    rows = list(renditions.values()) if isinstance(renditions, dict) else renditions
    best, best_width = "", -1
    for r in _list(rows):
        mime = _str(r.get("mimetype") or r.get("contenttype")).lower()
        href = safe_url(_str(r.get("href")), base)
        if not href or (mime and not mime.startswith("image/")):
            continue
        raw_width = r.get("width")
        width = raw_width if isinstance(raw_width, int) else 0
        if width > best_width:
            best, best_width = href, width
    return best
