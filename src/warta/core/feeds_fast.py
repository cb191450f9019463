"""The fast path for RSS and Atom: feedparser-rs (Rust), with feedparser as the fallback.

Why feedparser-rs and not fastfeedparser: both parse the 200 real feeds of the
fastfeedparser benchmark in ~0.3 s of CPU (feedparser 6 needs ~38 s), but fastfeedparser
mangles Atom (``xml:base`` ignored, only the first author kept, ``updated`` copied into
``published``, ``type="text"`` content read as HTML, ``description`` copied into
``content``) and gives no feed language, ``<ttl>`` or format version. feedparser-rs keeps
feedparser's data model (``title_detail.type``, ``content[].base``, ``published_parsed``),
so both paths share the normalisers of :mod:`warta.core.feeds` and give the same
``FeedEntry`` (tests/test_feeds_equivalence.py proves it on every feed of the corpus).

feedparser-rs runs with its own HTML sanitiser off: everything is sanitised once, with nh3,
exactly as on the feedparser path (the Rust sanitiser would cost ~9x the parse itself).

The fallback is decided by cheap checks on the result (``fallback_reason``): a document the
fast parser rejects, flags as malformed (feedparser's lenient reading and its warnings are
kept for those), finds fewer entries in than the bytes hold, or one in a legacy charset
(feedparser weighs the HTTP header against the XML declaration) goes to feedparser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from typing import Any

import feedparser_rs

from warta import __version__
from warta.core.errors import FeedParseError
from warta.core.feeds import (
    _HTML_TYPES,
    _MRSS,
    FeedEntry,
    FeedImage,
    FeedparserBackend,
    ParsedFeed,
    _media_captions,
    _unique,
    join_base,
    log,
    make_guid,
    plain_text,
    safe_url,
    sanitize_html,
    text_to_html,
    to_utc,
)

# An <item> or <entry> start tag, with or without a namespace prefix (RSS 1.0 / rdf feeds).
_ITEM_TAG = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?(?:item|entry)[\s>/]")
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding=[\"']([\w.:-]+)")
# Markup as elements inside a title (not escaped, not CDATA): feedparser-rs keeps only the
# text of the first run of it ("Click <script>x</script>me" → "Click x").
_ELEMENT_IN_TITLE = re.compile(rb"<title(?:\s[^>]*)?>[^<]*<[A-Za-z]")


class FastFirstBackend:
    """feedparser-rs for the common well-formed case, feedparser for the rest.

    ``last_path`` says which parser produced the last result ("fast" or "feedparser") and
    ``last_reason`` why the fallback was taken; both are for benchmarks and tests."""

    def __init__(self, known_items: Collection[str] = ()) -> None:
        self.fast = FeedparserRsBackend(known_items)
        self.tolerant = FeedparserBackend()
        self.last_path = ""
        self.last_reason = ""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        reason = precheck_reason(content)
        if not reason:
            try:
                raw = self.fast.raw_parse(content)
            except Exception as e:  # a third-party parser on untrusted bytes: fall back
                reason = f"fast parser failed: {type(e).__name__}"
            else:
                reason = fallback_reason(raw, content)
            if not reason:
                try:
                    built = self.fast.build(raw, content, url)
                except Exception as e:  # something the checks above did not foresee
                    reason = f"fast path failed: {type(e).__name__}"
                    log.warning("%s: %s (%r); read with feedparser", url, reason, e)
                else:
                    self.last_path, self.last_reason = "fast", ""
                    return built
        self.last_path, self.last_reason = "feedparser", reason
        return self.tolerant.parse(content, url, content_type)


def precheck_reason(content: bytes) -> str:
    """Why the bytes should skip the fast parser ("" when they should not): they do not
    start like XML, or they are in a legacy (non-UTF-8) charset."""
    if content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
        return "not XML"
    if not content.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return "not UTF-8"
        declared = _DECLARED_ENCODING.match(content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n"))
        if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            return "declared encoding is not UTF-8"
    return ""


def fallback_reason(raw: Any, content: bytes) -> str:
    """Why a feedparser-rs result is not to be trusted ("" when it is)."""
    if raw.bozo:
        return f"malformed: {raw.bozo_exception}"
    if not raw.version:
        return "unknown format"
    found = len(raw.entries)
    if not found:
        return "no entries"
    if len(_ITEM_TAG.findall(content)) > found:
        return "fewer entries than <item>/<entry> tags"
    if any(not link.href for link in raw.feed.links) or any(
        not link.href for e in raw.entries for link in e.links
    ):
        return "links dropped (feedparser-rs empties local addresses such as localhost)"
    if _ELEMENT_IN_TITLE.search(content):
        return "markup elements inside a title"
    if raw.version.startswith("rss") and b"xml:base" in content:
        return "xml:base in RSS (feedparser-rs resolves RSS links against the channel link)"
    return ""


class FeedparserRsBackend:
    """RSS/Atom with feedparser-rs. ``parse`` raises FeedParseError when the fast parser
    cannot read the bytes; use :class:`FastFirstBackend` for the fallback.

    Each item gets a digest (:func:`item_digests`); an item whose digest is in
    ``known_items`` (those of the document stored last) is left out of the entries, its
    guid kept in ``known_guids``: the same bytes, read against the same things, give the
    same entry, which is stored already."""

    def __init__(self, known_items: Collection[str] = ()) -> None:
        self.known = frozenset(known_items)

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        try:
            raw = self.raw_parse(content)
        except Exception as e:  # wrapped once, at the adapter
            raise FeedParseError(url, f"unreadable feed: {e}") from e
        if raw.bozo and not raw.entries:
            raise FeedParseError(url, f"XML error: {raw.bozo_exception}")
        return self.build(raw, content, url)

    def raw_parse(self, content: bytes) -> Any:
        # bytes, never str: feedparser_rs.parse fetches a str that looks like a URL
        return feedparser_rs.parse(bytes(content), sanitize_html=False, resolve_relative_uris=False)

    def build(self, raw: Any, content: bytes, url: str) -> ParsedFeed:
        feed = raw.feed
        is_rss = raw.version.startswith("rss")
        feed_base = url if is_rss else join_base(url, _detail_base(feed.title_detail))
        language = (feed.language or "").strip().lower() or None
        has_pubdate = b"pubDate>" in content
        raw_entries = raw.entries
        digests = item_digests(content, len(raw_entries),
                               f"{url}\x00{raw.version}\x00{language}\x00{has_pubdate}")
        known = self.known
        fresh = [e for e, d in zip(raw_entries, digests, strict=True) if d not in known
                 ] if digests and known else raw_entries
        captions = (_media_captions(content) if fresh and _MRSS.encode() in content else {})
        entries = [_entry(e, language, url, captions, is_rss, has_pubdate) for e in fresh]
        known_guids = [] if fresh is raw_entries else [
            _known_guid(e, language, url, is_rss, has_pubdate)
            for e, d in zip(raw_entries, digests, strict=True) if d in known]
        ttl = feed.ttl
        return ParsedFeed(
            title=plain_text(feed.title, is_html=_title_is_html(feed.title_detail, is_rss)),
            link=safe_url(feed.link, feed_base),
            language=language,
            ttl=int(ttl) if str(ttl or "").strip().isdigit() else None,
            entries=entries,
            format=raw.version,
            warnings=[],
            item_digests=digests,
            known_guids=known_guids,
        )


# Bumped when warta reads an item differently (a digest of the old reading must not match)
_READING = "1"
_ROOT_START = re.compile(rb"<[A-Za-z][^>]*>")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


def item_digests(content: bytes, entries: int, context: str) -> list[str]:
    """A digest of each <item>/<entry> of a document the fast parser read (which checked
    that no such tag hides in text: ``fallback_reason``), in document order: sha256 of
    warta's version and reading, ``context`` (the feed URL, format, channel language,
    whatever else every item is read against), the root element's start tag (namespace
    prefixes, xml:base, xml:lang) and the item's bytes, up to the next item (the last: to
    the end). [] when the tags found are not one per entry: then no item is known."""
    starts = [m.start() for m in _ITEM_TAG.finditer(content)]
    if not starts or len(starts) != entries:
        return []
    root = _ROOT_START.search(_COMMENT.sub(b"", content[:starts[0]]))
    shared = hashlib.sha256(f"{__version__}\x00{_READING}\x00{context}\x00".encode())
    shared.update(root.group(0) if root else b"")
    view = memoryview(content)
    out = []
    for start, end in zip(starts, [*starts[1:], len(content)], strict=True):
        h = shared.copy()
        h.update(view[start:end])
        out.append(h.hexdigest()[:32])
    return out


def _known_guid(e: Any, language: str | None, url: str, is_rss: bool, has_pubdate: bool
                ) -> str:
    """The guid :func:`_entry` gives an item, without reading the rest of it where the item
    has an id or a link (``make_guid`` takes the first of them that is not blank)."""
    for candidate in (e.id, e.link):
        if candidate and candidate.strip():
            return str(candidate.strip())
    return _entry(e, language, url, {}, is_rss, has_pubdate).guid


def _detail_base(detail: Any) -> str:
    return (detail.base if detail is not None else None) or ""


_CLOSING_TAG = re.compile(r"</(\w+)>")
_ENTITY = re.compile(r"&#?\w+;")


def _looks_like_html(value: str) -> bool:
    """feedparser's rule for RSS text: HTML only with a closing tag or an entity."""
    return bool(_CLOSING_TAG.search(value) or _ENTITY.search(value))


