"""parse_feed on hand-written fixtures (tests/data/feeds/x.xml + x.expected.json golden
files; regenerate with WARTA_REGEN=1 and review the diff), plus targeted behaviour tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.golden import assert_golden
from warta.core.errors import FeedParseError
from warta.core.feeds import (
    FeedImage,
    ParsedFeed,
    make_guid,
    parse_feed,
    plain_text,
    safe_url,
    sanitize_html,
    to_utc,
)

DATA = Path(__file__).parent / "data" / "feeds"
FIXTURES = sorted(
    p for p in DATA.iterdir() if p.suffix in (".xml", ".json") and ".expected" not in p.name
)
BASE = "https://feeds.example.com/"


def _parse(name: str, **kwargs: Any) -> ParsedFeed:
    return parse_feed((DATA / name).read_bytes(), BASE + name, **kwargs)


def _outcome(path: Path) -> dict[str, Any]:
    try:
        return parse_feed(path.read_bytes(), BASE + path.name).to_dict()
    except FeedParseError as e:
        return {"error": str(e)}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert_golden(_outcome(path), path.with_name(path.stem + ".expected.json"))


def test_rss_content_media_categories_and_relative_links() -> None:
    feed = _parse("rss2-media.xml")
    assert (feed.title, feed.language, feed.ttl, feed.format) == (
        "Warta Test Wire & World",
        "en-gb",
        15,
        "rss20",
    )
    first = feed.entries[0]
    assert first.guid == "wire-2023-0001"
    assert first.url == "https://feeds.example.com/world/2023/09/putin-envoy"
    assert first.published == datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
    assert first.authors == ["Anna Petrova"]
    assert first.categories == ["World", "Russia"]
    assert "<blockquote><p>“We had a frank exchange,” he said.</p></blockquote>" in first.content
    assert 'src="https://feeds.example.com/img/putin.jpg"' in first.content
    assert first.images == [
        FeedImage(
            "https://img.example.com/putin.jpg",
            "Vladimir Putin in the Kremlin (file photo)",
            "Reuters/Ivan Ivanov",
        )
    ]
    second = feed.entries[1]
    assert second.title == "Markets rally strongly"
    assert [i.url for i in second.images] == [
        "https://img.example.com/chart.png",
        "https://img.example.com/chart-thumb.png",
    ]
    assert second.updated is None  # RSS has no updated date; not copied from pubDate


def test_guid_falls_back_to_a_stable_hash() -> None:
    third = _parse("rss2-media.xml").entries[2]
    assert third.url == ""
    assert third.guid.startswith("sha256:")
    assert third.guid == _parse("rss2-media.xml").entries[2].guid
    assert make_guid(None, "", "t", "p") != make_guid(None, "", "t", "q")


def test_relative_guid_is_not_resolved_against_the_feed_url() -> None:
    a = parse_feed((DATA / "windows1251.xml").read_bytes(), "https://a.example/feed")
    b = parse_feed((DATA / "windows1251.xml").read_bytes(), "https://b.example/moved")
    assert a.entries[0].guid == b.entries[0].guid == "ru-1"


def test_atom_xml_base_is_respected() -> None:
    feed = _parse("atom-xmlbase.xml")
    entry = feed.entries[0]
    assert entry.url == "https://news.example.org/section/world/2023/09/floods.html"
    assert entry.title == "Floods in Jakarta displace thousands"
    assert 'href="https://news.example.org/section/asia/"' in entry.content
    assert 'href="https://news.example.org/section/world/photos/"' in entry.summary
    assert entry.images[0].url == "https://news.example.org/section/world/img/flood-large.jpg"
    assert entry.authors == ["Budi Santoso", "Jane Doe"]
    assert entry.categories == ["World", "indonesia"]
    assert entry.published == datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
    assert entry.updated == datetime(2023, 9, 9, 8, 0, tzinfo=UTC)
    assert entry.language == "en"
    # type="text" content is text, not markup
    assert feed.entries[1].content == "<p>A text content with &lt;not a tag&gt; inside.</p>"


def test_scripts_handlers_styles_and_bad_urls_are_removed() -> None:
    entry = _parse("script-in-description.xml").entries[0]
    s = entry.summary
    for bad in (
        "script",
        "alert",
        "onclick",
        "onerror",
        "onload",
        "style",
        "javascript:",
        "data:",
        "iframe",
        "object",
        "steal",
    ):
        assert bad not in s.lower(), bad
    assert 'href="http://ok.example.net/a"' in s
    assert 'src="https://ok.example.net/i.png"' in s
    assert entry.title == "Click me"
    assert entry.url == ""  # javascript: link dropped


def test_entity_bomb_is_refused() -> None:
    with pytest.raises(FeedParseError, match="entity bomb"):
        _parse("entity-bomb.xml")


def test_quadratic_blowup_entity_is_refused() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 100_000 + b'">]>'
        b"<rss version='2.0'><channel><title>" + b"&a;" * 1000 + b"</title></channel></rss>"
    )
    with pytest.raises(FeedParseError, match="entity bomb"):
        parse_feed(doc, BASE)


def test_external_entity_is_refused() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss version='2.0'><channel><title>&x;</title></channel></rss>"
    )
    with pytest.raises(FeedParseError, match="entity bomb"):
        parse_feed(doc, BASE)


def test_utf16_entity_bomb_is_refused() -> None:
    doc = (DATA / "entity-bomb.xml").read_text().replace('<?xml version="1.0"?>', "")
    with pytest.raises(FeedParseError, match="entity bomb"):
        parse_feed(doc.encode("utf-16"), BASE)


def test_harmless_character_entity_is_allowed() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>'
        b"<rss version='2.0'><channel><title>a&nbsp;b</title>"
        b"<item><title>x</title><link>http://e.example/1</link></item></channel></rss>"
    )
    feed = parse_feed(doc, BASE)
    assert len(feed.entries) == 1


def test_broken_feed_is_read_with_a_warning() -> None:
    feed = _parse("broken-recoverable.xml")
    assert [e.title for e in feed.entries] == ["First story & friends", "Second story"]
    assert feed.warnings and feed.warnings[0].startswith("XML error:")


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match="not a feed: looks like an HTML page"):
        _parse("html-page.xml")


@pytest.mark.parametrize("content", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_is_an_error(content: bytes) -> None:
    with pytest.raises(FeedParseError, match="feed is empty"):
        parse_feed(content, BASE)


def test_garbage_is_an_xml_error() -> None:
    with pytest.raises(FeedParseError, match="XML error: not well-formed"):
        parse_feed(b"<<<>>> \x00\x01 definitely not xml", BASE)


def test_opml_is_not_a_feed() -> None:
    opml = b'<?xml version="1.0"?><opml version="2.0"><body><outline text="x"/></body></opml>'
    with pytest.raises(FeedParseError, match="OPML"):
        parse_feed(opml, BASE)


def test_latin1_without_declared_encoding() -> None:
    feed = _parse("latin1-undeclared.xml")
    assert feed.title == "Café del Mar « Noticias »"
    assert feed.entries[0].title == "Señor Muñoz gana el premio"


def test_charset_from_content_type_is_used() -> None:
    feed = _parse("latin1-undeclared.xml", content_type="application/rss+xml; charset=iso-8859-1")
    assert feed.entries[0].summary == "El año pasado, en Málaga."


def test_windows_1251_declared() -> None:
    feed = _parse("windows1251.xml")
    assert feed.title == "Новости"
    assert feed.entries[0].title == "Привет, мир"


def test_json_feed() -> None:
    feed = _parse("jsonfeed.json")
    assert feed.format == "json11"
    first = feed.entries[0]
    assert first.guid == "2347259"
    assert first.url == "https://json.example.com/2023/09/quake"
    assert first.title == "Earthquake hits <coast>"  # JSON Feed titles are plain text
    assert "script" not in first.content
    assert 'src="https://json.example.com/img/quake.jpg"' in first.content
    assert first.published == datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
    assert first.images == [FeedImage("https://json.example.com/img/map.png", "", "")]
    assert feed.entries[1].content == "<p>No id, no url.</p><p>Second paragraph.</p>"


def test_json_that_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match="JSON but not a JSON Feed"):
        parse_feed(b'{"hello": "world"}', BASE)
    with pytest.raises(FeedParseError, match="JSON error"):
        parse_feed(b"{not json", BASE)


def test_helpers() -> None:
    assert plain_text(" a <b>bold</b>\n &amp; <script>x</script> ") == "a bold &"
    assert plain_text("x < y", is_html=False) == "x < y"
    assert sanitize_html('<a href="/p">p</a>', "https://e.example/a/") == (
        '<a href="https://e.example/p" rel="noopener noreferrer">p</a>'
    )
    assert to_utc("2023-09-09T14:05:00+07:00") == datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
    assert to_utc("Sat, 09 Sep 2023 07:05:00 GMT") == datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
    assert to_utc("yesterday") is None


def _safe_url_by_urljoin(value: str, base: str) -> str:
    """What safe_url means: urljoin, then only http(s) with a host."""
    if not value:
        return ""
    absolute = urljoin(base, value.strip()) if base else value.strip()
    parts = urlsplit(absolute)
    return absolute if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def test_safe_url_shortcuts_agree_with_urljoin() -> None:
    """safe_url answers plain absolute URLs and rooted paths without urljoin: on every
    combination of tricky pieces it gives what urljoin gives."""
    starts = [
        "",
        "/",
        "//",
        "http://",
        "https://",
        "HTTP://",
        "ftp://",
        "mailto:",
        "a/",
        "./",
        "../",
        "?",
        "#",
        "javascript:",
    ]
    hosts = ["", "h.example", "h.example:8080", "h.example:", "[::1]", "u@h.example", "Ü.de"]
    paths = [
        "",
        "/",
        "/a",
        "/a/",
        "//a",
        "/a/./b",
        "/a/../b",
        "/a/.",
        "/a/..",
        "/.x",
        "/a;p",
        "/a;",
        "/a b",
        "/a\\b",
        "/a\tb",
        "/ä",
        "/%20",
    ]
    tails = ["", "?", "?q=1", "?q=1&r=2", "#", "#f", "?#", "?q#f", "#f?x", ";x?y"]
    bases = [
        "",
        "https://feeds.example/news/feed.xml",
        "http://H.Example:81/a/b/",
        "HTTPS://x.example",
        "https://u:p@x.example/",
        "file:///tmp/x",
        "//x.example/",
    ]
    checked = 0
    for start, host, path, tail in itertools.product(starts, hosts, paths, tails):
        value = start + host + path + tail
        for base in bases:
            try:
                expected = _safe_url_by_urljoin(value, base)
            except ValueError:  # urljoin itself refuses it: so must safe_url
                with pytest.raises(ValueError):
                    safe_url(value, base)
                continue
            assert safe_url(value, base) == expected, (value, base)
            checked += 1
    assert checked > 100_000


_MRSS_FEED = (
    '<?xml version="1.0"?><rss version="2.0" {ns}><channel><title>T</title>'
    "<link>https://ex.com/</link><description>d</description><item><title>A</title>"
    "<link>https://ex.com/a</link><guid>a</guid>{media}</item></channel></rss>"
)


@pytest.mark.parametrize(
    ("ns", "media", "needed", "caption_credit"),
    [
        ('xmlns:media="http://search.yahoo.com/mrss/"',
         '<media:content url="https://ex.com/i.jpg" medium="image"/>', False, ("", "")),
        ('xmlns:media="http://search.yahoo.com/mrss/"',
         '<media:content url="https://ex.com/i.jpg" medium="image">'
         "<media:description>Cap</media:description></media:content>", True, ("Cap", "")),
        ("xmlns:m='http://search.yahoo.com/mrss/'",
         '<m:content url="https://ex.com/i.jpg"><m:credit>AP</m:credit></m:content>', True,
         ("", "AP")),
        ('xmlns="http://search.yahoo.com/mrss/"', "", True, None),  # any <description>
        ("", "<description>not media</description>", False, None),
    ],
)
def test_media_caption_pass_only_when_a_caption_or_credit_can_be_there(
    ns: str, media: str, needed: bool, caption_credit: tuple[str, str] | None
) -> None:
    """The lxml pass for Media RSS captions and credits is skipped when the bytes hold no
    element it could find; where it is skipped, running it would have found nothing."""
    from warta.core.feeds import _has_media_text, _read_media_captions

    content = _MRSS_FEED.format(ns=ns, media=media).encode()
    assert _has_media_text(content) is needed
    if not needed:
        assert all(v == ("", "") for v in _read_media_captions(content).values())
    if caption_credit is not None:
        image = parse_feed(content, "https://ex.com/feed").entries[0].images[0]
        assert (image.url, image.caption, image.credit) == ("https://ex.com/i.jpg",
                                                            *caption_credit)
