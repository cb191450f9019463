"""Feeds that break parsers: every one gives entries or a readable FeedParseError, never
another exception (which would stop a poll round). The cases below were found by
mutating the corpus feeds (``test_mutated_corpus_feeds_never_raise`` keeps doing it, with a
fixed seed); each failed before its fix."""

from __future__ import annotations

import logging
import random
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from warta.core.errors import FeedParseError
from warta.core.feeds import (
    FeedparserBackend,
    ParsedFeed,
    _resolved_value,
    parse_feed,
    safe_url,
)
from warta.core.feeds_fast import FastFirstBackend, FeedparserRsBackend
from warta.core.fetch import decode_feed_bytes

URL = "https://feeds.example/world.xml"
MRSS = 'xmlns:media="http://search.yahoo.com/mrss/"'


def _rss(items: bytes, root: bytes = b"") -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" ' + root +
            b"><channel><title>World</title><link>https://news.example/</link>" + items +
            b"</channel></rss>")


@pytest.mark.parametrize("ref", [b"&#xD800;", b"&#55296;", b"&#0;", b"&#x110000;",
                                 b"&#99999999999;"])
def test_a_character_reference_to_no_character_is_read_as_a_replacement(ref: bytes) -> None:
    """feedparser's loose parser raised UnicodeEncodeError on a reference to a surrogate
    (and others XML forbids); the document is malformed, so it is feedparser's to read."""
    doc = _rss(b"<item><title>A " + ref + b" b</title><link>https://news.example/1</link>"
               b"<description>x &amp y</description></item>")
    backend = FastFirstBackend()
    parsed = parse_feed(doc, URL, backend=backend)
    assert backend.last_path == "feedparser"
    assert [e.title for e in parsed.entries] == ["A \ufffd b"]


def test_a_caption_lxml_cannot_decode_leaves_the_captions_out() -> None:
    """A reference to a surrogate inside a media:description of a feed the fast parser
    reads: lxml's recover mode keeps it, and its text reader raised UnicodeDecodeError."""
    doc = _rss(b"<item><title>t</title><link>https://news.example/1</link><media:content "
               b"url='https://img.example/1.jpg' medium='image'><media:description>The "
               b"One &#xD800;</media:description></media:content></item>", MRSS.encode())
    backend = FastFirstBackend()
    parsed = parse_feed(doc, URL, backend=backend)
    assert backend.last_path == "fast"
    assert [(i.url, i.caption) for i in parsed.entries[0].images] == [
        ("https://img.example/1.jpg", "")]


def test_a_malformed_xml_base_is_ignored() -> None:
    """An xml:base whose host is a broken IPv6 literal made urljoin raise ValueError."""
    doc = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           b"<title>t</title><id>urn:f</id><updated>2026-11-24T10:00:00Z</updated><entry>"
           b"<title>e</title><id>urn:e</id><updated>2026-11-24T10:00:00Z</updated>"
           b'<link href="https://news.example/e"/><content type="html" xml:base="http://[::1">'
           b"&lt;p&gt;&lt;a href='/x'&gt;x&lt;/a&gt;&lt;/p&gt;</content></entry></feed>")
    for backend in (FastFirstBackend(), FeedparserBackend()):
        entry = parse_feed(doc, "https://feeds.example/atom.xml", backend=backend).entries[0]
        assert entry.url == "https://news.example/e"
        assert 'href="https://feeds.example/x"' in entry.content


@pytest.mark.parametrize("link", ["http://[::1", "https://[bad/x", "//[x/y"])
def test_a_link_with_a_malformed_host_is_no_link(link: str) -> None:
    assert safe_url(link, URL) == ""
    assert safe_url("/x", "http://[::1") == ""
    assert _resolved_value(link, URL) is None  # an href nh3 let through
    doc = _rss(b"<item><title>t</title><link>" + link.encode() + b"</link><guid>g</guid>"
               b"<description>&lt;a href='" + link.encode() + b"'&gt;a&lt;/a&gt;</description>"
               b"</item>")
    entry = parse_feed(doc, URL).entries[0]
    assert entry.url == "" and "href" not in entry.summary


