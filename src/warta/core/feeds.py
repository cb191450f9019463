"""Feed parsing: RSS 0.9x/1.0/2.0, Atom and JSON Feed bytes → ``ParsedFeed`` of ``FeedEntry``.

``parse_feed`` is the one entry point. It screens the bytes (empty, HTML page, hostile entity
declarations), then hands them to a :class:`FeedBackend`: for XML by default
:class:`warta.core.feeds_fast.FastFirstBackend` (feedparser-rs, whose parse is ~100x
faster than feedparser's, with :class:`FeedparserBackend` here as the tolerant fallback for
what it rejects or misreads),
the small built-in JSON Feed reader for JSON. Every backend builds its entries with the same
normalisers here (``sanitize_html``, ``plain_text``, ``make_guid``, ``to_utc``), so output
does not depend on which one ran.

Contract of a ``FeedEntry``: ``title`` is plain text; ``summary``/``content`` are sanitised
HTML (nh3; only http(s) links and images; no scripts, styles or event handlers); ``url`` is
absolute http(s) or ""; datetimes are timezone-aware UTC or None; ``guid`` is never empty.
"""

from __future__ import annotations

import calendar
import email.utils
import functools
import hashlib
import html
import io
import json
import logging
import re
import time
import zlib
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from warta.core.errors import FeedParseError