def _title_is_html(detail: Any, is_rss: bool) -> bool:
    """RSS titles are text unless they look like HTML (feedparser's rule); Atom says."""
    if detail is None:
        return False
    if is_rss:
        return _looks_like_html(detail.value or "")
    return detail.type in _HTML_TYPES


def _entry(
    e: Any,
    feed_language: str | None,
    feed_url: str,
    captions: dict[str, tuple[str, str]],
    is_rss: bool,
    has_pubdate: bool,
) -> FeedEntry:
    # every attribute read builds a new Python object from the Rust entry: read each once
    title_detail, summary_detail = e.title_detail, e.summary_detail
    # RSS: links resolve against the feed's own URL, as on the feedparser path (feedparser-rs
    # would use the channel <link>); feeds with xml:base take the feedparser path
    base = feed_url if is_rss else join_base(feed_url, _detail_base(title_detail))
    title = plain_text(e.title, is_html=_title_is_html(title_detail, is_rss))
    # feedparser-rs repeats an RSS item's pubDate as `updated`, feedparser does not; and it
    # reads dc:date as the publication date where feedparser reads it as `updated`
    published_raw_rs = e.published
    updated_raw = e.updated
    if is_rss and updated_raw == published_raw_rs:
        updated_raw = None
    published_parsed = e.published_parsed
    if is_rss and not has_pubdate:
        dc_date_parsed = e.dc_date_parsed
        if dc_date_parsed and dc_date_parsed == published_parsed:
            published_raw_rs, updated_raw = None, e.dc_date
    published_raw = published_raw_rs or updated_raw or ""
    contents = list(e.content or [])
    language = _entry_language(title_detail, summary_detail)
    summary_detail = summary_detail or (contents[0] if contents else None)
    summary = _html(e.summary, summary_detail, base)
    content = _content(contents, base, use_base=not is_rss)
    published = (to_utc(published_parsed) or to_utc(published_raw_rs)) if published_raw_rs else None
    updated = (to_utc(e.updated_parsed) or to_utc(updated_raw)) if updated_raw else None
    link = e.link
    return FeedEntry(
        guid=make_guid(e.id, link, title, published_raw),
        url=safe_url(link, base),
        title=title,
        summary=summary,
        content=content,
        published=published,
        updated=updated,
        authors=_unique(_author_name(a.name) for a in e.authors or [])
        or _unique([_author_name(plain_text(e.author))]),
        images=_images(e, base, captions),
        categories=_unique(plain_text(t.label or t.term, is_html=False) for t in e.tags or []),
        language=language or feed_language,
    )


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _author_name(value: str | None) -> str:
    """feedparser's reading of an RSS author: "jo@example.com (Jo Doe)" is "Jo Doe"."""
    name = plain_text(value, is_html=False)
    if "@" not in name:
        return name
    return _EMAIL.sub("", name).strip(" ()<>") or name