def test_nul_bytes_in_a_byte_wide_document_are_dropped_for_feedparser() -> None:
    """A NUL inside the declared encoding's name made feedparser raise ValueError
    ("embedded null character"); in UTF-16, NUL bytes are part of every ASCII character."""
    doc = (b'<?xml version="1.0" encoding="iso-8859-1\x00"?><rss version="2.0"><channel>'
           b"<title>W</title><item><title>Caf\xe9 \x00au lait</title>"
           b"<link>https://news.example/1</link></item></channel></rss>")
    backend = FastFirstBackend()
    parsed = parse_feed(doc, URL, backend=backend)
    assert backend.last_path == "feedparser"
    assert [e.title for e in parsed.entries] == ["Café au lait"]
    utf16 = _rss("<item><title>Dua Ā</title><link>https://news.example/2</link></item>"
                 .encode()).replace(b"utf-8", b"utf-16").decode().encode("utf-16")
    assert [e.title for e in parse_feed(utf16, URL).entries] == ["Dua Ā"]


@pytest.mark.parametrize("label", ["undefined", "idna", "base64", "rot13", "utf-\x00"])
def test_a_charset_no_text_decodes_in_is_passed_over(label: str) -> None:
    """A feed (or its server) naming the "undefined" codec made decode_feed_bytes raise
    UnicodeError out of the poll; codecs that are no text encodings are passed over too."""
    declared = label if "\x00" not in label else "utf-8"  # a NUL there reads as UTF-16
    doc = (f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>W'
           "</title><item><title>Café</title><link>https://news.example/1</link></item>"
           "</channel></rss>").encode()
    for header in (None, label):
        body, read_as = decode_feed_bytes(doc, header)
        assert read_as == "utf-8"
        assert [e.title for e in parse_feed(body, URL).entries] == ["Café"]


def test_feedparser_failing_on_its_own_is_a_feed_error(caplog: pytest.LogCaptureFixture) -> None:
    """feedparser raised KeyError('tags') out of a category closed after its item."""
    doc = _rss(b"<item><title>t</title><category>a</item></category>")
    with pytest.raises(FeedParseError, match="unreadable feed: KeyError"):
        parse_feed(doc, URL)
    assert "feedparser failed" in caplog.text


def test_a_fast_path_failure_falls_back_to_feedparser(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: Any, raw: Any, content: bytes, url: str) -> ParsedFeed:
        raise IndexError("unforeseen")

    monkeypatch.setattr(FeedparserRsBackend, "build", broken)
    backend = FastFirstBackend()
    parsed = parse_feed(_rss(b"<item><title>t</title><link>https://news.example/1</link>"
                             b"</item>"), URL, backend=backend)
    assert backend.last_path == "feedparser"
    assert backend.last_reason == "fast path failed: IndexError"
    assert [e.url for e in parsed.entries] == ["https://news.example/1"]
    assert "read with feedparser" in caplog.text


def test_any_other_failure_is_a_feed_error_with_the_traceback_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
            return {}["missing"]  # type: ignore[no-any-return]

    with pytest.raises(FeedParseError, match=r"unreadable feed: KeyError"):
        parse_feed(_rss(b""), URL, backend=Broken())
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].exc_info is not None


# --- mutated corpus feeds ------------------------------------------------------------------

SOURCE_EXTENSIONS = (".go", ".js", ".swift", ".md", ".txt")
MAX_BYTES = 300_000  # the larger files cost feedparser seconds once mutated: left out


