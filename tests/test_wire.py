"""Wire formats (ninjs 1.x/2.x, NewsML-G2 with XHTML or NITF, bare NITF) and Google News
sitemaps through ``parse_feed``: golden files (tests/data/wire/x + x.expected.json;
regenerate with WARTA_REGEN=1 and review the diff) plus the rules that matter most."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.golden import assert_golden
from warta.core.errors import FeedParseError
from warta.core.feeds import FeedImage, ParsedFeed, parse_feed
from warta.core.wire import pub_status

DATA = Path(__file__).parent / "data" / "wire"
FIXTURES = sorted(
    p for p in DATA.iterdir() if p.suffix in (".xml", ".json") and ".expected" not in p.name
)
BASE = "https://wire.example.com/"


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


def test_ninjs1_maps_every_field_and_sanitises_markup() -> None:
    feed = _parse("ninjs1-text.json")
    assert feed.format == "ninjs1"
    (e,) = feed.entries
    assert e.guid == "urn:newsml:wire.example.com:20261124:ex-8812345"
    assert e.title == "Jakarta floods force thousands from their homes"
    assert e.authors == ["Siti Rahma", "Budi Santoso"]
    assert e.published == datetime(2026, 11, 24, 2, 15, tzinfo=UTC)
    assert e.updated == datetime(2026, 11, 24, 10, 42, tzinfo=UTC)
    assert (e.version, e.pub_status) == (2, "usable")
    assert e.embargo == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert e.images == [FeedImage(
        "https://img.wire.example.com/ex-pic-77/original.jpg",
        "Residents wade through a flooded street in East Jakarta, Indonesia, November 24, 2026.",
        "Photo: Agus Wibowo/Example Wire")]  # widest rendition; the video is not an image
    for hostile in ("<script", "alert", "javascript:", "onerror"):
        assert hostile not in e.content
    assert 'href="https://wire.example.com/districts/east"' in e.content


def test_ninjs2_headlines_bodies_associations_and_a_kill() -> None:
    feed = _parse("ninjs2-items.json")
    assert feed.format == "ninjs2"
    story, kill = feed.entries
    assert story.title == "Central bank cuts rates as inflation cools"  # role main
    assert story.content.startswith("<p>LONDON:") and "<blockquote>" in story.content
    assert "onclick" not in story.content and "plain version" not in story.content
    assert story.url == "https://news.wire.example.com/2026/11/25/rate-cut"
    assert story.images[0].url.endswith("/l.jpg") and "file photo" in story.images[0].caption
    assert story.images[0].credit == "Example Wire/File"
    assert story.categories == ["interest rates"] and story.language == "en-gb"
    assert (kill.pub_status, kill.version) == ("canceled", 3)


def test_newsml_inline_xhtml() -> None:
    (e,) = _parse("newsml-xhtml.xml").entries
    assert e.guid == "urn:newsml:wire.example.com:20261124:nx-4451" and e.version == 3
    assert e.title == "Strong earthquake shakes Surabaya, no tsunami warning"  # not the short
    assert e.summary == "<p>A magnitude 6.1 earthquake struck off East Java on Tuesday.</p>"
    assert "<iframe" not in e.content and "evil" not in e.content
    assert e.categories[0] == "disaster, accident and emergency incident"  # English name
    assert e.images == [FeedImage("https://img.wire.example.com/nx-4451.jpg",
                                  "Rescue workers in Surabaya", "")]


def test_newsml_message_with_nitf_body_and_linked_picture() -> None:
    feed = _parse("newsml-nitf-message.xml")
    (e,) = feed.entries  # the picture item is not an entry of its own
    assert e.title == "Volcano erupts on Flores, flights cancelled"
    assert e.authors == ["Yosef Bere"] and e.pub_status == "withheld"
    assert e.embargo == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert e.images[0] == FeedImage(
        "https://img.wire.example.com/pic-901/hires.jpg",
        "Mount Lewotobi erupts as seen from Flores, Indonesia (archive).",
        "Example Wire/Yosef Bere")
    assert "Ash over Maumere" not in e.content  # the NITF media caption is an image's
    assert "<p>Evacuation</p>" in e.content


def test_news_sitemap_entries() -> None:
    feed = _parse("news-sitemap.xml")
    assert feed.format == "sitemap-news" and feed.title == "Example News"
    assert [e.url for e in feed.entries] == [
        "https://news.example.com/world/2026/11/27/summit-opens",
        "https://wire.example.com/business/2026/11/27/markets"]  # no javascript:, no /about
    first = feed.entries[0]
    assert first.title == "Leaders gather as Asia summit opens & trade tops agenda"
    assert first.published == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert first.categories == ["Summit", "Trade", "ASEAN"] and first.language == "en"


@pytest.mark.parametrize("name", ["entity-bomb-newsml.xml", "xxe-newsml.xml"])
def test_entity_declarations_are_refused(name: str) -> None:
    with pytest.raises(FeedParseError, match="entit"):
        _parse(name)
    with pytest.raises(FeedParseError, match="entit"):
        _parse(name, format="newsml")


def test_backends_refuse_entities_even_when_called_directly() -> None:
    from warta.core.newsml import NewsMLBackend

    content = (DATA / "entity-bomb-newsml.xml").read_bytes()
    with pytest.raises(FeedParseError, match="entit"):
        NewsMLBackend().parse(content, BASE, None)


def test_format_is_detected_or_given() -> None:
    rss = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
    assert parse_feed(rss, BASE).format == "rss20"
    jsonfeed = b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}'
    assert parse_feed(jsonfeed, BASE).format == "json11"
    escaped = b'{"version": "https:\\/\\/jsonfeed.org\\/version\\/1", "items": [{"id": "1"}]}'
    assert parse_feed(escaped, BASE).format == "json1"
    assert parse_feed(b'[{"uri": "urn:x", "headline": "H"}]', BASE).format == "ninjs1"
    with pytest.raises(FeedParseError, match="not a ninjs item"):
        parse_feed(b'{"hello": "world"}', BASE, format="ninjs")
    with pytest.raises(FeedParseError, match="not NewsML-G2"):
        parse_feed(rss, BASE, format="newsml")


@pytest.mark.parametrize(("raw", "status"), [
    ("stat:usable", "usable"), ("stat:canceled", "canceled"), ("Cancelled", "canceled"),
    ("withheld", "withheld"), ("", "usable"), ("stat:odd", "usable")])
def test_pub_status_normalised(raw: str, status: str) -> None:
    assert pub_status(raw) == status