def _entry_language(title_detail: Any, summary_detail: Any) -> str | None:
    for detail in (title_detail, summary_detail):
        lang = detail.language if detail is not None else None
        if lang:
            return str(lang).strip().lower()
    return None


def _html(value: str | None, detail: Any, base: str) -> str:
    if not value:
        return ""
    if detail is not None and detail.type == "text/plain":
        return text_to_html(value)
    return _sanitize(value, base)


# A tag with two or more attributes as nh3 writes it (double quotes, `"` escaped), not
# counting the rel="noopener noreferrer" nh3 appends to links (always last: rel is not an
# allowed attribute, so the only one is nh3's own).
_MULTI_ATTR_TAG = re.compile(
    r'<([a-z]+)((?:\s(?!rel=")[a-z-]+="[^"]*"){2,})((?:\srel="[^"]*")?\s*/?)>'
)
_ATTR = re.compile(r'\s([a-z-]+="[^"]*")')


def _sanitize(fragment: str, base: str) -> str:
    """``sanitize_html`` with attributes in alphabetical order, as they come out of the
    feedparser path (feedparser's own sanitiser sorts them), so stored HTML does not depend
    on the parser that read it.

    The last result is kept: an entry whose summary and body are the same HTML (a feed
    repeating ``content:encoded`` as ``description``, Atom ``summary`` as ``content``) is
    sanitised once. A pure function of its arguments, so a stale entry cannot be wrong."""
    global _last_sanitized
    last = _last_sanitized
    if last[1] == base and last[0] == fragment:
        return last[2]
    cleaned = sanitize_html(fragment, base)
    if "=" in cleaned:
        cleaned = _MULTI_ATTR_TAG.sub(_sorted_attributes, cleaned)
    _last_sanitized = (fragment, base, cleaned)
    return cleaned