def _mutate(data: bytes, kind: int, rng: random.Random) -> bytes:
    """One of the damages real feeds show (or attackers send), at a random place."""
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randrange(1, 400))
    damage = [
        lambda: data[:i],  # cut off
        lambda: data[:i] + bytes([rng.randrange(256)]) + data[i + 1:],  # one byte changed
        lambda: data[:i] + data[j:],  # a piece missing
        lambda: data[:i] + data[i:j] * 3 + data[j:],  # a piece repeated
        lambda: data[:i] + b"\x00" + data[i:],
        lambda: b"\xef\xbb\xbf" + data,
        lambda: data.decode("utf-8", "replace").encode("utf-16"),
        lambda: data.replace(b"utf-8", b"iso-8859-1", 1).replace(b"UTF-8", b"windows-1252", 1),
        lambda: data[:i] + b"<![CDATA[" + data[i:],
        lambda: data[:i] + b"&#xD800;&#0;&bogus;" + data[i:],
        lambda: zlib.compress(data)[: rng.randrange(1, 200)],
        lambda: data[:i] + b"<item><title>x</title><link>javascript:alert(1)</link></item>"
        + data[i:],
        lambda: data[:i] + b'<content type="html" xml:base="http://[::1">x</content>' + data[i:],
    ]
    return damage[kind % len(damage)]()


@pytest.mark.corpus
def test_mutated_corpus_feeds_never_raise(corpus: Path, caplog: pytest.LogCaptureFixture
                                          ) -> None:
    """Every corpus feed (below 300 kB), damaged in two ways (a seed per file), through the
    intake's decoding and parsing, with the item digests of its last read as a poll would
    pass them: entries or a FeedParseError. No failure may reach ``parse_feed``'s last
    resort (an ERROR with a traceback): each would be a bug."""
    files = sorted(p for p in (corpus / "feeds").rglob("*")
                   if p.is_file() and p.name != "LICENSE"
                   and not p.name.endswith(SOURCE_EXTENSIONS) and p.stat().st_size < MAX_BYTES)
    assert len(files) > 200
    caplog.set_level(logging.WARNING, logger="warta")
    parsed = failed = 0
    for n, path in enumerate(files):
        data = path.read_bytes()
        if not data:
            continue
        rng = random.Random(zlib.crc32(path.name.encode()))
        known: list[str] = []
        for kind in (n, n + 7):
            body, _charset = decode_feed_bytes(_mutate(data, kind, rng), None)
            try:
                feed = parse_feed(body, f"https://corpus.example/{path.name}", known_items=known)
            except FeedParseError:
                failed += 1
                continue
            parsed += 1
            known = feed.item_digests
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert not errors, errors[:5]
    assert parsed > 200 and failed > 20, (parsed, failed)


def test_what_no_database_stores_never_leaves_parse_feed() -> None:
    """Whatever a parser lets through: NUL is removed, a lone surrogate becomes U+FFFD, in
    every text of the feed and its entries; a guid left empty gets one made. A clean
    result is passed on as it is."""
    from warta.core.feeds import FeedEntry, FeedImage

    def feed(*entries: FeedEntry, title: str = "T") -> ParsedFeed:
        return ParsedFeed(title=title, link="https://news.example/", language="en", ttl=None,
                          entries=list(entries))

    class Given:
        def __init__(self, parsed: ParsedFeed) -> None:
            self.parsed = parsed

        def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
            return self.parsed

    dirty = FeedEntry(guid="\x00", url="https://news.example/a\x00", title="A\x00\ud800",
                      summary="<p>s\udc00</p>", content="c", published=None, updated=None,
                      authors=["Jo\x00"], images=[FeedImage("https://img.example/1.jpg",
                                                            "cap\ud800", "")],
                      categories=["t\x00"], language="en\x00")
    clean = FeedEntry(guid="g", url="https://news.example/b", title="B \U0001f600",
                      summary="", content="", published=None, updated=None)
    out = parse_feed(_rss(b""), URL, backend=Given(feed(dirty, clean, title="T\x00")))
    a, b = out.entries
    assert (a.url, a.title, a.summary, a.authors, a.categories, a.language) == (
        "https://news.example/a", "A\ufffd", "<p>s\ufffd</p>", ["Jo"], ["t"], "en")
    assert a.images[0].caption == "cap\ufffd" and a.guid.startswith("https://news.example/a")
    assert b is clean and out.title == "T"
    given = feed(clean)
    assert parse_feed(_rss(b""), URL, backend=Given(given)) is given
    nul = replace(clean, guid="n\x00")  # NUL alone encodes fine: found all the same
    assert parse_feed(_rss(b""), URL, backend=Given(feed(nul))).entries[0].guid == "n"