ALLOWED_TAGS = frozenset(
    {
        "p",
        "a",
        "em",
        "strong",
        "b",
        "i",
        "blockquote",
        "ul",
        "ol",
        "li",
        "br",
        "figure",
        "figcaption",
        "img",
    }
)
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
_URL_ATTRIBUTES = frozenset({"href", "src"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_MRSS = "http://search.yahoo.com/mrss/"

log = logging.getLogger("warta.feeds")


class FeedImage(NamedTuple):
    """An image attached to an entry: absolute http(s) ``url``, ``caption``/``credit`` or ""."""

    url: str
    caption: str
    credit: str


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    url: str
    title: str
    summary: str
    content: str
    published: datetime | None
    updated: datetime | None
    authors: list[str] = field(default_factory=list)
    images: list[FeedImage] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    language: str | None = None
    # wire-format fields (ninjs, NewsML-G2): the item's version, its IPTC publication
    # status ("usable", "withheld", "canceled") and an embargo time (aware UTC) if any
    version: int | None = None
    pub_status: str = "usable"
    embargo: datetime | None = None


WIRE_DEFAULTS: dict[str, Any] = {"version": None, "pub_status": "usable", "embargo": None}
"""FeedEntry fields left out of ``ParsedFeed.to_dict`` while at their default, so the
golden files of feeds without them do not change."""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed. ``format`` is e.g. "rss20", "atom10", "json11"; ``warnings`` holds
    what a lenient parse had to forgive (the feed was still usable).

    ``item_digests``: a digest of each item as read (its bytes and what it is read
    against), in document order, for the next poll; empty where the parser makes none (all
    but the fast path). ``known_guids``: the guids of the items left out of ``entries``
    because their digest was among those the caller knew (``parse_feed(known_items=)``):
    the same bytes read the same way, stored already."""

    title: str
    link: str
    language: str | None
    ttl: int | None
    entries: list[FeedEntry]
    format: str = ""
    warnings: list[str] = field(default_factory=list)
    item_digests: list[str] = field(default_factory=list)
    known_guids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO 8601 UTC, images as [url, caption, credit]);
        the wire fields of an entry appear only when set (``WIRE_DEFAULTS``). The digests
        and known guids (bookkeeping for the next poll, not the feed) are left out."""
        data = asdict(self)
        del data["item_digests"], data["known_guids"]
        for entry in data["entries"]:
            for key, default in WIRE_DEFAULTS.items():
                if entry[key] == default:
                    del entry[key]
        return _jsonable(data)  # type: ignore[no-any-return]


class FeedBackend(Protocol):
    """Turns feed bytes into a ParsedFeed or raises FeedParseError; never anything else."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed: ...


def parse_feed(
    content: bytes,
    url: str,
    *,
    content_type: str | None = None,
    backend: FeedBackend | None = None,
    format: str | None = None,
    known_items: Collection[str] = (),
) -> ParsedFeed:
    """Parse feed ``content`` fetched from ``url`` (the base for relative links).

    ``content_type`` is the HTTP Content-Type header, charset included, if known: it helps
    decoding. A damaged feed that still yields entries is returned with ``warnings``.
    Raises FeedParseError with a readable message when the bytes are not a feed:
    "feed is empty", "not a feed: looks like an HTML page", "XML error: ...", or when
    the document declares entities that could expand without bound (entity bomb).

    ``known_items``: the ``item_digests`` of the document stored last. On the fast path an
    item whose digest is among them is not read again (no sanitising, no mapping): only its
    guid is given, in ``known_guids``. Every other parser reads every item.

    ``format`` is the source's format ("ninjs", "newsml", "sitemap"; "auto"/None or a
    feed format: detected from the content). Wire formats and news sitemaps are read by
    the backends of :mod:`warta.core.wire`.
    """
    content = _gunzip_if_compressed(content, url)
    probe = _utf16_as_utf8(content)
    head = probe[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedParseError(url, "feed is empty")
    _refuse_entity_declarations(probe, url)
    from warta.core.wire import wire_backend  # wire builds on this module's normalisers

    chosen: FeedBackend | None = wire_backend(format, probe)
    if chosen is None and head[:1] in (b"{", b"["):
        chosen = JSONFeedBackend()
    if chosen is None and _looks_like_html(head):
        raise FeedParseError(url, "not a feed: looks like an HTML page")
    if chosen is None:
        from warta.core.feeds_fast import FastFirstBackend  # builds on the normalisers here

        chosen = backend if backend is not None else FastFirstBackend(known_items)
    try:
        return _storable(chosen.parse(content, url, content_type))
    except FeedParseError:
        raise
    except Exception as e:
        # hostile bytes a parser or a normaliser did not expect: an error on this feed, with
        # the traceback in the log (a bug to fix), never an exception out of the poll round
        log.exception("parsing %s failed", url)
        raise FeedParseError(url, f"unreadable feed: {type(e).__name__}") from e


# What no database column takes: NUL (PostgreSQL refuses it in text) and a lone surrogate
# (no UTF-8 encodes it). JSON carries both ("\u0000", "\ud800"), XML parsers do not.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# a JSON escape of NUL or of a surrogate (a pair is one character once decoded; what
# remains of them on their own is no character)
_JSON_UNSTORABLE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")


def load_json(content: bytes, url: str) -> Any:
    """JSON feed bytes → Python values, with NUL removed and lone surrogates replaced in
    every string (``\\u0000`` and ``\\ud800`` are valid JSON; no database stores them, and
    the normalisers cannot encode a lone surrogate). FeedParseError for what is no JSON."""
    try:
        doc = json.loads(content, strict=False)
        if b"\x00" in content or _JSON_UNSTORABLE.search(content):
            doc = _storable_json(doc)
    except (ValueError, RecursionError) as e:
        raise FeedParseError(url, f"JSON error: {e}") from e
    return doc


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, list):
        return [_storable_json(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _storable_json(v) for k, v in value.items()}
    return value


def _storable(parsed: ParsedFeed) -> ParsedFeed:
    """``parsed`` with NUL removed and lone surrogates replaced (U+FFFD) in every text of
    the feed and its entries; the same object where there are none (the common case: one
    check per entry)."""
    entries = [e if _clean_text(_entry_text(e)) else _scrubbed(e) for e in parsed.entries]
    if all(a is b for a, b in zip(entries, parsed.entries, strict=True)) and _clean_text(
            parsed.title + parsed.link):
        return parsed
    return replace(parsed, title=_scrub(parsed.title), link=_scrub(parsed.link),
                   entries=entries)


def _entry_text(e: FeedEntry) -> str:
    return "".join((e.guid, e.url, e.title, e.summary, e.content, e.language or "",
                    *e.authors, *e.categories, *(part for image in e.images for part in image)))


def _clean_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _scrub(value: str) -> str:
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def _scrubbed(e: FeedEntry) -> FeedEntry:
    title, url = _scrub(e.title), _scrub(e.url)
    return replace(
        e, guid=_scrub(e.guid) or make_guid(None, url, title, str(e.published or "")),
        url=url, title=title, summary=_scrub(e.summary), content=_scrub(e.content),
        language=_scrub(e.language) if e.language else e.language,
        authors=[_scrub(a) for a in e.authors], categories=[_scrub(c) for c in e.categories],
        images=[FeedImage(*(_scrub(part) for part in image)) for image in e.images])


MAX_DECOMPRESSED = 50_000_000


def _gunzip_if_compressed(content: bytes, url: str) -> bytes:
    """Feeds stored as .gz are sometimes served without Content-Encoding: unpack them,
    refusing more than MAX_DECOMPRESSED bytes of output (gzip bomb)."""
    if content[:2] != b"\x1f\x8b":
        return content
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(content, MAX_DECOMPRESSED + 1)
    except zlib.error as e:
        raise FeedParseError(url, f"corrupt gzip data: {e}") from e
    if len(out) > MAX_DECOMPRESSED:
        raise FeedParseError(url, "refused: compressed feed larger than 50 MB unpacked")
    return out


# how a UTF-16 document starts: a BOM, or "<" and a NUL in either order
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


def _utf16_as_utf8(content: bytes) -> bytes:
    """The byte checks below read ASCII markup; UTF-16 documents are recoded for them."""
    if content[:2] in _UTF16_STARTS:
        encoding = (
            "utf-16"
            if content[:2] in (b"\xff\xfe", b"\xfe\xff")
            else ("utf-16-le" if content[:1] == b"<" else "utf-16-be")
        )
        return content.decode(encoding, errors="replace").encode("utf-8")
    return content


_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s*)?[^\s>]+\s+(\"[^\"]*\"|'[^']*'|[^>]*)\s*>", re.I)
_SAFE_ENTITY_VALUE = re.compile(rb"^&#(\d{1,7}|x[0-9a-f]{1,6});$|^[^&%]{0,64}$", re.I)


def _refuse_entity_declarations(content: bytes, url: str) -> None:
    """Refuse documents whose DTD declares entities other than short literals or single
    character references (``<!ENTITY nbsp "&#160;">`` is fine): nested or huge entities are
    the billion-laughs / quadratic-blowup attacks, external ones can read files."""
    start = re.search(rb"<[A-Za-z]", content)
    prolog = content[: start.start()] if start else content
    if b"<!ENTITY" not in prolog.upper():
        return
    declared = prolog.upper().count(b"<!ENTITY")
    safe = 0
    for m in _ENTITY_DECL.finditer(prolog):
        value = m.group(2).strip(b"\"'")
        quoted = m.group(2)[:1] in (b'"', b"'")
        if not m.group(1) and quoted and _SAFE_ENTITY_VALUE.match(value):
            safe += 1
    if safe != declared:
        raise FeedParseError(url, "refused: the document declares XML entities (entity bomb?)")


def _looks_like_html(head: bytes) -> bool:
    """The first element decides (some Atom feeds carry a stray ``<!DOCTYPE html>``)."""
    lowered = re.sub(rb"<!--.*?-->", b"", head.lower(), flags=re.S)
    first = re.search(rb"<([a-z][\w:.-]*)", lowered)
    if first is None:
        return lowered.lstrip().startswith(b"<!doctype html")
    return first.group(1) in (b"html", b"head", b"body")


# --- normalisers shared by every backend ---------------------------------------------------


def sanitize_html(fragment: str, base: str = "") -> str:
    """Untrusted HTML → safe HTML: only ``ALLOWED_TAGS``; links/images only to http(s),
    relative ones resolved against ``base``; scripts and styles dropped with their text.

    nh3 (one shared Cleaner, no Python callback) drops other schemes; the relative URLs it
    keeps are resolved afterwards in its output, where every attribute is double-quoted
    and escaped. A per-attribute callback cost more than the whole fast parse."""
    if not fragment:
        return ""
    cleaned: str = _CLEANER.clean(fragment)
    if ' href="' in cleaned or ' src="' in cleaned:
        cleaned = _URL_IN_TAG.sub(lambda m: _resolved_attribute(m, base), cleaned)
    if "<img" in cleaned:
        cleaned = _IMG_WITHOUT_SRC.sub("", cleaned)
    return cleaned.strip()


_TEXT_CLEANER = nh3.Cleaner(tags=set())  # every tag dropped: built once, not per call
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https"},
    strip_comments=True,
)
# The URL attribute of an <a> or <img> start tag as nh3 writes it: attribute values
# double-quoted, `"` escaped (a value may hold ">"; "<" in text is escaped), so text that
# merely looks like an attribute is never touched. Of ``_ALLOWED_ATTRIBUTES`` each tag has
# one URL attribute (a: href, img: src): one match per tag, the attributes before it kept.
_URL_IN_TAG = re.compile(r'(<(?:a|img)(?: [a-z-]+="[^"]*")*?) (href|src)="([^"]*)"')


def _resolved_attribute(m: re.Match[str], base: str) -> str:
    """The tag up to and with its ` href="..."` made absolute, or without the attribute
    when it is not an http(s) URL with a host."""
    raw = m.group(3)
    value = _resolved_value(raw, base)
    if value is None:
        return m.group(1)
    if value is raw:
        return m.group(0)
    return f'{m.group(1)} {m.group(2)}="{value}"'


@functools.lru_cache(maxsize=4096)
def _resolved_value(raw: str, base: str) -> str | None:
    """An href/src value as nh3 wrote it (escaped), made absolute against ``base`` and
    escaped again; ``raw`` itself when it is absolute already, None when it is not an
    http(s) URL with a host. Cached: a feed's items repeat their links (section pages,
    tags, the site's logo), and one feed's items share a base."""
    if raw.startswith(("https://", "http://")) and "&" not in raw:
        # already absolute: only the host check (urljoin is the slow part)
        try:
            return raw if urlsplit(raw).netloc else None
        except ValueError:  # a malformed host ("http://[::1")
            return None
    url = safe_url(html.unescape(raw) if "&" in raw else raw, base)
    if not url:
        return None
    return url.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")


_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def safe_url(value: str | None, base: str = "") -> str:
    """``value`` made absolute against ``base``; "" unless the result is http(s).

    The same as ``urljoin(base, value)`` followed by a scheme and host check; the two
    common shapes — a plain absolute http(s) URL and a plain root-relative path — are
    answered without ``urljoin`` (about a third of the fast parse was spent in it)."""
    if not value:
        return ""
    value = value.strip()
    if value.isascii():
        if _PLAIN_ABSOLUTE.fullmatch(value):
            return value  # urljoin gives such a URL back as it is, whatever the base
        if base and _PLAIN_ROOTED.fullmatch(value) and "/." not in value:
            origin = _origin(base)
            if origin:
                return origin + value
    try:
        absolute = urljoin(base, value) if base else value
        parts = urlsplit(absolute)
    except ValueError:  # a malformed host ("http://[::1"), in the value or the base
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return absolute


def join_base(base: str, ref: str) -> str:
    """``urljoin(base, ref)`` for an ``xml:base`` (``ref``): ``base`` itself where ``ref``
    is empty or not a usable URL (urljoin raises on a malformed host)."""
    if not ref:
        return base
    try:
        return urljoin(base, ref)
    except ValueError:
        return base


# Shapes urljoin leaves as they are: printable ASCII, no backslash, brackets or ";" in
# the path (params), no empty query or fragment (urljoin would drop the "?" or "#");
# rooted paths without "." segments (urljoin would resolve them).
_PATH = r"[^?#;\\\[\]\x00-\x20\x7f]*"
_REST = r"(?:\?[^#\x00-\x20\x7f]+)?(?:#[^\x00-\x20\x7f]+)?"
_PLAIN_ABSOLUTE = re.compile(rf"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/{_PATH})?{_REST}")
_PLAIN_ROOTED = re.compile(rf"/(?!/){_PATH}{_REST}")


@functools.lru_cache(maxsize=64)
def _origin(base: str) -> str:
    """``scheme://netloc`` of an http(s) ``base`` as urljoin takes them from it, or ""."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def plain_text(value: str | None, *, is_html: bool = True) -> str:
    """Text for a title or caption: tags (and script/style content) removed when
    ``is_html``, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    if is_html:
        value = html.unescape(_TEXT_CLEANER.clean(value))
    return " ".join(value.split())


def text_to_html(value: str) -> str:
    """Plain text → paragraphs of escaped HTML (blank lines separate paragraphs)."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    return "".join(f"<p>{html.escape(' '.join(p.split()), quote=False)}</p>" for p in paras)


def make_guid(entry_id: str | None, link: str | None, title: str, published: str) -> str:
    """A stable identity: the feed's id, else its link, else a hash of title+published."""
    for candidate in (entry_id, link):
        if candidate and candidate.strip():
            return candidate.strip()
    digest = hashlib.sha256(f"{title}\n{published}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def to_utc(value: time.struct_time | str | None) -> datetime | None:
    """A UTC struct_time (feedparser) or an RFC 822 / ISO 8601 string → aware UTC datetime."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- feedparser backend ---------------------------------------------------------------------


class FeedparserBackend:
    """The tolerant path: feedparser (strict expat first, then its loose parser)."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        # No content-location: feedparser would resolve relative RSS guids against it, and a
        # guid must not change when the feed moves. Links are resolved here instead.
        headers = {"content-type": _content_type_for(content, content_type)}
        if b"&#" in content:
            content = _BAD_CHARREF.sub(_charref_or_replacement, content)
        if b"\x00" in content and content[:2] not in _UTF16_STARTS:
            # XML has no NUL: in a byte-wide encoding one is damage (feedparser failed on
            # one inside the declared encoding's name); in UTF-16 they are half the bytes
            content = content.replace(b"\x00", b"")
        # A file object, never bytes or str: feedparser treats a str as a URL or file path.
        try:
            d = feedparser.parse(io.BytesIO(content), response_headers=headers)
        except Exception as e:  # its loose parser has failures of its own on hostile input
            log.warning("feedparser failed on %s: %r", url, e)
            raise FeedParseError(url, f"unreadable feed: {type(e).__name__}") from e
        _check_feedparser_result(d, content, url)
        captions = _media_captions(content) if _MRSS.encode() in content else {}
        feed = d.feed
        language = (feed.get("language") or "").strip().lower() or None
        entries = [_entry_from_feedparser(e, language, url, captions) for e in d.entries]
        if str(d.get("version") or "").startswith("atom"):
            entries = _inherit_feed_authors(entries, feed)
        return ParsedFeed(
            title=plain_text(feed.get("title"), is_html=_is_html(feed.get("title_detail"))),
            link=safe_url(feed.get("link"), url),
            language=language,
            ttl=int(feed["ttl"]) if str(feed.get("ttl", "")).strip().isdigit() else None,
            entries=entries,
            format=d.get("version") or "",
            warnings=_feedparser_warnings(d),
        )


# A numeric character reference: feedparser's loose parser fails on those that name no
# character XML allows (a surrogate, 0, past U+10FFFF); they become U+FFFD, as XML
# parsers that recover read them.
_BAD_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")


def _charref_or_replacement(m: re.Match[bytes]) -> bytes:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return m.group(0)


def _inherit_feed_authors(entries: list[FeedEntry], feed: Any) -> list[FeedEntry]:
    """Atom: an entry without an author has the feed's authors (RFC 4287 4.2.1), as the
    fast path (feedparser-rs) reads it."""
    names = _unique(
        plain_text(a.get("name"), is_html=False)
        for a in feed.get("authors", [])
        if isinstance(a, dict)
    )
    if not names:
        return entries
    return [e if e.authors else replace(e, authors=list(names)) for e in entries]


def _content_type_for(content: bytes, content_type: str | None) -> str:
    """Bytes that are valid UTF-8 and not plain ASCII are UTF-8, whatever the prolog or the
    server claims (a UTF-8 file labelled windows-1252 is common; the reverse decodes as
    UTF-8 only by accident). Otherwise the declared charset stands."""
    declared = content_type or "application/xml"
    if content.isascii():
        return declared
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return declared
    mime = declared.split(";", 1)[0].strip() or "application/xml"
    return f"{mime}; charset=utf-8"


def _check_feedparser_result(d: Any, content: bytes, url: str) -> None:
    """No entries and no recognised format: say what the document is instead."""
    if d.entries or d.get("version"):
        return
    lowered = content[:2048].lower()
    if b"<opml" in lowered:
        raise FeedParseError(url, "not a feed: looks like an OPML subscription list")
    if b"<html" in lowered:
        raise FeedParseError(url, "not a feed: looks like an HTML page")
    exc = d.get("bozo_exception")
    if exc is not None and hasattr(exc, "getLineNumber"):
        raise FeedParseError(url, f"XML error: {exc.getMessage()} at line {exc.getLineNumber()}")
    raise FeedParseError(url, "not a feed: no RSS, Atom or JSON Feed content found")


def _feedparser_warnings(d: Any) -> list[str]:
    exc = d.get("bozo_exception")
    if not d.get("bozo") or exc is None:
        return []
    if hasattr(exc, "getLineNumber"):
        return [f"XML error: {exc.getMessage()} at line {exc.getLineNumber()}; read leniently"]
    return [str(exc)]


def _is_html(detail: Any) -> bool:
    return bool(detail) and detail.get("type") in _HTML_TYPES


def _entry_from_feedparser(
    e: Any, feed_language: str | None, feed_url: str, captions: dict[str, tuple[str, str]]
) -> FeedEntry:
    base = join_base(feed_url, (e.get("title_detail") or {}).get("base") or "")
    title = plain_text(e.get("title"), is_html=_is_html(e.get("title_detail")))
    updated = dict.get(e, "updated")  # not e.get(): feedparser falls back to published
    published_raw = e.get("published") or updated or ""
    contents = e.get("content") or []
    # feedparser copies atom:content into summary when there is none, without its type
    summary_detail = e.get("summary_detail") or (contents[0] if contents else None)
    return FeedEntry(
        guid=make_guid(e.get("id"), e.get("link"), title, published_raw),
        url=safe_url(e.get("link"), base),
        title=title,
        summary=_feedparser_html(e.get("summary"), summary_detail, base),
        content=_feedparser_content(contents, base),
        published=to_utc(e.get("published_parsed")) or to_utc(e.get("published")),
        updated=to_utc(dict.get(e, "updated_parsed")) or to_utc(updated),
        authors=_unique(
            plain_text(a.get("name"), is_html=False)
            for a in e.get("authors", [])
            if isinstance(a, dict)
        )
        or _unique([plain_text(e.get("author"))]),
        images=_feedparser_images(e, base, captions),
        categories=_unique(
            plain_text(t.get("label") or t.get("term"), is_html=False) for t in e.get("tags", [])
        ),
        language=_entry_language(e) or feed_language,
    )


def _entry_language(e: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        lang = (e.get(key) or {}).get("language")
        if lang:
            return str(lang).strip().lower()
    return None


def _feedparser_html(value: str | None, detail: Any, base: str) -> str:
    if not value:
        return ""
    if detail and detail.get("type") == "text/plain":
        return text_to_html(value)
    return sanitize_html(value, base)


def _feedparser_content(contents: list[Any], base: str) -> str:
    """The first HTML content (content:encoded, atom:content), else the first text one."""
    for c in contents:
        if c.get("type") in _HTML_TYPES and c.get("value"):
            return sanitize_html(c["value"], join_base(base, c.get("base") or ""))
    for c in contents:
        if c.get("value"):
            return text_to_html(c["value"])
    return ""


def _feedparser_images(e: Any, base: str, captions: dict[str, tuple[str, str]]) -> list[FeedImage]:
    """media:content (images), image enclosures, then media:thumbnail; one per URL."""
    candidates: list[str] = []
    for m in e.get("media_content", []):
        mime, medium = m.get("type") or "", m.get("medium") or ""
        if medium == "image" or mime.startswith("image/") or (not mime and not medium):
            candidates.append(m.get("url") or "")
    for link in e.get("links", []):
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            candidates.append(link.get("href") or "")
    candidates += [t.get("url") or "" for t in e.get("media_thumbnail", [])]
    urls = _unique(safe_url(u, base) for u in candidates)
    credits = [c.get("content", "") for c in e.get("media_credit", []) if isinstance(c, dict)]
    images = []
    for url in urls:
        caption, credit = captions.get(url, ("", ""))
        if not credit and len(urls) == 1 and credits:
            credit = plain_text(credits[0], is_html=False)
        images.append(FeedImage(url, caption, credit))
    return images


def _media_captions(content: bytes) -> dict[str, tuple[str, str]]:
    """media URL → (description, credit) from the raw XML. feedparser flattens
    media:description into the entry summary, so the pairing is read here, with lxml in
    recover mode (no DTD, no entities, no network). A document lxml cannot read gives {},
    and so does one without a Media RSS description or credit element (the pairing would
    hold nothing: the lxml pass is skipped)."""
    if not _has_media_text(content):
        return {}
    return _read_media_captions(content)


def _read_media_captions(content: bytes) -> dict[str, tuple[str, str]]:
    """:func:`_media_captions` without the check: the lxml pass itself."""
    from lxml import etree

    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except (etree.Error, ValueError):
        return {}
    if root is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    try:
        for el in root.iter(f"{{{_MRSS}}}content", f"{{{_MRSS}}}thumbnail"):
            url = (el.get("url") or "").strip()
            if url and url not in found:
                found[url] = (_media_text(el, "description"), _media_text(el, "credit"))
    except ValueError:  # recover mode kept bytes its text reader cannot decode
        return {}
    return found


# A declaration of the Media RSS namespace: xmlns="..." (default) or xmlns:PREFIX="..."
_MRSS_DECLARATION = re.compile(
    rb"xmlns(?::([^\s=]+))?\s*=\s*[\"']http://search\.yahoo\.com/mrss/[\"']"
)


def _has_media_text(content: bytes) -> bool:
    """Whether the bytes may hold a media:description or media:credit element: under a
    prefix declared for Media RSS, or anywhere when it is declared as a default namespace
    (then any <description> might be one). Errs towards True; False only when no such
    element can be there."""
    for m in _MRSS_DECLARATION.finditer(content):
        prefix = m.group(1)
        if prefix is None:
            return True
        if b"<" + prefix + b":description" in content or b"<" + prefix + b":credit" in content:
            return True
    return False


def _media_text(el: Any, name: str) -> str:
    """media:<name> of the element itself, else of its media:group or item."""
    for scope in (el, el.getparent()):
        if scope is None:
            continue
        child = scope.find(f"{{{_MRSS}}}{name}")
        if child is not None:
            is_html = child.get("type") == "html"
            return plain_text("".join(child.itertext()), is_html=is_html)
    return ""


# --- JSON Feed backend (https://jsonfeed.org/version/1.1) ------------------------------------


class JSONFeedBackend:
    """JSON Feed 1.0/1.1. Any JSON that is not a JSON Feed is a FeedParseError."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        doc = load_json(content, url)
        version = doc.get("version", "") if isinstance(doc, dict) else ""
        if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
            raise FeedParseError(url, "not a feed: JSON but not a JSON Feed")
        base = _str(doc.get("feed_url")) or url
        language = _str(doc.get("language")).lower() or None
        items = doc.get("items") if isinstance(doc.get("items"), list) else []
        entries = [_json_entry(i, base, language) for i in items if isinstance(i, dict)]
        return ParsedFeed(
            title=plain_text(_str(doc.get("title")), is_html=False),
            link=safe_url(_str(doc.get("home_page_url")), base),
            language=language,
            ttl=None,
            entries=entries,
            format="json" + version.rstrip("/").rsplit("/", 1)[-1].replace(".", ""),
        )


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _json_entry(item: dict[str, Any], base: str, feed_language: str | None) -> FeedEntry:
    title = plain_text(_str(item.get("title")), is_html=False)
    published = _str(item.get("date_published"))
    if item.get("content_html"):
        content = sanitize_html(_str(item.get("content_html")), base)
    else:
        content = text_to_html(_str(item.get("content_text")))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    images = [_str(item.get("image")), _str(item.get("banner_image"))]
    images += [
        _str(a.get("url"))
        for a in item.get("attachments") or []
        if isinstance(a, dict) and _str(a.get("mime_type")).startswith("image/")
    ]
    raw_id = item.get("id")
    return FeedEntry(
        guid=make_guid(
            str(raw_id) if raw_id not in (None, "") else None,
            _str(item.get("url")),
            title,
            published,
        ),
        url=safe_url(_str(item.get("url")) or _str(item.get("external_url")), base),
        title=title,
        summary=text_to_html(_str(item.get("summary"))),
        content=content,
        published=to_utc(published),
        updated=to_utc(_str(item.get("date_modified"))),
        authors=_unique(
            plain_text(_str(a.get("name")), is_html=False) for a in authors if isinstance(a, dict)
        ),
        images=[FeedImage(u, "", "") for u in _unique(safe_url(i, base) for i in images)],
        categories=_unique(
            plain_text(t, is_html=False) for t in item.get("tags") or [] if isinstance(t, str)
        ),
        language=_str(item.get("language")).lower() or feed_language,
    )