_last_sanitized: tuple[str, str, str] = ("", "", "")  # (fragment, base, result)


def _sorted_attributes(m: re.Match[str]) -> str:
    # feedparser sorts the attributes it keeps; nh3 then appends rel="noopener noreferrer"
    attrs = _ATTR.findall(m.group(2))
    ordered = sorted(attrs)
    if ordered == attrs:
        return m.group(0)
    return f"<{m.group(1)} {' '.join(ordered)}{m.group(3)}>"


def _content(contents: list[Any], base: str, *, use_base: bool) -> str:
    """The first HTML content (content:encoded, atom:content), else the first text one."""
    for c in contents:
        if c.type in _HTML_TYPES and c.value:
            return _sanitize(c.value, join_base(base, c.base or "") if use_base else base)
    for c in contents:
        if c.value:
            return text_to_html(c.value)
    return ""


def _images(e: Any, base: str, captions: dict[str, tuple[str, str]]) -> list[FeedImage]:
    """media:content (images), image enclosures, then media:thumbnail; one per URL —
    the order of the feedparser path."""
    candidates: list[str] = []
    for m in e.media_content or []:
        mime, medium = m.type or "", m.medium or ""
        if medium == "image" or mime.startswith("image/") or (not mime and not medium):
            candidates.append(m.url or "")
    for enc in e.enclosures or []:
        if (enc.type or "").startswith("image/"):
            candidates.append(enc.href or "")
    candidates += [t.url or "" for t in e.media_thumbnail or []]
    urls = _unique(safe_url(u, base) for u in candidates)
    credits = [c.content for c in e.media_credit or [] if c.content]
    images = []
    for url in urls:
        caption, credit = captions.get(url, ("", ""))
        if not credit and len(urls) == 1 and credits:
            credit = plain_text(credits[0], is_html=False)
        images.append(FeedImage(url, caption, credit))
    return images
